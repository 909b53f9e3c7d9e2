//! Matrix product `C = A·B` (Thaler's protocol): reduces one claim on `C` to one claim on `A`
//! and one on `B`, with a degree-2 sumcheck over the inner dimension.
//!
//! # Claim shapes
//!
//! `A` is `m × k`, `B` is `k × n`, `C` is `m × n`, all row-major with power-of-two dimensions;
//! a matrix's MLE takes the row bits first. Write `r_i ∈ EF^{log m}`, `r_j ∈ EF^{log n}`.
//!
//! - input: `C(r_i ‖ r_j) = v` (an [`EvalClaim`] with a point of `log m + log n` coordinates);
//! - proved: `Σ_{x ∈ {0,1}^{log k}} A(r_i, x) · B(x, r_j) = v`;
//! - output ([`MatMulClaims`]): `A(r_i ‖ r_k) = a_eval` and `B(r_k ‖ r_j) = b_eval` for the
//!   sumcheck's random point `r_k ∈ EF^{log k}`.
//!
//! Matrix–vector products are the case `n = 1` (`r_j` empty, `B` a column vector of length `k`);
//! vector–matrix products the case `m = 1`.
//!
//! The prover contracts `A` with `eq(r_i, ·)` and `B` with `eq(r_j, ·)` (time `O(mk + kn)`, never
//! `O(mkn)`) and runs the sumcheck on the two length-`k` vectors. Inputs may be base-field
//! tables; only the contracted vectors live in the extension field.

use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use super::error::SumcheckError;
use super::proof::{Subclaim, SumcheckProof};
use super::{ProductTerm, SumOfProducts};
use crate::field::EF;
use crate::mle::{EvalClaim, MleRef, log2_exact};
use crate::transcript::Transcript;

/// Dimensions of `C (m × n) = A (m × k) · B (k × n)`, as base-2 logarithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatMulShape {
    pub log_m: usize,
    pub log_k: usize,
    pub log_n: usize,
}

impl MatMulShape {
    /// The shape of an `m × k` by `k × n` product; every dimension must be a power of two.
    pub fn new(m: usize, k: usize, n: usize) -> Result<Self, SumcheckError> {
        let log = |d: usize| {
            log2_exact(d).ok_or(SumcheckError::InvalidShape(
                "matrix dimensions must be powers of two",
            ))
        };
        Ok(Self {
            log_m: log(m)?,
            log_k: log(k)?,
            log_n: log(n)?,
        })
    }

    pub fn m(&self) -> usize {
        1 << self.log_m
    }

    pub fn k(&self) -> usize {
        1 << self.log_k
    }

    pub fn n(&self) -> usize {
        1 << self.log_n
    }
}

/// Proof of one matrix-product reduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatMulProof {
    pub sumcheck: SumcheckProof,
    /// `A(r_i ‖ r_k)`.
    pub a_eval: EF,
    /// `B(r_k ‖ r_j)`.
    pub b_eval: EF,
}

impl MatMulProof {
    /// Size of the proof's field elements in bytes.
    pub fn size_bytes(&self) -> usize {
        self.sumcheck.size_bytes() + 2 * super::proof::EF_BYTES
    }
}

/// The claims a matrix-product reduction leaves open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatMulClaims {
    /// `A(r_i ‖ r_k) = a_eval`.
    pub a: EvalClaim,
    /// `B(r_k ‖ r_j) = b_eval`.
    pub b: EvalClaim,
}

fn terms() -> [ProductTerm; 1] {
    [ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1],
    }]
}

fn check_claim_point(shape: &MatMulShape, claim: &EvalClaim) -> Result<(), SumcheckError> {
    let expected = shape.log_m + shape.log_n;
    if claim.point.len() != expected {
        return Err(SumcheckError::WrongPointLength {
            what: "matmul output claim",
            expected,
            got: claim.point.len(),
        });
    }
    Ok(())
}

fn claims(shape: &MatMulShape, claim: &EvalClaim, r_k: &[EF], a: EF, b: EF) -> MatMulClaims {
    let (r_i, r_j) = claim.point.split_at(shape.log_m);
    MatMulClaims {
        a: EvalClaim::new([r_i, r_k].concat(), a),
        b: EvalClaim::new([r_k, r_j].concat(), b),
    }
}

