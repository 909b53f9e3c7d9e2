//! Clamps without a function table: `y = max(x, c)` (ReLU is `c = 0`) and `y = min(x, c)` for a
//! public scalar `c`, proved by two range checks and one zero-check instead of a lookup of
//! `(x, y)` into a `2^k`-entry function table. Each range check proves its column lies in
//! `[0, 2^16)`: in the 16-bit table, or in the plan's byte table when the column's honest values
//! fit 8 bits (then it proves `[0, 2^8)`, a stronger statement), or as two byte lookups
//! (`graph::range`).
//!
//! For `y = max(x, c)` the checks are `A = y − c ∈ [0, 2^16)`, `B = y − x ∈ [0, 2^16)` and
//! `Σ_i eq(τ, i)·(y_i − c)(y_i − x_i) = 0` at a random `τ`; for `y = min(x, c)` they are
//! `A = c − y`, `B = x − y` and the same zero-check (`(c − y)(x − y) = (y − c)(y − x)`).
//!
//! Why these force `y = max(x, c)` exactly (the `min` case is symmetric): the zero-check says
//! the multilinear extension of the table `p_i = (y_i − c)(y_i − x_i)` vanishes at a random
//! point, so (Schwartz–Zippel, error `num_vars/|EF|`) every `p_i = 0`. The field has no zero
//! divisors, so `y_i = c` or `y_i = x_i`. The range checks give integers `a, b ∈ [0, 2^16)`
//! with `y_i = c + a` and `x_i = y_i − b` as field elements. If `y_i = c` then `a = 0` and
//! `x_i = c − b ≤ c`, so `max(x_i, c) = c = y_i`. If `y_i = x_i` then `b = 0` and
//! `x_i = c + a ≥ c`, so `max(x_i, c) = x_i = y_i`. Every quantity involved has absolute value
//! below `2^17 + |c| < 2^18`, far from `p/2`, so no equation wraps around the modulus and the
//! integer readings are the only ones.
//!
//! An honest witness passes iff `y − c` and `y − x` fit in 16 bits on the input's whole
//! calibrated range `[lo, hi]`, i.e. `hi − c < 2^16` and `c − lo < 2^16`
//! ([`clamps`] selects only such nodes; the others keep the function table). Padding entries
//! hold `x = y = 0`: the difference column `B` is `0` there, the constant column is `−c` (max)
//! or `c` (min), so only `c ∈ (−2^16, 0]` for max and `c ∈ [0, 2^16)` for min are taken, and the
//! zero-check's term `(0 − c)(0 − 0)` vanishes.
//!
//! The difference column `B` is not an affine image of one committed tensor: the prover sends
//! `y`'s evaluation at the lookup argument's point (`gap`), from which both `y`'s and `x`'s
//! claims follow.

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::EvalClaim;
use lucid_core::transcript::Transcript;
use lucid_model::ir::{BinaryOp, Op, UnaryFn};
use lucid_model::quant::{QGraph, QOp};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::error::ProofError;
use crate::graph::plan::{Plan, RANGE_BITS, Role, exact_function, scalar_const};
use crate::graph::zero_check::{self, Instance, ZeroCheckProof};
use crate::layout::{PaddedShape, PaddedTensor};

/// One clamp node proved by range checks and a zero-check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clamp {
    /// The node `y`.
    pub node: usize,
    /// Its input `x`.
    pub input: usize,
    /// The constant `c`.
    pub c: i64,
    /// `max` (else `min`).
    pub max: bool,
}

/// The clamp messages of a proof: per clamp its difference claim and evaluations, and one
/// zero-check for all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClampsProof {
    /// Per clamp (node order).
    pub clamps: Vec<ClampProof>,
    /// Every clamp's zero-check, batched (`graph::zero_check`).
    pub zero_check: ZeroCheckProof,
}

impl ClampsProof {
    /// Number of clamps.
    pub fn len(&self) -> usize {
        self.clamps.len()
    }

    /// Whether there is no clamp.
    pub fn is_empty(&self) -> bool {
        self.clamps.is_empty()
    }
}

