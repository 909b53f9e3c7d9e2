//! Verifier of the generic sum-of-products sumcheck. It never panics on a malformed proof: every
//! length is checked and every failure is a typed [`SumcheckError`].

use p3_field::{Field, PrimeCharacteristicRing};

use super::error::SumcheckError;
use super::proof::{Subclaim, SumcheckProof};
use super::{MAX_DEGREE, round_degree};
use crate::field::{EF, F};
use crate::transcript::Transcript;

/// Evaluates at `r` the polynomial of degree `< evals.len()` whose values at `0, 1, …` are
/// `evals` (Lagrange interpolation over the integer nodes; no division by `r − j`, so any `r`
/// works). An empty slice is the zero polynomial.
pub fn interpolate_at(evals: &[EF], r: EF) -> EF {
    let d = evals.len();
    if d == 0 {
        return EF::ZERO;
    }
    // prefix[i] = Π_{j<i} (r − j), suffix[i] = Π_{j>i} (r − j).
    let diffs: Vec<EF> = (0..d).map(|j| r - EF::from_usize(j)).collect();
    let mut prefix = vec![EF::ONE; d];
    for i in 1..d {
        prefix[i] = prefix[i - 1] * diffs[i - 1];
    }
    let mut suffix = vec![EF::ONE; d];
    for i in (0..d - 1).rev() {
        suffix[i] = suffix[i + 1] * diffs[i + 1];
    }
    let mut acc = EF::ZERO;
    for i in 0..d {
        // Denominator Π_{j≠i} (i − j) = (−1)^{d−1−i} · i! · (d−1−i)!, a non-zero small integer.
        let mut denom = F::ONE;
        for j in 0..d {
            if j != i {
                denom *= F::from_usize(i) - F::from_usize(j);
            }
        }
        let inv = denom
            .try_inverse()
            .expect("interpolation nodes are distinct small integers");
        acc += evals[i] * prefix[i] * suffix[i] * inv;
    }
    acc
}

/// Verifies a sumcheck proof that a `num_vars`-variate `g` of the given degree sums to
/// `claimed_sum` over the hypercube. Returns the [`Subclaim`] the caller must still check
/// (usually with [`Subclaim::check`] against claimed table evaluations).
///
/// `degree` must be the degree the prover's [`super::SumOfProducts::degree`] reports (a degree
/// of 0 is treated as 1, as the prover does).
///
/// # Transcript
/// `observe_ext(b"sumcheck/claim", claimed_sum)`; then per round:
/// `observe_ext_slice(b"sumcheck/round", round evaluations at 0..=degree)`,
/// `sample_ext(b"sumcheck/challenge")`.
pub fn verify(
    num_vars: usize,
    degree: usize,
    claimed_sum: EF,
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<Subclaim, SumcheckError> {
    let degree = check_shape(num_vars, degree, &proof.round_polys)?;
    transcript.observe_ext(b"sumcheck/claim", claimed_sum);
    let (point, claim) = replay_rounds(
        &proof.round_polys,
        degree,
        claimed_sum,
        (b"sumcheck/round", b"sumcheck/challenge"),
        transcript,
    )?;
    Ok(Subclaim {
        point,
        expected_eval: claim,
    })
}

/// Checks a proof's shape before anything enters the transcript: a supported degree and one
/// round polynomial per variable. Returns the degree the rounds are sent at.
pub(super) fn check_shape(
    num_vars: usize,
    degree: usize,
    round_polys: &[Vec<EF>],
) -> Result<usize, SumcheckError> {
    if degree > MAX_DEGREE {
        return Err(SumcheckError::UnsupportedDegree {
            max: MAX_DEGREE,
            got: degree,
        });
    }
    if round_polys.len() != num_vars {
        return Err(SumcheckError::WrongNumberOfRounds {
            expected: num_vars,
            got: round_polys.len(),
        });
    }
    Ok(round_degree(degree))
}

/// Replays the rounds from the running `claim`: each round polynomial (evaluations at
/// `0..=degree`) must have `p(0) + p(1) = claim`; it is observed under `labels.0`, a challenge
/// `r` is drawn under `labels.1` and the claim becomes `p(r)`. Returns the point and the final
/// claim.
pub(super) fn replay_rounds(
    round_polys: &[Vec<EF>],
    degree: usize,
    mut claim: EF,
    labels: (&[u8], &[u8]),
    transcript: &mut Transcript,
) -> Result<(Vec<EF>, EF), SumcheckError> {
    let mut point = Vec::with_capacity(round_polys.len());
    for (round, evals) in round_polys.iter().enumerate() {
        if evals.len() != degree + 1 {
            return Err(SumcheckError::WrongRoundPolyLength {
                round,
                expected: degree + 1,
                got: evals.len(),
            });
        }
        let sum = evals[0] + evals[1];
        if sum != claim {
            return Err(SumcheckError::RoundSumMismatch {
                round,
                expected: claim,
                got: sum,
            });
        }
        transcript.observe_ext_slice(labels.0, evals);
        let r = transcript.sample_ext(labels.1);
        claim = interpolate_at(evals, r);
        point.push(r);
    }
    Ok((point, claim))
}
