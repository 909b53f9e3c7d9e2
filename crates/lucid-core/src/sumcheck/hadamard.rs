//! Elementwise (Hadamard) product `C = A_1 ∘ A_2 ∘ … ∘ A_f` of equally sized tables
//! (`f = 2` is the Hadamard product `C = A ∘ B`; `f = 1` moves a claim to a fresh point):
//! reduces one claim on `C` to one claim per factor at a common fresh point, with a sumcheck
//! over `eq(r, x) · Π_j A_j(x)` (degree `f + 1 ≤ 5`).
//!
//! # Claim shapes
//!
//! Every table has `2^n` entries.
//!
//! - input: `C(r) = v` (an [`EvalClaim`], `r ∈ EF^n`);
//! - proved: `Σ_{x ∈ {0,1}^n} eq(r, x) · Π_j A_j(x) = v`;
//! - output: `A_j(r') = e_j` for every factor `j`, all at the sumcheck's random point `r'`.

use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use super::error::SumcheckError;
use super::proof::SumcheckProof;
use super::{MAX_DEGREE, ProductTerm};
use crate::field::EF;
use crate::mle::{EvalClaim, MleRef, eq_eval};
use crate::transcript::Transcript;

/// Most factors an elementwise product may have (the `eq` factor takes the degree to
/// [`MAX_DEGREE`]).
pub const MAX_FACTORS: usize = MAX_DEGREE - 1;

/// Proof of one elementwise-product reduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HadamardProof {
    pub sumcheck: SumcheckProof,
    /// `A_j(r')` for every factor.
    pub evals: Vec<EF>,
}

impl HadamardProof {
    /// Size of the proof's field elements in bytes.
    pub fn size_bytes(&self) -> usize {
        self.sumcheck.size_bytes() + self.evals.len() * super::proof::EF_BYTES
    }
}

fn check_num_factors(num_factors: usize) -> Result<(), SumcheckError> {
    if num_factors == 0 || num_factors > MAX_FACTORS {
        return Err(SumcheckError::InvalidShape(
            "an elementwise product needs 1 to 4 factors",
        ));
    }
    Ok(())
}

/// The single term `eq · A_1 · … · A_f` (table 0 is `eq`).
fn term(num_factors: usize) -> ProductTerm {
    ProductTerm {
        coeff: EF::ONE,
        factors: (0..=num_factors).collect(),
    }
}

