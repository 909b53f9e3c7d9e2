//! Element-wise operators and free data movement.
//!
//! - `Identity`: `Y(r) = X(r)`; `Transpose`: `Y(r) = X(r')` with the sub-points permuted;
//!   `Requant` with `shift ≤ 0`: `Y(r) = 2^{−shift}·X(r)` (the compiler proves the clamp never
//!   acts). No message ([`LayerProof::Free`]).
//! - `Broadcast`: `Y(r) = X(r_kept)·Π_{broadcast i} S_i(r_i)`; the prover sends `X(r_kept)`.
//! - `Add` / `Sub` with shifts and numpy broadcasting:
//!   `Z(r) = 2^{s_a}·f_A·A(r_A) ± 2^{s_b}·f_B·B(r_B)`, `f` the broadcast selector factors; the
//!   prover sends `A(r_A)`, `B(r_B)` and the verifier checks the combination.
//! - `Mul` (broadcast): a degree-3 sumcheck of `eq(r, x)·A'(x)·B'(x)`, `A'`, `B'` the operands
//!   broadcast to the output's padded layout; at the final point `r'` the prover sends `A(r'_A)`
//!   and `B(r'_B)`, and `A'(r') = A(r'_A)·f_A(r')`.

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, eq_eval, eq_table};
use lucid_core::sumcheck::{self, ProductTerm, SumOfProducts};
use lucid_core::transcript::Transcript;
use lucid_model::ir::Op;
use lucid_model::quant::QOp;
use p3_field::{Field, PrimeCharacteristicRing};

use super::{
    LayerError, LayerProof, NodeCtx, OperandClaim, ProductProof, check_count, expect_free,
};
use crate::layout::{Broadcast, PaddedTensor};

/// `2^k` in the field.
fn pow2(k: u32) -> EF {
    EF::from(F::from_u64(1u64 << k.min(63)))
}

/// The two broadcasts of a binary element-wise operator.
fn binary_broadcasts(ctx: &NodeCtx<'_>) -> Result<[Broadcast; 2], LayerError> {
    ctx.expect_operands(2..=2)?;
    let b = |i: usize| {
        Broadcast::new(ctx.shapes[i], &ctx.node.shape)
            .map_err(|e| ctx.err(format!("operand {i}: {e}")))
    };
    Ok([b(0)?, b(1)?])
}

/// Coefficients `(c_a, c_b)` of `Z = c_a·A + c_b·B` for `Add`/`Sub`.
fn linear_coeffs(op: &QOp) -> Option<(EF, EF)> {
    match op {
        QOp::Add { shifts } => Some((pow2(shifts[0]), pow2(shifts[1]))),
        QOp::Sub { shifts } => Some((pow2(shifts[0]), -pow2(shifts[1]))),
        _ => None,
    }
}

fn claim_on(operand: usize, point: Vec<EF>, value: EF) -> OperandClaim {
    OperandClaim {
        operand,
        claim: EvalClaim::new(point, value),
    }
}

/// The single claim of a free unary operator (`Identity`, `Transpose`, `Requant` with
/// `shift ≤ 0`), or `None` for other operators.
fn free_unary(ctx: &NodeCtx<'_>, claim: &EvalClaim) -> Result<Option<OperandClaim>, LayerError> {
    let out = ctx.out_shape();
    match &ctx.node.op {
        QOp::Exact(Op::Identity) => {
            ctx.expect_operands(1..=1)?;
            same_layout(ctx)?;
            Ok(Some(claim_on(0, claim.point.clone(), claim.value)))
        }
        QOp::Exact(Op::Transpose { perm }) => {
            ctx.expect_operands(1..=1)?;
            let permuted: Vec<usize> = perm
                .iter()
                .map(|&p| ctx.shapes[0].get(p).copied().unwrap_or(0))
                .collect();
            if perm.len() != ctx.shapes[0].len() || permuted != ctx.node.shape {
                return Err(ctx.err(format!(
                    "transpose {perm:?} of {:?} is not {:?}",
                    ctx.shapes[0], ctx.node.shape
                )));
            }
            let point = out.permute_point(perm, &claim.point)?;
            Ok(Some(claim_on(0, point, claim.value)))
        }
        QOp::Requant { shift, .. } => {
            ctx.expect_operands(1..=1)?;
            if *shift > 0 {
                return Err(ctx.unsupported("a requantization with a positive shift is a lookup"));
            }
            if *shift < -62 {
                return Err(ctx.err(format!("requantization shift {shift} below -62")));
            }
            same_layout(ctx)?;
            let scale = pow2(shift.unsigned_abs());
            let inv = scale.try_inverse().expect("a power of two is invertible");
            Ok(Some(claim_on(0, claim.point.clone(), claim.value * inv)))
        }
        _ => Ok(None),
    }
}

/// Checks that operand 0 has the output's shape.
fn same_layout(ctx: &NodeCtx<'_>) -> Result<(), LayerError> {
    if ctx.shapes[0] != ctx.node.shape.as_slice() {
        return Err(ctx.err(format!(
            "operand shape {:?} differs from the output {:?}",
            ctx.shapes[0], ctx.node.shape
        )));
    }
    Ok(())
}

fn mul_terms() -> [ProductTerm; 1] {
    [ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1, 2],
    }]
}

