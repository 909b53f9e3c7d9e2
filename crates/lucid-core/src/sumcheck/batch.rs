//! Many evaluation claims ⇒ one claim per polynomial at a single point.
//!
//! # Claim shapes
//!
//! Polynomials `P_0, …, P_{p-1}` all have `2^n` entries. The input is a list of claims
//! `P_{poly_i}(z_i) = v_i` ([`PolyClaim`]; several claims may name the same polynomial, every
//! polynomial must be named at least once). After all claims are in the transcript the verifier
//! samples `α`, and the random linear combination
//!
//! ```text
//! Σ_i α^i · v_i = Σ_{x ∈ {0,1}^n} Σ_j W_j(x) · P_j(x),   W_j(x) = Σ_{i : poly_i = j} α^i · eq(z_i, x)
//! ```
//!
//! is proved by one degree-2 sumcheck. The output is one claim `P_j(r) = e_j` per polynomial, all
//! at the sumcheck's random point `r`; the verifier evaluates every `W_j(r)` itself in
//! `O(#claims · n)`.

use p3_field::{Field, PackedFieldExtension, PackedValue, PrimeCharacteristicRing};
use serde::{Deserialize, Serialize};

use super::eq_product::{in_blocks, sum_lanes};
use super::error::SumcheckError;
use super::proof::{ProverOutput, SumcheckProof};
use super::prover::{LANES, PackedEF, fold_in_place, run_rounds};
use super::verifier::interpolate_at;
use super::{ProductTerm, SumOfProducts};
use crate::field::{EF, F};
use crate::mle::{EvalClaim, MleRef, eq_eval, eq_table_combination, fold_first_var_base};
use crate::transcript::Transcript;

/// A claim `P_poly(point) = value` on the polynomial with index `poly`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolyClaim {
    pub poly: usize,
    pub point: Vec<EF>,
    pub value: EF,
}

/// Proof of one batching reduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProof {
    pub sumcheck: SumcheckProof,
    /// `P_j(r)` for every polynomial `j`.
    pub evals: Vec<EF>,
}

impl BatchProof {
    /// Size of the proof's field elements in bytes.
    pub fn size_bytes(&self) -> usize {
        self.sumcheck.size_bytes() + self.evals.len() * super::proof::EF_BYTES
    }
}

/// Checks the claims' shapes: indices in range, every polynomial named, points of `n`
/// coordinates.
fn check_claims(
    num_vars: usize,
    num_polys: usize,
    claims: &[PolyClaim],
) -> Result<(), SumcheckError> {
    let mut named = vec![false; num_polys];
    for c in claims {
        let slot = named.get_mut(c.poly).ok_or(SumcheckError::InvalidShape(
            "a batched claim names a polynomial that does not exist",
        ))?;
        *slot = true;
        if c.point.len() != num_vars {
            return Err(SumcheckError::WrongPointLength {
                what: "batched claim",
                expected: num_vars,
                got: c.point.len(),
            });
        }
    }
    if num_polys == 0 || named.contains(&false) {
        return Err(SumcheckError::InvalidShape(
            "every batched polynomial needs at least one claim",
        ));
    }
    Ok(())
}

/// Observes the claims, samples `α` and returns the powers `α^i`, one per claim, and the
/// combined claimed sum `Σ α^i v_i`.
fn combine_claims(claims: &[PolyClaim], transcript: &mut Transcript) -> (Vec<EF>, EF) {
    for c in claims {
        transcript.observe_base_slice(b"batch/poly", &[F::from_usize(c.poly)]);
        transcript.observe_ext_slice(b"batch/point", &c.point);
        transcript.observe_ext(b"batch/value", c.value);
    }
    let alpha = transcript.sample_ext(b"batch/alpha");
    let powers: Vec<EF> = alpha.powers().take(claims.len()).collect();
    let sum = claims.iter().zip(&powers).map(|(c, &a)| a * c.value).sum();
    (powers, sum)
}

/// Terms `W_j · P_j`: table `2j` is `W_j`, table `2j + 1` is `P_j`.
fn terms(num_polys: usize) -> Vec<ProductTerm> {
    (0..num_polys)
        .map(|j| ProductTerm {
            coeff: EF::ONE,
            factors: vec![2 * j, 2 * j + 1],
        })
        .collect()
}