/// Proves `C(claim.point) = claim.value` for `C = factors[0] ∘ … ∘ factors[f-1]`, returning the
/// proof and one claim per factor (all at the same fresh point). Errors if there are not 1 to
/// [`MAX_FACTORS`] factors or the lengths do not equal `2^claim.point.len()`.
///
/// # Transcript
/// `observe_ext_slice(b"hadamard/point", r)`; the sumcheck over `n` variables with claimed sum
/// `claim.value` (see [`super::prove`]); `observe_ext_slice(b"hadamard/evals", evals)`.
pub fn prove(
    factors: &[MleRef<'_>],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(HadamardProof, Vec<EvalClaim>), SumcheckError> {
    check_num_factors(factors.len())?;
    let n = claim.point.len();
    if factors.iter().any(|f| Some(n) != f.num_vars()) {
        return Err(SumcheckError::InvalidShape(
            "elementwise factors must have 2^(claim point length) entries",
        ));
    }
    transcript.observe_ext_slice(b"hadamard/point", &claim.point);
    // Same proof as `super::prove` on the tables [eq(r, ·), A_1, …, A_f] and the single term
    // `term(f)`, from the eq-factored prover.
    let out = super::eq_product::prove(&claim.point, factors, claim.value, transcript);
    let evals = out.table_evals[1..].to_vec();
    transcript.observe_ext_slice(b"hadamard/evals", &evals);
    let claims = evals
        .iter()
        .map(|&e| EvalClaim::new(out.point.clone(), e))
        .collect();
    Ok((
        HadamardProof {
            sumcheck: out.proof,
            evals,
        },
        claims,
    ))
}

/// Verifies an elementwise-product reduction of `claim` (on `C`) with `num_factors` factors and
/// returns one claim per factor, all at the same point.
///
/// # Transcript
/// As in [`prove`].
pub fn verify(
    num_factors: usize,
    claim: &EvalClaim,
    proof: &HadamardProof,
    transcript: &mut Transcript,
) -> Result<Vec<EvalClaim>, SumcheckError> {
    check_num_factors(num_factors)?;
    if proof.evals.len() != num_factors {
        return Err(SumcheckError::WrongCount {
            what: "factor evaluations",
            expected: num_factors,
            got: proof.evals.len(),
        });
    }
    let n = claim.point.len();
    transcript.observe_ext_slice(b"hadamard/point", &claim.point);
    let sub = super::verify(n, num_factors + 1, claim.value, &proof.sumcheck, transcript)?;
    transcript.observe_ext_slice(b"hadamard/evals", &proof.evals);
    let mut table_evals = Vec::with_capacity(num_factors + 1);
    table_evals.push(eq_eval(&claim.point, &sub.point));
    table_evals.extend_from_slice(&proof.evals);
    sub.check(&[term(num_factors)], &table_evals)?;
    Ok(proof
        .evals
        .iter()
        .map(|&e| EvalClaim::new(sub.point.clone(), e))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::F;
    use crate::mle::{eval_mle_base, eval_mle_ext};
    use crate::transcript::StatementTranscript;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    fn transcript() -> Transcript {
        StatementTranscript::new(b"hadamard-test").finish()
    }

    struct Instance {
        tables: Vec<Vec<F>>,
        claim: EvalClaim,
    }

    fn instance(seed: u64, n: usize, num_factors: usize) -> Instance {
        let mut rng = SmallRng::seed_from_u64(seed);
        let tables: Vec<Vec<F>> = (0..num_factors)
            .map(|_| (0..1 << n).map(|_| rng.random()).collect())
            .collect();
        let c: Vec<F> = (0..1 << n)
            .map(|i| tables.iter().map(|t| t[i]).product())
            .collect();
        let point: Vec<EF> = (0..n).map(|_| rng.random()).collect();
        let value = eval_mle_base(&c, &point);
        Instance {
            tables,
            claim: EvalClaim::new(point, value),
        }
    }

    fn prove_inst(inst: &Instance) -> (HadamardProof, Vec<EvalClaim>) {
        let refs: Vec<MleRef<'_>> = inst.tables.iter().map(MleRef::from).collect();
        prove(&refs, &inst.claim, &mut transcript()).expect("valid shapes")
    }

    #[test]
    fn completeness() {
        for n in [0, 1, 4] {
            for f in 1..=MAX_FACTORS {
                let inst = instance((n * 10 + f) as u64, n, f);
                let (proof, pc) = prove_inst(&inst);
                let vc = verify(f, &inst.claim, &proof, &mut transcript()).expect("verifies");
                assert_eq!(pc, vc);
                for (t, c) in inst.tables.iter().zip(&vc) {
                    assert_eq!(eval_mle_base(t, &c.point), c.value);
                }
            }
        }
    }

    #[test]
    fn extension_inputs() {
        let mut rng = SmallRng::seed_from_u64(5);
        let a: Vec<EF> = (0..8).map(|_| rng.random()).collect();
        let b: Vec<F> = (0..8).map(|_| rng.random()).collect();
        let c: Vec<EF> = a.iter().zip(&b).map(|(&x, &y)| x * y).collect();
        let point: Vec<EF> = (0..3).map(|_| rng.random()).collect();
        let claim = EvalClaim::new(point.clone(), eval_mle_ext(&c, &point));
        let (proof, _) =
            prove(&[(&a).into(), (&b).into()], &claim, &mut transcript()).expect("valid shapes");
        let vc = verify(2, &claim, &proof, &mut transcript()).expect("verifies");
        assert_eq!(eval_mle_ext(&a, &vc[0].point), vc[0].value);
    }

    #[test]
    fn changed_input_claim_rejected() {
        let inst = instance(1, 4, 2);
        let (proof, _) = prove_inst(&inst);
        let mut bad = inst.claim.clone();
        bad.value += EF::ONE;
        assert!(verify(2, &bad, &proof, &mut transcript()).is_err());
        let mut bad = inst.claim.clone();
        bad.point[2] += EF::ONE;
        assert!(verify(2, &bad, &proof, &mut transcript()).is_err());
    }

    #[test]
    fn changed_output_evaluation_rejected() {
        let inst = instance(2, 4, 2);
        let (proof, _) = prove_inst(&inst);
        for j in 0..2 {
            let mut bad = proof.clone();
            bad.evals[j] += EF::ONE;
            assert!(matches!(
                verify(2, &inst.claim, &bad, &mut transcript()),
                Err(SumcheckError::FinalEvalMismatch { .. })
            ));
        }
        let mut bad = proof.clone();
        bad.evals.pop();
        assert!(matches!(
            verify(2, &inst.claim, &bad, &mut transcript()),
            Err(SumcheckError::WrongCount { .. })
        ));
        // Claiming a different number of factors is rejected, not a panic.
        assert!(verify(3, &inst.claim, &proof, &mut transcript()).is_err());
        assert!(verify(0, &inst.claim, &proof, &mut transcript()).is_err());
        let mut bad = proof;
        bad.sumcheck.round_polys[3][0] += EF::ONE;
        assert!(verify(2, &inst.claim, &bad, &mut transcript()).is_err());
    }

    #[test]
    fn wrong_witness_rejected() {
        let inst = instance(3, 3, 2);
        let mut tables = inst.tables.clone();
        tables[1][6] += F::ONE;
        let refs: Vec<MleRef<'_>> = tables.iter().map(MleRef::from).collect();
        let (proof, _) = prove(&refs, &inst.claim, &mut transcript()).expect("valid shapes");
        assert!(verify(2, &inst.claim, &proof, &mut transcript()).is_err());
    }

    #[test]
    fn bad_shapes_are_errors() {
        let inst = instance(4, 3, 2);
        let short = &inst.tables[0][..4];
        assert!(prove(&[short.into()], &inst.claim, &mut transcript()).is_err());
        assert!(prove(&[], &inst.claim, &mut transcript()).is_err());
    }
}
