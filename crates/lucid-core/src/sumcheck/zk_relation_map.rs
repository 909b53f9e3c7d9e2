//! Zero-knowledge reduction of a claim on a *public linear image* of a blinded tensor (see the
//! parent module's "Linear relations"): `Y = L(X)` with `L` a public linear map (pooling,
//! layout-changing reshapes, slicing, an element-wise product with a bound weight), whose
//! virtual output's mask is *derived*, `R_Y := L(R_X)`. Then `Y' = L(X')` on both halves, and a
//! claim `Y'(c0, r) = v` is
//!
//! ```text
//! v = Σ_{(c, x)} Π_j W_j(c, x) · X'(c, x)        (e.g. W_0(c, x) = eq(c0, c)·L_r(x))
//! ```
//!
//! with public multilinear *weight* tables `W_j` over the `n + 1` variables of `X' = [X ; R_X]`
//! (`L_r(x)` the coefficient of `X(x)` in `Y(r)`). A zero-knowledge sumcheck of degree
//! `#W + 1` ends in one claim `X'(c*, x*) = e` and the weights' values at `(c*, x*)`, which the
//! caller evaluates (public maps) or settles elsewhere (a weight bound by the key's commitment).
//!
//! **Reveals**: the Libra mask sum and masked round polynomials (uniform given the running
//! claim), the public coins, `e = (1 − c*)·X(x*) + c*·R_X(x*)` and, at the opening, the Libra
//! mask value (fixed by the final equation). **Simulatable** ([`simulate_blinded_map`]): `e` is
//! uniform and independent of everything revealed before as long as `c* ≠ 0` and the query
//! `eq(x*, ·)` on `R_X` is linearly independent of that mask's earlier queries — one query per
//! reduction, counted in the caller's budget like a relation's operand.
//!
//! **Soundness**: the zero-knowledge sumcheck's; the claim on `Y'` is, by the definition of a
//! derived mask, the claim on `L(X')`, and the weights are public (or bound) polynomials.

use p3_field::PrimeCharacteristicRing;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::{BlindedClaim, check_mask};
use crate::field::EF;
use crate::mle::log2_exact;
use crate::sumcheck::zk::{ZkMask, ZkSubclaim, ZkSumcheckProof, prove_zk, simulate_zk, verify_zk};
use crate::sumcheck::{MAX_DEGREE, ProductTerm, SumOfProducts, SumcheckError};
use crate::transcript::Transcript;

/// A zero-knowledge map proof: the sumcheck and `X'(c*, x*)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindedMapProof {
    pub sumcheck: ZkSumcheckProof,
    pub eval: EF,
}

/// The prover's result: the claim on the input and the Libra-mask opening.
#[derive(Clone, Debug)]
pub struct BlindedMapOutput {
    /// `X'(c*, x*) = e`.
    pub claim: BlindedClaim,
    /// `(c*, x*)`: where the Libra mask and the weights are evaluated.
    pub point: Vec<EF>,
    /// `g(c*, x*)`.
    pub mask_eval: EF,
    pub rho: EF,
}

/// What the verifier is left with: [`Self::claim`] to settle, and the final equation, checked
/// with the weights' values at [`Self::mask_point`] and the opened Libra mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlindedMapSubclaim {
    pub claim: BlindedClaim,
    num_weights: usize,
    zk: ZkSubclaim,
}

impl BlindedMapSubclaim {
    /// `(c*, x*)`: where the Libra mask and the weight tables are evaluated.
    pub fn mask_point(&self) -> &[EF] {
        &self.zk.point
    }

    /// `Π_j W_j(c*, x*)·e + ρ·g(c*, x*) = v_final`. Never panics (a wrong number of weight
    /// values is an error).
    pub fn check(&self, weight_evals: &[EF], mask_eval: EF) -> Result<(), SumcheckError> {
        if weight_evals.len() != self.num_weights {
            return Err(SumcheckError::WrongCount {
                what: "map weight evaluations",
                expected: self.num_weights,
                got: weight_evals.len(),
            });
        }
        let mut evals = weight_evals.to_vec();
        evals.push(self.claim.value);
        self.zk
            .check(&map_terms(self.num_weights), &evals, mask_eval)
    }
}

/// The single term `W_0 ⋯ W_{k−1} · X'`.
fn map_terms(num_weights: usize) -> Vec<ProductTerm> {
    vec![ProductTerm {
        coeff: EF::ONE,
        factors: (0..=num_weights).collect(),
    }]
}

/// The sumcheck's variables and degree (for the Libra mask) of a map on an input of `num_vars`
/// variables with `num_weights` weight tables: `(num_vars + 1, num_weights + 1)`.
pub fn blinded_map_shape(num_vars: usize, num_weights: usize) -> (usize, usize) {
    (num_vars + 1, (num_weights + 1).max(2))
}

fn check_weights(num_weights: usize) -> Result<(), SumcheckError> {
    if num_weights == 0 || num_weights + 1 > MAX_DEGREE {
        return Err(SumcheckError::UnsupportedDegree {
            max: MAX_DEGREE,
            got: num_weights + 1,
        });
    }
    Ok(())
}

/// Binds the output claim.
fn observe_claim(claim: &BlindedClaim, transcript: &mut Transcript) {
    let mut msg = claim.full_point();
    msg.push(claim.value);
    transcript.observe_ext_slice(b"zk-map/claim", &msg);
}

