//! Zero-knowledge batching of several claims on one blinded table into one claim (see the
//! parent module's "Batching" section): a degree-2 zero-knowledge sumcheck of `W · T'` over the
//! `n + 1` variables of `T' = [T ; R_T]`, `W = Σ_k α^k·eq((c_k, r_k), ·)`.

use p3_field::PrimeCharacteristicRing;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::{BlindedClaim, check_mask};
use crate::field::EF;
use crate::mle::{eq_eval, eq_table_combination, log2_exact};
use crate::sumcheck::zk::{ZkMask, ZkSubclaim, ZkSumcheckProof, prove_zk, simulate_zk, verify_zk};
use crate::sumcheck::{ProductTerm, SumOfProducts, SumcheckError};
use crate::transcript::Transcript;

/// A zero-knowledge batching proof: the sumcheck and `T'(c*, x*)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindedBatchProof {
    pub sumcheck: ZkSumcheckProof,
    pub eval: EF,
}

/// The prover's result of a batching: the one claim left and the Libra-mask opening.
#[derive(Clone, Debug)]
pub struct BlindedBatchOutput {
    /// `T'(c*, x*) = e`.
    pub claim: BlindedClaim,
    /// `g(c*, x*)`.
    pub mask_eval: EF,
    pub rho: EF,
}

/// What the verifier of a batching is left with: [`Self::claim`] to open (or reduce), and the
/// final equation, checked with the opened Libra mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlindedBatchSubclaim {
    pub claim: BlindedClaim,
    zk: ZkSubclaim,
    weight_eval: EF,
}

impl BlindedBatchSubclaim {
    /// Where the Libra mask is opened: `(c*, x*)`.
    pub fn mask_point(&self) -> &[EF] {
        &self.zk.point
    }

    /// `W(c*, x*)·e + ρ·g(c*, x*) = v_final`. Never panics.
    pub fn check(&self, mask_eval: EF) -> Result<(), SumcheckError> {
        self.zk.check(
            &batch_terms(),
            &[self.weight_eval, self.claim.value],
            mask_eval,
        )
    }
}

/// The batching sumcheck's single term `W · T'`.
fn batch_terms() -> Vec<ProductTerm> {
    vec![ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1],
    }]
}

/// Batching: the sumcheck's variables and degree (for the Libra mask) for a tensor of
/// `num_vars` variables: `(num_vars + 1, 2)`.
pub fn blinded_batch_shape(num_vars: usize) -> (usize, usize) {
    (num_vars + 1, 2)
}

/// Checks the claims' shapes, observes them and samples `α`; returns `α^k` and `Σ_k α^k v_k`.
fn combine_blinded_claims(
    num_vars: usize,
    claims: &[BlindedClaim],
    transcript: &mut Transcript,
) -> Result<(Vec<EF>, EF), SumcheckError> {
    if claims.is_empty() {
        return Err(SumcheckError::InvalidShape(
            "batching needs at least one claim",
        ));
    }
    if let Some(c) = claims.iter().find(|c| c.point.len() != num_vars) {
        return Err(SumcheckError::WrongPointLength {
            what: "blinded batched claim",
            expected: num_vars,
            got: c.point.len(),
        });
    }
    for c in claims {
        let mut msg = c.full_point();
        msg.push(c.value);
        transcript.observe_ext_slice(b"zk-batch/claim", &msg);
    }
    let alpha = transcript.sample_ext(b"zk-batch/alpha");
    let powers: Vec<EF> = alpha.powers().take(claims.len()).collect();
    let sum = claims.iter().zip(&powers).map(|(c, &a)| a * c.value).sum();
    Ok((powers, sum))
}