/// One clamp's difference claim and its tables' evaluations at the zero-check's point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClampProof {
    /// `Y` at the lookup argument's point of the difference column.
    pub gap: EF,
    /// `Y(ρ)` at the zero-check's point (its first `n_k` coordinates).
    pub output: EF,
    /// `X(ρ)` at the zero-check's point.
    pub input: EF,
}

/// The clamp nodes of a plan, in node order: function-lookup nodes computing `ReLU`, `max(x, c)`
/// with `c ∈ (−2^16, 0]` or `min(x, c)` with `c ∈ [0, 2^16)`, whose input range `[lo, hi]`
/// has `hi − c < 2^16` and `c − lo < 2^16`, and with at least two padded entries.
pub fn clamps(graph: &QGraph, plan: &Plan) -> Vec<Clamp> {
    let full = 1i128 << RANGE_BITS;
    let mut out = Vec::new();
    for (id, role) in plan.roles.iter().enumerate() {
        let Role::Lookup { .. } = role else {
            continue;
        };
        let node = &graph.nodes[id];
        let QOp::Exact(op) = &node.op else {
            continue;
        };
        let Some((operand, constant)) = exact_function(graph, node) else {
            continue;
        };
        let c = constant.and_then(|k| scalar_const(graph, node.inputs[k]));
        let (c, max) = match (op, c) {
            (Op::Unary(UnaryFn::Relu), None) => (0, true),
            (Op::Binary(BinaryOp::Max), Some(c)) if c <= 0 && -(c as i128) < full => (c, true),
            (Op::Binary(BinaryOp::Min), Some(c)) if c >= 0 && (c as i128) < full => (c, false),
            _ => continue,
        };
        let input = node.inputs[operand];
        let range = &graph.nodes[input].range;
        let wide = i128::from(c);
        let fits = range.hi - wide < full && wide - range.lo < full;
        if !fits || PaddedShape::new(&node.shape).num_vars() == 0 {
            continue;
        }
        out.push(Clamp {
            node: id,
            input,
            c,
            max,
        });
    }
    out
}

/// The difference column `y − x` (max) or `x − y` (min) of a clamp (prover side).
pub fn gap_values(k: &Clamp, padded: &[PaddedTensor]) -> Vec<F> {
    let (y, x) = (&padded[k.node].evals, &padded[k.input].evals);
    y.iter()
        .zip(x)
        .map(|(&y, &x)| if k.max { y - x } else { x - y })
        .collect()
}

/// The claims on `y` and `x` that a difference column's claim `B(r) = v` gives with
/// `Y(r) = gap`.
fn gap_claims(k: &Clamp, point: &[EF], v: EF, gap: EF, on_node: &mut [Vec<EvalClaim>]) {
    let x = if k.max { gap - v } else { gap + v };
    on_node[k.node].push(EvalClaim::new(point.to_vec(), gap));
    on_node[k.input].push(EvalClaim::new(point.to_vec(), x));
}