/// Reduces `claim` (on `Y'`, `Y = L(X)`) to one claim on the blinded input `table = [X ; R_X]`
/// (`2^{n+1}` entries), given the public weight tables over `(c, x)` (each `2^{n+1}` entries,
/// with `Σ Π_j W_j·X' = claim.value`), with a Libra `mask` of shape [`blinded_map_shape`]
/// already committed and absorbed by the caller. Shape errors are errors; a false claim yields
/// a proof the verifier rejects.
///
/// # Transcript
/// (After the caller's Libra-mask commitment.) `observe_ext_slice(b"zk-map/claim", c0 ‖ r ‖ v)`;
/// the zero-knowledge sumcheck over `n + 1` variables with claimed sum `v` ([`prove_zk`]);
/// `observe_ext(b"zk-map/eval", e)`.
pub fn prove_blinded_map(
    table: &[EF],
    weights: Vec<Vec<EF>>,
    claim: &BlindedClaim,
    mask: &ZkMask,
    transcript: &mut Transcript,
) -> Result<(BlindedMapProof, BlindedMapOutput), SumcheckError> {
    let num_vars = log2_exact(table.len())
        .and_then(|v| v.checked_sub(1))
        .ok_or(SumcheckError::InvalidShape(
            "a blinded table has 2^(n+1) entries",
        ))?;
    check_weights(weights.len())?;
    if weights.iter().any(|w| w.len() != table.len()) {
        return Err(SumcheckError::InvalidShape(
            "a map weight table must have the blinded input's length",
        ));
    }
    let k = weights.len();
    let (vars, degree) = blinded_map_shape(num_vars, k);
    check_mask(mask, vars, degree)?;
    observe_claim(claim, transcript);
    let mut poly = SumOfProducts::new(vars);
    for w in weights {
        poly.add_table(w);
    }
    poly.add_table(table.to_vec());
    poly.terms = map_terms(k);
    let out = prove_zk(poly, claim.value, mask, transcript);
    let eval = out.table_evals[k];
    transcript.observe_ext(b"zk-map/eval", eval);
    let claim = BlindedClaim::new(out.point[0], out.point[1..].to_vec(), eval);
    Ok((
        BlindedMapProof {
            sumcheck: out.proof,
            eval,
        },
        BlindedMapOutput {
            claim,
            point: out.point,
            mask_eval: out.mask_eval,
            rho: out.rho,
        },
    ))
}

/// Verifies a map proof of `claim` onto an input of `num_vars` variables with `num_weights`
/// weight tables. Never panics on a malformed proof.
///
/// # Transcript
/// As [`prove_blinded_map`].
pub fn verify_blinded_map(
    num_vars: usize,
    num_weights: usize,
    claim: &BlindedClaim,
    proof: &BlindedMapProof,
    transcript: &mut Transcript,
) -> Result<BlindedMapSubclaim, SumcheckError> {
    check_weights(num_weights)?;
    let (vars, degree) = blinded_map_shape(num_vars, num_weights);
    observe_claim(claim, transcript);
    let zk = verify_zk(vars, degree, claim.value, &proof.sumcheck, transcript)?;
    transcript.observe_ext(b"zk-map/eval", proof.eval);
    let claim = BlindedClaim::new(zk.point[0], zk.point[1..].to_vec(), proof.eval);
    Ok(BlindedMapSubclaim {
        claim,
        num_weights,
        zk,
    })
}

/// A map transcript produced without a witness by [`simulate_blinded_map`].
#[derive(Clone, Debug)]
pub struct SimulatedMap {
    pub proof: BlindedMapProof,
    pub point: Vec<EF>,
    pub mask_eval: EF,
}

/// The honest-verifier simulator of [`prove_blinded_map`]: `simulate_zk`, a uniform `e`, and
/// the Libra-mask value solved from the final equation (`weight_evals` maps `(c*, x*)` to the
/// weights' values there). An error on an invalid shape or if the simulated `ρ` is zero.
pub fn simulate_blinded_map<W: FnOnce(&[EF]) -> Vec<EF>, R: Rng + ?Sized>(
    num_vars: usize,
    num_weights: usize,
    claim: &BlindedClaim,
    weight_evals: W,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<SimulatedMap, SumcheckError> {
    check_weights(num_weights)?;
    let (vars, degree) = blinded_map_shape(num_vars, num_weights);
    observe_claim(claim, transcript);
    let sim = simulate_zk(vars, degree, claim.value, transcript, rng);
    let eval: EF = rng.random();
    transcript.observe_ext(b"zk-map/eval", eval);
    let w = weight_evals(&sim.point);
    if w.len() != num_weights {
        return Err(SumcheckError::WrongCount {
            what: "map weight evaluations",
            expected: num_weights,
            got: w.len(),
        });
    }
    let f_eval = w.iter().copied().product::<EF>() * eval;
    let mask_eval = sim
        .mask_eval_for(f_eval)
        .ok_or(SumcheckError::InvalidShape("simulated rho is zero"))?;
    Ok(SimulatedMap {
        proof: BlindedMapProof {
            sumcheck: sim.proof,
            eval,
        },
        point: sim.point,
        mask_eval,
    })
}

/// `eq(c0, c)` spread over the `(c, x)` table of `2^{n+1}` entries times `table` (over `x`): the
/// usual first weight `W_0(c, x) = eq(c0, c)·L_r(x)`.
pub fn c_weighted(c0: EF, table: &[EF]) -> Vec<EF> {
    let lo = EF::ONE - c0;
    table
        .iter()
        .map(|&v| lo * v)
        .chain(table.iter().map(|&v| c0 * v))
        .collect()
}