/// Proves `C(r_i ‖ r_j) = claim.value` for `C = A·B`, returning the proof and the claims on `A`
/// and `B` it leaves open. Errors if a table's length does not match `shape` or the claim's
/// point has the wrong length.
///
/// # Transcript
/// `observe_ext_slice(b"matmul/point", r_i ‖ r_j)`; the sumcheck over `log k` variables with claimed sum `claim.value` (see
/// [`super::prove`]); `observe_ext_slice(b"matmul/evals", [a_eval, b_eval])`.
pub fn prove(
    shape: &MatMulShape,
    a: MleRef<'_>,
    b: MleRef<'_>,
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(MatMulProof, MatMulClaims), SumcheckError> {
    check_claim_point(shape, claim)?;
    if a.len() != shape.m() * shape.k() || b.len() != shape.k() * shape.n() {
        return Err(SumcheckError::InvalidShape(
            "matrix table lengths do not match the product shape",
        ));
    }
    let (r_i, r_j) = claim.point.split_at(shape.log_m);
    let a_row = a.bind_prefix(r_i);
    let b_col = b.bind_suffix(r_j);

    transcript.observe_ext_slice(b"matmul/point", &claim.point);
    let mut poly = SumOfProducts::new(shape.log_k);
    poly.add_table(a_row);
    poly.add_table(b_col);
    poly.terms.extend(terms());
    let out = super::prove(poly, claim.value, transcript);
    let (a_eval, b_eval) = (out.table_evals[0], out.table_evals[1]);
    transcript.observe_ext_slice(b"matmul/evals", &[a_eval, b_eval]);
    let proof = MatMulProof {
        sumcheck: out.proof,
        a_eval,
        b_eval,
    };
    Ok((proof, claims(shape, claim, &out.point, a_eval, b_eval)))
}

/// Verifies a matrix-product reduction of `claim` (on `C`) and returns the claims on `A` and `B`
/// the caller must still discharge.
///
/// # Transcript
/// As in [`prove`].
pub fn verify(
    shape: &MatMulShape,
    claim: &EvalClaim,
    proof: &MatMulProof,
    transcript: &mut Transcript,
) -> Result<MatMulClaims, SumcheckError> {
    check_claim_point(shape, claim)?;
    transcript.observe_ext_slice(b"matmul/point", &claim.point);
    let sub: Subclaim = super::verify(shape.log_k, 2, claim.value, &proof.sumcheck, transcript)?;
    transcript.observe_ext_slice(b"matmul/evals", &[proof.a_eval, proof.b_eval]);
    sub.check(&terms(), &[proof.a_eval, proof.b_eval])?;
    Ok(claims(shape, claim, &sub.point, proof.a_eval, proof.b_eval))
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
        StatementTranscript::new(b"matmul-test").finish()
    }

    fn naive_matmul(a: &[F], b: &[F], m: usize, k: usize, n: usize) -> Vec<F> {
        let mut c = vec![F::ZERO; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
            }
        }
        c
    }

    struct Instance {
        shape: MatMulShape,
        a: Vec<F>,
        b: Vec<F>,
        claim: EvalClaim,
    }

    fn instance(seed: u64, m: usize, k: usize, n: usize) -> Instance {
        let mut rng = SmallRng::seed_from_u64(seed);
        let shape = MatMulShape::new(m, k, n).expect("powers of two");
        let a: Vec<F> = (0..m * k).map(|_| rng.random()).collect();
        let b: Vec<F> = (0..k * n).map(|_| rng.random()).collect();
        let c = naive_matmul(&a, &b, m, k, n);
        let point: Vec<EF> = (0..shape.log_m + shape.log_n)
            .map(|_| rng.random())
            .collect();
        let value = eval_mle_base(&c, &point);
        Instance {
            shape,
            a,
            b,
            claim: EvalClaim::new(point, value),
        }
    }

    fn prove_inst(inst: &Instance) -> (MatMulProof, MatMulClaims) {
        prove(
            &inst.shape,
            (&inst.a).into(),
            (&inst.b).into(),
            &inst.claim,
            &mut transcript(),
        )
        .expect("valid shapes")
    }

    #[test]
    fn completeness_matrix_and_vector_shapes() {
        for (seed, (m, k, n)) in [
            (4, 8, 2),
            (8, 16, 1),
            (1, 8, 4),
            (2, 1, 2),
            (1, 1, 1),
            (16, 32, 8),
        ]
        .into_iter()
        .enumerate()
        {
            let inst = instance(seed as u64, m, k, n);
            let (proof, pc) = prove_inst(&inst);
            let vc = verify(&inst.shape, &inst.claim, &proof, &mut transcript())
                .expect("honest proof verifies");
            assert_eq!(pc, vc);
            // The output claims are true.
            assert_eq!(eval_mle_base(&inst.a, &vc.a.point), vc.a.value);
            assert_eq!(eval_mle_base(&inst.b, &vc.b.point), vc.b.value);
        }
    }

    #[test]
    fn extension_field_inputs() {
        let mut rng = SmallRng::seed_from_u64(11);
        let shape = MatMulShape::new(4, 4, 2).expect("powers of two");
        let a: Vec<EF> = (0..16).map(|_| rng.random()).collect();
        let b: Vec<F> = (0..8).map(|_| rng.random()).collect();
        let point: Vec<EF> = (0..3).map(|_| rng.random()).collect();
        // C(r_i, r_j) = Σ_l A(r_i, l) B(l, r_j), computed through the eq contraction.
        let (r_i, r_j) = point.split_at(2);
        let a_row = MleRef::from(&a).bind_prefix(r_i);
        let b_col = MleRef::from(&b).bind_suffix(r_j);
        let value = a_row.iter().zip(&b_col).map(|(&x, &y)| x * y).sum();
        let claim = EvalClaim::new(point, value);
        let (proof, _) = prove(&shape, (&a).into(), (&b).into(), &claim, &mut transcript())
            .expect("valid shapes");
        let vc = verify(&shape, &claim, &proof, &mut transcript()).expect("verifies");
        assert_eq!(eval_mle_ext(&a, &vc.a.point), vc.a.value);
    }

    #[test]
    fn changed_input_claim_rejected() {
        let inst = instance(20, 4, 8, 4);
        let (proof, _) = prove_inst(&inst);
        let mut wrong_value = inst.claim.clone();
        wrong_value.value += EF::ONE;
        assert!(verify(&inst.shape, &wrong_value, &proof, &mut transcript()).is_err());
        let mut wrong_point = inst.claim.clone();
        wrong_point.point[0] += EF::ONE;
        assert!(verify(&inst.shape, &wrong_point, &proof, &mut transcript()).is_err());
        let mut short_point = inst.claim.clone();
        short_point.point.pop();
        assert!(matches!(
            verify(&inst.shape, &short_point, &proof, &mut transcript()),
            Err(SumcheckError::WrongPointLength { .. })
        ));
    }

    #[test]
    fn changed_output_evaluation_rejected() {
        let inst = instance(21, 4, 8, 4);
        let (proof, _) = prove_inst(&inst);
        let mut bad = proof.clone();
        bad.a_eval += EF::ONE;
        assert!(matches!(
            verify(&inst.shape, &inst.claim, &bad, &mut transcript()),
            Err(SumcheckError::FinalEvalMismatch { .. })
        ));
        let mut bad = proof.clone();
        bad.b_eval += EF::ONE;
        assert!(verify(&inst.shape, &inst.claim, &bad, &mut transcript()).is_err());
        let mut bad = proof;
        bad.sumcheck.round_polys[1][2] += EF::ONE;
        assert!(verify(&inst.shape, &inst.claim, &bad, &mut transcript()).is_err());
    }

    #[test]
    fn wrong_witness_rejected() {
        let inst = instance(22, 4, 8, 2);
        let mut a = inst.a.clone();
        a[5] += F::ONE;
        let (proof, _) = prove(
            &inst.shape,
            (&a).into(),
            (&inst.b).into(),
            &inst.claim,
            &mut transcript(),
        )
        .expect("valid shapes");
        assert!(verify(&inst.shape, &inst.claim, &proof, &mut transcript()).is_err());
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(MatMulShape::new(3, 4, 4).is_err());
        let inst = instance(23, 4, 4, 4);
        let short = &inst.a[..8];
        assert!(
            prove(
                &inst.shape,
                short.into(),
                (&inst.b).into(),
                &inst.claim,
                &mut transcript()
            )
            .is_err()
        );
    }
}
