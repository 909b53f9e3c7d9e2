//! Batching many evaluation claims on a hiding commitment into `n + 1` claims before the
//! HVZK-WHIR opening.
//!
//! HVZK-WHIR's prover pays for every claim on the whole stacked polynomial (it evaluates the
//! stack at the claim's point and adds the claim's eq table over the whole stack), so hundreds
//! of claims on small tables of a large stack cost far more than the opening itself. With
//! `m` claims `table_{t_i}(z_i) = v_i` on the stacked polynomial `P` of `n` variables (lifted
//! points `Z_i = (slot bits of t_i ‖ z_i)`, see [`super::HidingLayout`]):
//!
//! 1. the verifier draws `α`;
//! 2. prover and verifier run a zero-knowledge sumcheck ([`lucid_core::sumcheck::zk`], degree 2)
//!    for `Σ_x P(x)·E(x) = Σ_i α^i·v_i` with `E = Σ_i α^i·eq(Z_i, ·)`, masked by the Libra mask
//!    `g` that [`super::commit`] placed in the stack (table `MASK`, packed as in
//!    [`lucid_core::sumcheck::zk_pack`]) — so `g` is bound by the root before `ρ` is drawn;
//! 3. the sumcheck ends at a random point `r`: the prover sends `p = P(r)` and the rows
//!    `g_j(r_j)`; the verifier computes `E(r)` itself (each `eq(Z_i, r)` in `O(n)`) and checks
//!    `p·E(r) + ρ·Σ_j g_j(r_j)` against the sumcheck's final value;
//! 4. one HVZK-WHIR opening proves `P(r) = p` and the `n` packed-row claims of the mask.
//!
//! The prover builds `E` slot by slot (each claim costs its own table's size, not the
//! stack's) and runs one sumcheck over the stack; WHIR then sees `n + 1` claims instead of `m`.
//!
//! # Soundness
//!
//! If some `v_i` is wrong, then `Σ_i α^i·(v_i − table_{t_i}(z_i)) ≠ 0` except for at most
//! `m − 1` values of `α`; the zero-knowledge sumcheck then fails except with probability
//! `(2n + 1)/|EF|` (two per round, one for `ρ`), and the final check binds `p` and the rows to
//! the committed `P` and `g` through the WHIR opening. With `|EF| ≈ 2^192` these terms are
//! below `2^-170` and do not lower the opening's security.
//!
//! # Zero knowledge
//!
//! The sumcheck's messages are simulatable given one value `P(r)·E(r)` (Libra; see
//! [`lucid_core::sumcheck::zk`]), and the rows `g_j(r_j)` given their sum. `P(r)` itself is
//! uniform and independent of every other revealed value: the stack holds a table `BLIND` of
//! fresh uniform entries that no claim may name, so `P(r)` contains the term
//! `eq(slot bits of BLIND, r)·BLIND(r')` with a nonzero coefficient (except with probability
//! `n/|EF|` over `r`), and `BLIND(r')` is queried at this one point only. The WHIR opening then
//! reveals only the claimed values `p` and `λ·g_j(r_j)`.

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_eval, lift};
use lucid_core::sumcheck::zk::{ZkMask, ZkSumcheckProof, prove_zk, verify_zk};
use lucid_core::sumcheck::zk_pack::{row_claims_sized, row_values};
use lucid_core::sumcheck::{ProductTerm, SumOfProducts};
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use p3_multilinear_util::point::Point;
use serde::{Deserialize, Serialize};

use super::HidingLayout;
use crate::error::PcsError;
use crate::proof::EvalClaim;
use crate::stack::{claim_weights, combine};

/// Degree of the batching sumcheck (`P·E`).
pub(crate) const DEGREE: usize = 2;

/// Claims beyond the `n + 1` a batched opening carries, below which the claims go to WHIR as
/// they are (batching would not pay for its sumcheck).
const MARGIN: usize = 4;

/// Whether an opening of `num_claims` claims on a stack of `num_variables` variables batches
/// them first (both sides decide alike from public data).
pub(crate) fn batches(num_claims: usize, num_variables: usize) -> bool {
    num_claims > num_variables + 1 + MARGIN
}

/// The claims WHIR sees for an opening of `num_claims` caller claims.
pub(crate) fn whir_claims(num_claims: usize, num_variables: usize) -> usize {
    if batches(num_claims, num_variables) {
        num_variables + 1
    } else {
        num_claims
    }
}

/// What a batched opening adds to the HVZK-WHIR proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClaimBatch {
    /// The zero-knowledge sumcheck of `Σ_x P(x)·E(x)`.
    pub sumcheck: ZkSumcheckProof,
    /// `P(r)` at the sumcheck's point.
    pub stacked_eval: EF,
    /// The mask rows `g_j(r_j)`, one per stacked variable.
    pub mask_rows: Vec<EF>,
}