/// The sumcheck of `Σ_x Σ_j W_j(x) · P_j(x) = sum`: exactly [`super::prove`] on the tables
/// `[W_0, P_0, W_1, P_1, …]` with the terms [`terms`], except that when every `P_j` is a
/// base-field table the first round multiplies `EF × F` and the tables are lifted only by the
/// first fold (to half their size).
fn prove_weighted(
    num_vars: usize,
    mut weights: Vec<Vec<EF>>,
    polys: &[MleRef<'_>],
    sum: EF,
    transcript: &mut Transcript,
) -> ProverOutput {
    let base: Option<Vec<&[F]>> = polys
        .iter()
        .map(|p| match p {
            MleRef::Base(b) => Some(*b),
            MleRef::Ext(_) => None,
        })
        .collect();
    let base = match base {
        Some(base) if num_vars > 0 => base,
        _ => {
            let mut poly = SumOfProducts::new(num_vars);
            for (w, p) in weights.into_iter().zip(polys) {
                poly.add_table(w);
                poly.add_table(p.to_ext());
            }
            poly.terms = terms(polys.len());
            return super::prove(poly, sum, transcript);
        }
    };
    transcript.observe_ext(b"sumcheck/claim", sum);
    let half = 1usize << (num_vars - 1);
    let (g0, g2) = first_round_sums(&weights, &base, half);
    let evals = vec![g0, sum - g0, g2];
    transcript.observe_ext_slice(b"sumcheck/round", &evals);
    let r = transcript.sample_ext(b"sumcheck/challenge");
    let claim = interpolate_at(&evals, r);
    let mut out = ProverOutput {
        proof: SumcheckProof {
            round_polys: vec![evals],
        },
        point: vec![r],
        table_evals: Vec::new(),
    };
    let mut tables = Vec::with_capacity(2 * polys.len());
    for (w, p) in weights.iter_mut().zip(&base) {
        let mut w = core::mem::take(w);
        fold_in_place(&mut w, r);
        tables.push(w);
        tables.push(fold_first_var_base(p, r));
    }
    run_rounds(
        &mut tables,
        &terms(polys.len()),
        2,
        num_vars,
        claim,
        &mut out,
        transcript,
    );
    out.table_evals = tables.iter().map(|t| t[0]).collect();
    out
}

/// First-round sums `Σ_j Σ_{i < half} W_j(s, i) · P_j(s, i)` at `s = 0` and `s = 2`, with the
/// `P_j` in the base field.
fn first_round_sums(weights: &[Vec<EF>], polys: &[&[F]], half: usize) -> (EF, EF) {
    let packed = LANES > 1 && half.is_multiple_of(LANES);
    let sums = in_blocks(half, 2, |start, end| {
        if packed {
            let mut acc = [PackedEF::ZERO; 2];
            for i in (start..end).step_by(LANES) {
                for (w, p) in weights.iter().zip(polys) {
                    let wlo = PackedEF::from_ext_slice(&w[i..i + LANES]);
                    let whi = PackedEF::from_ext_slice(&w[i + half..i + half + LANES]);
                    let plo = *<F as Field>::Packing::from_slice(&p[i..i + LANES]);
                    let phi = *<F as Field>::Packing::from_slice(&p[i + half..i + half + LANES]);
                    acc[0] += wlo * plo;
                    acc[1] += (whi.double() - wlo) * (phi.double() - plo);
                }
            }
            sum_lanes(&acc)
        } else {
            let mut acc = [EF::ZERO; 2];
            for i in start..end {
                for (w, p) in weights.iter().zip(polys) {
                    let (wlo, whi) = (w[i], w[i + half]);
                    let (plo, phi) = (p[i], p[i + half]);
                    acc[0] += wlo * plo;
                    acc[1] += (whi.double() - wlo) * (phi.double() - plo);
                }
            }
            acc.to_vec()
        }
    });
    (sums[0], sums[1])
}

/// Reduces `claims` on `polys` (all with `2^n` entries) to one claim per polynomial at a single
/// point. Errors if the shapes are invalid (see [`PolyClaim`] and the module doc).
///
/// # Transcript
/// Per claim: `observe_base_slice(b"batch/poly", [poly])`, `observe_ext_slice(b"batch/point",
/// point)`, `observe_ext(b"batch/value", value)`; then `sample_ext(b"batch/alpha")`; the sumcheck
/// over `n` variables with claimed sum `Σ α^i v_i` (see [`super::prove`]);
/// `observe_ext_slice(b"batch/evals", evals)`.
pub fn prove(
    polys: &[MleRef<'_>],
    claims: &[PolyClaim],
    transcript: &mut Transcript,
) -> Result<(BatchProof, Vec<EvalClaim>), SumcheckError> {
    let num_vars = polys
        .first()
        .and_then(MleRef::num_vars)
        .ok_or(SumcheckError::InvalidShape(
            "batched polynomials must have a power-of-two length",
        ))?;
    if polys.iter().any(|p| p.num_vars() != Some(num_vars)) {
        return Err(SumcheckError::InvalidShape(
            "batched polynomials must have the same length",
        ));
    }
    check_claims(num_vars, polys.len(), claims)?;
    let (powers, sum) = combine_claims(claims, transcript);

    // W_j = Σ_{i : poly_i = j} α^i · eq(z_i, ·), one batched pass per polynomial.
    let weights: Vec<Vec<EF>> = (0..polys.len())
        .map(|j| {
            let (points, scalars): (Vec<&[EF]>, Vec<EF>) = claims
                .iter()
                .zip(&powers)
                .filter(|(c, _)| c.poly == j)
                .map(|(c, &a)| (c.point.as_slice(), a))
                .unzip();
            eq_table_combination(&points, &scalars, num_vars)
        })
        .collect();
    let out = prove_weighted(num_vars, weights, polys, sum, transcript);
    let evals: Vec<EF> = out.table_evals.iter().skip(1).step_by(2).copied().collect();
    transcript.observe_ext_slice(b"batch/evals", &evals);
    let reduced = evals
        .iter()
        .map(|&e| EvalClaim::new(out.point.clone(), e))
        .collect();
    Ok((
        BatchProof {
            sumcheck: out.proof,
            evals,
        },
        reduced,
    ))
}

/// Verifies a batching reduction of `claims` on `num_polys` polynomials of `2^num_vars` entries
/// and returns one claim per polynomial, all at the same point.
///
/// # Transcript
/// As in [`prove`].
pub fn verify(
    num_vars: usize,
    num_polys: usize,
    claims: &[PolyClaim],
    proof: &BatchProof,
    transcript: &mut Transcript,
) -> Result<Vec<EvalClaim>, SumcheckError> {
    check_claims(num_vars, num_polys, claims)?;
    if proof.evals.len() != num_polys {
        return Err(SumcheckError::WrongCount {
            what: "batched polynomial evaluations",
            expected: num_polys,
            got: proof.evals.len(),
        });
    }
    let (powers, sum) = combine_claims(claims, transcript);
    let sub = super::verify(num_vars, 2, sum, &proof.sumcheck, transcript)?;
    transcript.observe_ext_slice(b"batch/evals", &proof.evals);
    let mut weights = vec![EF::ZERO; num_polys];
    for (c, &a) in claims.iter().zip(&powers) {
        weights[c.poly] += a * eq_eval(&c.point, &sub.point);
    }
    let table_evals: Vec<EF> = weights
        .iter()
        .zip(&proof.evals)
        .flat_map(|(&w, &e)| [w, e])
        .collect();
    sub.check(&terms(num_polys), &table_evals)?;
    Ok(proof
        .evals
        .iter()
        .map(|&e| EvalClaim::new(sub.point.clone(), e))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mle::eval_mle_base;
    use crate::transcript::StatementTranscript;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    fn transcript() -> Transcript {
        StatementTranscript::new(b"batch-test").finish()
    }

    struct Instance {
        num_vars: usize,
        polys: Vec<Vec<F>>,
        claims: Vec<PolyClaim>,
    }

    /// `num_polys` polynomials; polynomial `j` gets `j + 1` claims (so several share one).
    fn instance(seed: u64, num_vars: usize, num_polys: usize) -> Instance {
        let mut rng = SmallRng::seed_from_u64(seed);
        let polys: Vec<Vec<F>> = (0..num_polys)
            .map(|_| (0..1 << num_vars).map(|_| rng.random()).collect())
            .collect();
        let mut claims = Vec::new();
        for (j, p) in polys.iter().enumerate() {
            for _ in 0..=j {
                let point: Vec<EF> = (0..num_vars).map(|_| rng.random()).collect();
                let value = eval_mle_base(p, &point);
                claims.push(PolyClaim {
                    poly: j,
                    point,
                    value,
                });
            }
        }
        // Interleave so claims on one polynomial are not contiguous.
        claims.reverse();
        Instance {
            num_vars,
            polys,
            claims,
        }
    }

    fn prove_inst(inst: &Instance) -> (BatchProof, Vec<EvalClaim>) {
        let refs: Vec<MleRef<'_>> = inst.polys.iter().map(MleRef::from).collect();
        prove(&refs, &inst.claims, &mut transcript()).expect("valid shapes")
    }

    fn verify_inst(
        inst: &Instance,
        claims: &[PolyClaim],
        proof: &BatchProof,
    ) -> Result<Vec<EvalClaim>, SumcheckError> {
        verify(
            inst.num_vars,
            inst.polys.len(),
            claims,
            proof,
            &mut transcript(),
        )
    }

    #[test]
    fn completeness() {
        for (num_vars, num_polys) in [(0, 1), (1, 2), (5, 1), (5, 3)] {
            let inst = instance((num_vars * 10 + num_polys) as u64, num_vars, num_polys);
            let (proof, pc) = prove_inst(&inst);
            let vc = verify_inst(&inst, &inst.claims, &proof).expect("verifies");
            assert_eq!(pc, vc);
            for (p, c) in inst.polys.iter().zip(&vc) {
                assert_eq!(eval_mle_base(p, &c.point), c.value);
            }
        }
    }

    #[test]
    fn base_first_round_matches_generic_prover() {
        let mut rng = SmallRng::seed_from_u64(8);
        // n = 13 takes the parallel, packed path in the first round.
        for (n, p) in [(1, 1), (3, 2), (4, 2), (13, 2)] {
            let polys: Vec<Vec<F>> = (0..p)
                .map(|_| (0..1 << n).map(|_| rng.random()).collect())
                .collect();
            let weights: Vec<Vec<EF>> = (0..p)
                .map(|_| (0..1 << n).map(|_| rng.random()).collect())
                .collect();
            let mut poly = SumOfProducts::new(n);
            for (w, q) in weights.iter().zip(&polys) {
                poly.add_table(w.clone());
                poly.add_table(crate::mle::lift(q));
            }
            poly.terms = terms(p);
            let sum = poly.sum();
            let want = super::super::prove(poly, sum, &mut transcript());
            let refs: Vec<MleRef<'_>> = polys.iter().map(MleRef::from).collect();
            let got = prove_weighted(n, weights, &refs, sum, &mut transcript());
            assert_eq!(got.proof, want.proof);
            assert_eq!(got.point, want.point);
            assert_eq!(got.table_evals, want.table_evals);
        }
    }

    #[test]
    fn every_changed_input_claim_rejected() {
        let inst = instance(1, 4, 3);
        let (proof, _) = prove_inst(&inst);
        for i in 0..inst.claims.len() {
            let mut claims = inst.claims.clone();
            claims[i].value += EF::ONE;
            assert!(verify_inst(&inst, &claims, &proof).is_err());
            let mut claims = inst.claims.clone();
            claims[i].point[0] += EF::ONE;
            assert!(verify_inst(&inst, &claims, &proof).is_err());
        }
        // Moving a claim to another polynomial is rejected.
        let mut claims = inst.claims.clone();
        let i = claims.iter().position(|c| c.poly == 2).expect("exists");
        claims[i].poly = 1;
        assert!(verify_inst(&inst, &claims, &proof).is_err());
    }

    #[test]
    fn changed_output_evaluation_rejected() {
        let inst = instance(2, 4, 3);
        let (proof, _) = prove_inst(&inst);
        for j in 0..3 {
            let mut bad = proof.clone();
            bad.evals[j] += EF::ONE;
            assert!(matches!(
                verify_inst(&inst, &inst.claims, &bad),
                Err(SumcheckError::FinalEvalMismatch { .. })
            ));
        }
        let mut bad = proof.clone();
        bad.evals.push(EF::ZERO);
        assert!(matches!(
            verify_inst(&inst, &inst.claims, &bad),
            Err(SumcheckError::WrongCount { .. })
        ));
        let mut bad = proof;
        bad.sumcheck.round_polys[0][1] += EF::ONE;
        assert!(verify_inst(&inst, &inst.claims, &bad).is_err());
    }

    #[test]
    fn false_claim_cannot_be_proved() {
        let inst = instance(3, 3, 2);
        let mut claims = inst.claims.clone();
        claims[0].value += EF::ONE;
        let refs: Vec<MleRef<'_>> = inst.polys.iter().map(MleRef::from).collect();
        let (proof, _) = prove(&refs, &claims, &mut transcript()).expect("valid shapes");
        assert!(verify_inst(&inst, &claims, &proof).is_err());
    }

    #[test]
    fn bad_shapes_are_errors() {
        let inst = instance(4, 3, 2);
        let (proof, _) = prove_inst(&inst);
        // A polynomial without claims, an index out of range, a short point.
        let only_first: Vec<PolyClaim> = inst
            .claims
            .iter()
            .filter(|c| c.poly == 0)
            .cloned()
            .collect();
        assert!(verify_inst(&inst, &only_first, &proof).is_err());
        let mut claims = inst.claims.clone();
        claims[0].poly = 7;
        assert!(verify_inst(&inst, &claims, &proof).is_err());
        let mut claims = inst.claims.clone();
        claims[0].point.pop();
        assert!(matches!(
            verify_inst(&inst, &claims, &proof),
            Err(SumcheckError::WrongPointLength { .. })
        ));
        let refs = [
            MleRef::from(&inst.polys[0][..4]),
            MleRef::from(&inst.polys[1]),
        ];
        assert!(prove(&refs, &inst.claims, &mut transcript()).is_err());
        assert!(prove(&[], &[], &mut transcript()).is_err());
    }
}
