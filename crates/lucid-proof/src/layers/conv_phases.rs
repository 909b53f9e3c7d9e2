//! The skeleton shared by [`super::conv`] and [`super::deconv`]: the bias evaluation, then two
//! sumchecks — step 1 over (channels ×) kernel taps ending in `w = W(·)` and `u = U(·)`, step 2
//! over input positions proving `u` against a verifier-computable weight table and ending in
//! `ξ = X(·)`. Each geometry supplies only its tables, its point splits and its public weights.
//!
//! # Transcript
//! With a bias: `observe_ext(b"layer/bias", β)`. Step 1's sumcheck (claimed sum `T`, the claim
//! minus the bias term); `observe_ext_slice(b"layer/evals", [w, u])`; step 2's sumcheck (claimed
//! sum `u`); `observe_ext(b"layer/eval", ξ)`.

use lucid_core::field::EF;
use lucid_core::sumcheck::{self, ProductTerm, SumOfProducts};
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;

use super::conv::ConvProof;
use super::{LayerError, LayerProof};
use crate::layout::PaddedTensor;

/// The single degree-2 term `X·K` of step 2.
fn step2_terms() -> Vec<ProductTerm> {
    vec![ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1],
    }]
}

/// Prover: sends `bias(r_o)` when there is a bias operand and returns it with the target `T`
/// of step 1 (`claim_value − β·bias_factor`).
pub(super) fn prove_bias(
    bias: Option<&PaddedTensor>,
    ro: &[EF],
    bias_factor: EF,
    claim_value: EF,
    transcript: &mut Transcript,
) -> (Option<EF>, EF) {
    let beta = bias.map(|b| {
        let v = b.eval(ro);
        transcript.observe_ext(b"layer/bias", v);
        v
    });
    (
        beta,
        claim_value - beta.map_or(EF::ZERO, |b| b * bias_factor),
    )
}

/// Prover: runs step 1 on `step1` (its last two tables are `W` and `U`) for the sum `t`, then
/// step 2 on `[X restricted, K]` built by `step2` from step 1's final point. Returns the proof
/// with step 1's and step 2's points.
pub(super) fn prove_steps(
    bias: Option<EF>,
    step1: SumOfProducts,
    t: EF,
    step2: impl FnOnce(&[EF]) -> (usize, Vec<EF>, Vec<EF>),
    transcript: &mut Transcript,
) -> (ConvProof, Vec<EF>, Vec<EF>) {
    let nt = step1.tables.len();
    let out1 = sumcheck::prove(step1, t, transcript);
    let (w_eval, u_eval) = (out1.table_evals[nt - 2], out1.table_evals[nt - 1]);
    transcript.observe_ext_slice(b"layer/evals", &[w_eval, u_eval]);

    let (vars, x_table, k_table) = step2(&out1.point);
    let mut poly = SumOfProducts::new(vars);
    poly.add_table(x_table);
    poly.add_table(k_table);
    poly.terms = step2_terms();
    let out2 = sumcheck::prove(poly, u_eval, transcript);
    let x_eval = out2.table_evals[0];
    transcript.observe_ext(b"layer/eval", x_eval);
    let proof = ConvProof {
        bias,
        channels: out1.proof,
        w_eval,
        u_eval,
        positions: out2.proof,
        x_eval,
    };
    (proof, out1.point, out2.point)
}

/// Verifier: the proof must be a [`ConvProof`] with a bias evaluation exactly when the node has
/// a bias; observes the bias and returns the proof with step 1's target `T`.
pub(super) fn verify_bias<'p>(
    proof: &'p LayerProof,
    has_bias: bool,
    bias_factor: impl FnOnce() -> EF,
    claim_value: EF,
    transcript: &mut Transcript,
) -> Result<(&'p ConvProof, EF), LayerError> {
    let LayerProof::Conv(p) = proof else {
        return Err(LayerError::WrongProofKind {
            expected: "Conv",
            got: proof.kind(),
        });
    };
    if p.bias.is_some() != has_bias {
        return Err(LayerError::WrongCount {
            what: "bias evaluations",
            expected: usize::from(has_bias),
            got: usize::from(p.bias.is_some()),
        });
    }
    if let Some(b) = p.bias {
        transcript.observe_ext(b"layer/bias", b);
    }
    Ok((
        p,
        claim_value - p.bias.map_or(EF::ZERO, |b| b * bias_factor()),
    ))
}

/// The public shape of the two steps, for the verifier.
pub(super) struct StepShapes {
    pub step1_vars: usize,
    pub step1_terms: Vec<ProductTerm>,
    pub step2_vars: usize,
}

/// Verifier: replays both sumchecks. `step1_public` gives the evaluations of step 1's public
/// tables (placed before `w` and `u`) at step 1's point; `step2_weight` gives `K` at step 2's
/// point from both points. Returns step 1's and step 2's points.
pub(super) fn verify_steps(
    p: &ConvProof,
    t: EF,
    shapes: &StepShapes,
    step1_public: impl FnOnce(&[EF]) -> Vec<EF>,
    step2_weight: impl FnOnce(&[EF], &[EF]) -> EF,
    transcript: &mut Transcript,
) -> Result<(Vec<EF>, Vec<EF>), LayerError> {
    let deg1 = shapes
        .step1_terms
        .iter()
        .map(|term| term.factors.len())
        .max()
        .unwrap_or(0);
    let sub1 = sumcheck::verify(shapes.step1_vars, deg1, t, &p.channels, transcript)?;
    transcript.observe_ext_slice(b"layer/evals", &[p.w_eval, p.u_eval]);
    let mut evals = step1_public(&sub1.point);
    evals.extend([p.w_eval, p.u_eval]);
    sub1.check(&shapes.step1_terms, &evals)?;
    let sub2 = sumcheck::verify(shapes.step2_vars, 2, p.u_eval, &p.positions, transcript)?;
    transcript.observe_ext(b"layer/eval", p.x_eval);
    let k = step2_weight(&sub1.point, &sub2.point);
    sub2.check(&step2_terms(), &[p.x_eval, k])?;
    Ok((sub1.point, sub2.point))
}