/// The reduced claims WHIR opens: stacked points and their values.
pub(crate) type StackedClaims = (Vec<Point<EF>>, Vec<EF>);

/// The claims WHIR opens after the sumcheck ended at `point`: `P(point) = stacked_eval`, and
/// each mask row on the `MASK` table's slot.
fn reduced_claims(
    layout: &HidingLayout,
    point: &[EF],
    stacked_eval: EF,
    mask_rows: &[EF],
) -> StackedClaims {
    let mask_table = layout.mask_table();
    let mut points = vec![Point::new(point.to_vec())];
    let mut values = vec![stacked_eval];
    for (p, v) in row_claims_sized(
        layout.num_variables,
        super::MASK_ROWS,
        DEGREE,
        point,
        mask_rows,
    ) {
        points.push(layout.lift(mask_table, &p));
        values.push(v);
    }
    (points, values)
}

/// The batching transcript's opening: a label and `α`.
fn sample_alpha(transcript: &mut Transcript) -> EF {
    transcript.label(b"lucid-pcs/batch");
    transcript.sample_ext(b"lucid-pcs/batch-alpha")
}

/// Proves the batch (after the caller bound the claims) and returns it with the claims WHIR
/// must open.
///
/// # Transcript
///
/// `lucid-pcs/batch`, `sample_ext(lucid-pcs/batch-alpha)`, the zero-knowledge sumcheck
/// ([`prove_zk`]'s messages), then `observe_ext(lucid-pcs/batch-eval, P(r))` and
/// `observe_ext_slice(lucid-pcs/batch-rows, rows)`.
pub(crate) fn prove(
    layout: &HidingLayout,
    stacked: &[F],
    mask: &ZkMask,
    claims: &[EvalClaim],
    transcript: &mut Transcript,
) -> (ClaimBatch, StackedClaims) {
    let n = layout.num_variables;
    let alpha = sample_alpha(transcript);
    let (claimed_sum, powers) = combine(claims, alpha);

    let weights = claim_weights(n, &layout.table_vars, &layout.offsets, claims, &powers);
    let mut poly = SumOfProducts::new(n);
    let p = poly.add_table(lift(stacked));
    let e = poly.add_table(weights);
    poly.add_term(EF::ONE, vec![p, e]);
    let out = prove_zk(poly, claimed_sum, mask, transcript);
    let stacked_eval = out.table_evals[p];
    let mask_rows = row_values(mask, &out.point);
    transcript.observe_ext(b"lucid-pcs/batch-eval", stacked_eval);
    transcript.observe_ext_slice(b"lucid-pcs/batch-rows", &mask_rows);
    let reduced = reduced_claims(layout, &out.point, stacked_eval, &mask_rows);
    (
        ClaimBatch {
            sumcheck: out.proof,
            stacked_eval,
            mask_rows,
        },
        reduced,
    )
}

/// Verifies the batch against the caller's claims (already bound, with their lifted points)
/// and returns the claims WHIR must prove.
///
/// # Transcript
///
/// As [`prove`].
pub(crate) fn verify(
    layout: &HidingLayout,
    claims: &[EvalClaim],
    lifted: &[Point<EF>],
    batch: &ClaimBatch,
    transcript: &mut Transcript,
) -> Result<StackedClaims, PcsError> {
    let n = layout.num_variables;
    if batch.mask_rows.len() != n {
        return Err(PcsError::BatchRowCount {
            expected: n,
            got: batch.mask_rows.len(),
        });
    }
    let alpha = sample_alpha(transcript);
    let (claimed_sum, powers) = combine(claims, alpha);
    let sub = verify_zk(n, DEGREE, claimed_sum, &batch.sumcheck, transcript)
        .map_err(|e| PcsError::BatchRejected(e.to_string()))?;
    let weight: EF = lifted
        .iter()
        .zip(&powers)
        .map(|(z, &a)| a * eq_eval(z.as_slice(), &sub.point))
        .sum();
    let mask_eval: EF = batch.mask_rows.iter().copied().sum();
    let term = ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1],
    };
    sub.check(&[term], &[batch.stacked_eval, weight], mask_eval)
        .map_err(|e| PcsError::BatchRejected(e.to_string()))?;
    transcript.observe_ext(b"lucid-pcs/batch-eval", batch.stacked_eval);
    transcript.observe_ext_slice(b"lucid-pcs/batch-rows", &batch.mask_rows);
    Ok(reduced_claims(
        layout,
        &sub.point,
        batch.stacked_eval,
        &batch.mask_rows,
    ))
}