/// Proves every clamp's zero-check, given the lookup argument's point and value for each
/// clamp's difference column; pushes the resulting claims on `y` and `x`.
///
/// # Transcript
/// `observe_ext_slice(b"clamp/gaps", gaps)` (every clamp's `Y` at its difference column's
/// point); then, with clamps, the batched zero-check of `(Y − c)(Y − X)` over every clamp
/// (`graph::zero_check::prove`) and `observe_ext_slice(b"clamp/evals", [Y_k(ρ_k), X_k(ρ_k)]…)`
/// (every clamp's pair, node order).
pub fn prove_clamps(
    clamps: &[Clamp],
    padded: &[PaddedTensor],
    gap_points: &[(Vec<EF>, EF)],
    t: &mut Transcript,
    on_node: &mut [Vec<EvalClaim>],
) -> ClampsProof {
    let gaps: Vec<EF> = clamps
        .iter()
        .zip(gap_points)
        .map(|(k, (r, _))| padded[k.node].eval(r))
        .collect();
    t.observe_ext_slice(b"clamp/gaps", &gaps);
    for ((k, (r, v)), &gap) in clamps.iter().zip(gap_points).zip(&gaps) {
        gap_claims(k, r, *v, gap, on_node);
    }
    if clamps.is_empty() {
        return ClampsProof {
            clamps: Vec::new(),
            zero_check: ZeroCheckProof { rounds: Vec::new() },
        };
    }
    let instances: Vec<Instance<'_>> = clamps
        .iter()
        .map(|k| Instance {
            y: &padded[k.node].evals,
            x: &padded[k.input].evals,
            c: from_i64(k.c),
        })
        .collect();
    let out = zero_check::prove(&instances, t);
    let evals: Vec<EF> = out.evals.iter().flat_map(|&(y, x)| [y, x]).collect();
    t.observe_ext_slice(b"clamp/evals", &evals);
    let mut proofs = Vec::with_capacity(clamps.len());
    for ((k, &(y, x)), &gap) in clamps.iter().zip(&out.evals).zip(&gaps) {
        let rho = out.point[..padded[k.node].shape.num_vars()].to_vec();
        on_node[k.node].push(EvalClaim::new(rho.clone(), y));
        on_node[k.input].push(EvalClaim::new(rho, x));
        proofs.push(ClampProof {
            gap,
            output: y,
            input: x,
        });
    }
    ClampsProof {
        clamps: proofs,
        zero_check: out.proof,
    }
}

/// Verifies every clamp's zero-check (see [`prove_clamps`] for the transcript) and pushes the
/// claims on `y` and `x`.
pub fn verify_clamps(
    graph: &QGraph,
    clamps: &[Clamp],
    proof: &ClampsProof,
    gap_points: &[(Vec<EF>, EF)],
    t: &mut Transcript,
    on_node: &mut [Vec<EvalClaim>],
) -> Result<(), ProofError> {
    let proofs = &proof.clamps;
    if proofs.len() != clamps.len() || gap_points.len() != clamps.len() {
        return Err(ProofError::Malformed(format!(
            "{} clamp proofs for {} clamps",
            proofs.len(),
            clamps.len()
        )));
    }
    let gaps: Vec<EF> = proofs.iter().map(|p| p.gap).collect();
    t.observe_ext_slice(b"clamp/gaps", &gaps);
    for ((k, (r, v)), p) in clamps.iter().zip(gap_points).zip(proofs) {
        gap_claims(k, r, *v, p.gap, on_node);
    }
    if clamps.is_empty() {
        return if proof.zero_check.rounds.is_empty() {
            Ok(())
        } else {
            Err(ProofError::Malformed(
                "a clamp zero-check without clamps".into(),
            ))
        };
    }
    let vars: Vec<usize> = clamps
        .iter()
        .map(|k| PaddedShape::new(&graph.nodes[k.node].shape).num_vars())
        .collect();
    let rejected = |reason: String| ProofError::Rejected {
        at: "clamp zero-check".into(),
        reason,
    };
    let sub =
        zero_check::verify(&vars, &proof.zero_check, t).map_err(|e| rejected(e.to_string()))?;
    let evals: Vec<EF> = proofs.iter().flat_map(|p| [p.output, p.input]).collect();
    t.observe_ext_slice(b"clamp/evals", &evals);
    let mut want = EF::ZERO;
    for ((k, p), weight) in clamps.iter().zip(proofs).zip(sub.alpha.powers()) {
        want += weight * (p.output - EF::from(from_i64(k.c))) * (p.output - p.input);
    }
    if want != sub.expected {
        return Err(rejected(
            "the final evaluation differs from Σ α^k (y − c)(y − x) at the point".into(),
        ));
    }
    for ((k, p), &nv) in clamps.iter().zip(proofs).zip(&vars) {
        let rho = sub.point[..nv].to_vec();
        on_node[k.node].push(EvalClaim::new(rho.clone(), p.output));
        on_node[k.input].push(EvalClaim::new(rho, p.input));
    }
    Ok(())
}