/// Prover of the operators of this module.
///
/// # Transcript
/// - free operators: nothing;
/// - `Broadcast`: `observe_ext_slice(b"layer/evals", [X(r_kept)])`;
/// - `Add`/`Sub`: `observe_ext_slice(b"layer/evals", [A(r_A), B(r_B)])`;
/// - `Mul`: the sumcheck over the output's variables (degree 3, claimed sum `claim.value`),
///   then `observe_ext_slice(b"layer/evals", [A(r'_A), B(r'_B)])`.
pub fn prove(
    ctx: &NodeCtx<'_>,
    operands: &[&PaddedTensor],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
    if let Some(c) = free_unary(ctx, claim)? {
        return Ok((LayerProof::Free, vec![c]));
    }
    match &ctx.node.op {
        QOp::Exact(Op::Broadcast { .. }) => {
            ctx.expect_operands(1..=1)?;
            let b = Broadcast::new(ctx.shapes[0], &ctx.node.shape)
                .map_err(|e| ctx.err(e.to_string()))?;
            let (p, _) = b.project(&claim.point)?;
            let v = operands[0].eval(&p);
            transcript.observe_ext_slice(b"layer/evals", &[v]);
            Ok((LayerProof::Evals(vec![v]), vec![claim_on(0, p, v)]))
        }
        QOp::Add { .. } | QOp::Sub { .. } => {
            let [ba, bb] = binary_broadcasts(ctx)?;
            let (pa, _) = ba.project(&claim.point)?;
            let (pb, _) = bb.project(&claim.point)?;
            let (a, b) = (operands[0].eval(&pa), operands[1].eval(&pb));
            transcript.observe_ext_slice(b"layer/evals", &[a, b]);
            Ok((
                LayerProof::Evals(vec![a, b]),
                vec![claim_on(0, pa, a), claim_on(1, pb, b)],
            ))
        }
        QOp::Mul => {
            let [ba, bb] = binary_broadcasts(ctx)?;
            let n = ba.to.num_vars();
            let mut poly = SumOfProducts::new(n);
            poly.add_table(eq_table(&claim.point));
            poly.add_table(ba.expand(&operands[0].evals));
            poly.add_table(bb.expand(&operands[1].evals));
            poly.terms.extend(mul_terms());
            let out = sumcheck::prove(poly, claim.value, transcript);
            let (pa, _) = ba.project(&out.point)?;
            let (pb, _) = bb.project(&out.point)?;
            let (a, b) = (operands[0].eval(&pa), operands[1].eval(&pb));
            transcript.observe_ext_slice(b"layer/evals", &[a, b]);
            Ok((
                LayerProof::Mul(ProductProof {
                    sumcheck: out.proof,
                    evals: vec![a, b],
                }),
                vec![claim_on(0, pa, a), claim_on(1, pb, b)],
            ))
        }
        _ => Err(ctx.unsupported("not an element-wise operator")),
    }
}

/// Verifier of the operators of this module.
///
/// # Transcript
/// As in [`prove`].
pub fn verify(
    ctx: &NodeCtx<'_>,
    claim: &EvalClaim,
    proof: &LayerProof,
    transcript: &mut Transcript,
) -> Result<Vec<OperandClaim>, LayerError> {
    if let Some(c) = free_unary(ctx, claim)? {
        expect_free(proof)?;
        return Ok(vec![c]);
    }
    let evals = || match proof {
        LayerProof::Evals(e) => Ok(e),
        other => Err(LayerError::WrongProofKind {
            expected: "Evals",
            got: other.kind(),
        }),
    };
    match &ctx.node.op {
        QOp::Exact(Op::Broadcast { .. }) => {
            ctx.expect_operands(1..=1)?;
            let b = Broadcast::new(ctx.shapes[0], &ctx.node.shape)
                .map_err(|e| ctx.err(e.to_string()))?;
            let e = evals()?;
            check_count("broadcast evaluations", 1, e.len())?;
            transcript.observe_ext_slice(b"layer/evals", e);
            let (p, f) = b.project(&claim.point)?;
            let got = e[0] * f;
            if got != claim.value {
                return Err(LayerError::Mismatch {
                    what: "broadcast",
                    expected: claim.value,
                    got,
                });
            }
            Ok(vec![claim_on(0, p, e[0])])
        }
        op @ (QOp::Add { .. } | QOp::Sub { .. }) => {
            let [ba, bb] = binary_broadcasts(ctx)?;
            let (ca, cb) = linear_coeffs(op).expect("Add or Sub");
            let e = evals()?;
            check_count("operand evaluations", 2, e.len())?;
            transcript.observe_ext_slice(b"layer/evals", e);
            let (pa, fa) = ba.project(&claim.point)?;
            let (pb, fb) = bb.project(&claim.point)?;
            let got = ca * fa * e[0] + cb * fb * e[1];
            if got != claim.value {
                return Err(LayerError::Mismatch {
                    what: "linear combination of the operands",
                    expected: claim.value,
                    got,
                });
            }
            Ok(vec![claim_on(0, pa, e[0]), claim_on(1, pb, e[1])])
        }
        QOp::Mul => {
            let [ba, bb] = binary_broadcasts(ctx)?;
            let LayerProof::Mul(p) = proof else {
                return Err(LayerError::WrongProofKind {
                    expected: "Mul",
                    got: proof.kind(),
                });
            };
            let e = &p.evals;
            check_count("operand evaluations", 2, e.len())?;
            let sub = sumcheck::verify(ba.to.num_vars(), 3, claim.value, &p.sumcheck, transcript)?;
            transcript.observe_ext_slice(b"layer/evals", e);
            let (pa, fa) = ba.project(&sub.point)?;
            let (pb, fb) = bb.project(&sub.point)?;
            let table_evals = [eq_eval(&claim.point, &sub.point), e[0] * fa, e[1] * fb];
            sub.check(&mul_terms(), &table_evals)?;
            Ok(vec![claim_on(0, pa, e[0]), claim_on(1, pb, e[1])])
        }
        _ => Err(ctx.unsupported("not an element-wise operator")),
    }
}