/// Reduces claims `T'(c_k, r_k) = v_k` on the blinded table `[T ; R_T]` (`2^{n+1}` entries) to
/// one claim `T'(c*, x*)`, in zero knowledge, with a Libra `mask` of shape
/// [`blinded_batch_shape`] already committed and absorbed by the caller.
///
/// # Transcript
/// (After the caller's Libra-mask commitment.) Per claim
/// `observe_ext_slice(b"zk-batch/claim", c_k ‖ r_k ‖ v_k)`; `sample_ext(b"zk-batch/alpha")`; the
/// zero-knowledge sumcheck over `n + 1` variables with claimed sum `Σ_k α^k v_k` ([`prove_zk`]);
/// `observe_ext(b"zk-batch/eval", e)`.
pub fn prove_blinded_batch(
    table: &[EF],
    claims: &[BlindedClaim],
    mask: &ZkMask,
    transcript: &mut Transcript,
) -> Result<(BlindedBatchProof, BlindedBatchOutput), SumcheckError> {
    let num_vars = log2_exact(table.len())
        .and_then(|v| v.checked_sub(1))
        .ok_or(SumcheckError::InvalidShape(
            "a blinded table has 2^(n+1) entries",
        ))?;
    let (vars, degree) = blinded_batch_shape(num_vars);
    check_mask(mask, vars, degree)?;
    let (powers, sum) = combine_blinded_claims(num_vars, claims, transcript)?;
    let points: Vec<Vec<EF>> = claims.iter().map(BlindedClaim::full_point).collect();
    let refs: Vec<&[EF]> = points.iter().map(Vec::as_slice).collect();
    let mut poly = SumOfProducts::new(vars);
    poly.add_table(eq_table_combination(&refs, &powers, vars));
    poly.add_table(table.to_vec());
    poly.terms = batch_terms();
    let out = prove_zk(poly, sum, mask, transcript);
    let eval = out.table_evals[1];
    transcript.observe_ext(b"zk-batch/eval", eval);
    let claim = BlindedClaim::new(out.point[0], out.point[1..].to_vec(), eval);
    Ok((
        BlindedBatchProof {
            sumcheck: out.proof,
            eval,
        },
        BlindedBatchOutput {
            claim,
            mask_eval: out.mask_eval,
            rho: out.rho,
        },
    ))
}

/// `Σ_k α^k·eq((c_k, r_k), point)`.
fn weight_at(claims: &[BlindedClaim], powers: &[EF], point: &[EF]) -> EF {
    claims
        .iter()
        .zip(powers)
        .map(|(c, &a)| a * eq_eval(&c.full_point(), point))
        .sum()
}

/// Verifies a batching of `claims` on a blinded tensor of `num_vars` variables. Never panics on a
/// malformed proof.
///
/// # Transcript
/// As [`prove_blinded_batch`].
pub fn verify_blinded_batch(
    num_vars: usize,
    claims: &[BlindedClaim],
    proof: &BlindedBatchProof,
    transcript: &mut Transcript,
) -> Result<BlindedBatchSubclaim, SumcheckError> {
    let (powers, sum) = combine_blinded_claims(num_vars, claims, transcript)?;
    let (vars, degree) = blinded_batch_shape(num_vars);
    let zk = verify_zk(vars, degree, sum, &proof.sumcheck, transcript)?;
    transcript.observe_ext(b"zk-batch/eval", proof.eval);
    let weight_eval = weight_at(claims, &powers, &zk.point);
    let claim = BlindedClaim::new(zk.point[0], zk.point[1..].to_vec(), proof.eval);
    Ok(BlindedBatchSubclaim {
        claim,
        zk,
        weight_eval,
    })
}

/// A batching transcript produced without a witness by [`simulate_blinded_batch`].
#[derive(Clone, Debug)]
pub struct SimulatedBatch {
    pub proof: BlindedBatchProof,
    pub mask_eval: EF,
}

/// The honest-verifier simulator of [`prove_blinded_batch`]: `simulate_zk`, a uniform `e`, and the
/// Libra-mask value solved from the final equation. An error on invalid claims or if the
/// simulated `ρ` is zero.
pub fn simulate_blinded_batch<R: Rng + ?Sized>(
    num_vars: usize,
    claims: &[BlindedClaim],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<SimulatedBatch, SumcheckError> {
    let (powers, sum) = combine_blinded_claims(num_vars, claims, transcript)?;
    let (vars, degree) = blinded_batch_shape(num_vars);
    let sim = simulate_zk(vars, degree, sum, transcript, rng);
    let eval: EF = rng.random();
    transcript.observe_ext(b"zk-batch/eval", eval);
    let f_eval = weight_at(claims, &powers, &sim.point) * eval;
    let mask_eval = sim
        .mask_eval_for(f_eval)
        .ok_or(SumcheckError::InvalidShape("simulated rho is zero"))?;
    Ok(SimulatedBatch {
        proof: BlindedBatchProof {
            sumcheck: sim.proof,
            eval,
        },
        mask_eval,
    })
}
