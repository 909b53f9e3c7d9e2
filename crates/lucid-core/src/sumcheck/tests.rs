//! Completeness and soundness tests of the generic sumcheck.

use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::verifier::interpolate_at;
use super::*;
use crate::mle::eval_mle_ext;
use crate::transcript::{StatementTranscript, Transcript};

fn transcript() -> Transcript {
    StatementTranscript::new(b"sumcheck-test").finish()
}

fn rand_vec(rng: &mut SmallRng, n: usize) -> Vec<EF> {
    (0..n).map(|_| rng.random()).collect()
}

/// A random instance with `num_tables` tables and terms of degrees 0..=degree (the last term has
/// the full degree).
fn random_instance(rng: &mut SmallRng, num_vars: usize, degree: usize) -> SumOfProducts {
    let mut poly = SumOfProducts::new(num_vars);
    let num_tables = 3;
    for _ in 0..num_tables {
        poly.add_table(rand_vec(rng, 1 << num_vars));
    }
    for d in 0..=degree {
        let factors = (0..d).map(|k| (k * 7 + d) % num_tables).collect();
        poly.add_term(rng.random(), factors);
    }
    poly
}

struct Run {
    poly: SumOfProducts,
    sum: EF,
    out: ProverOutput,
}

fn run(seed: u64, num_vars: usize, degree: usize) -> Run {
    let mut rng = SmallRng::seed_from_u64(seed);
    let poly = random_instance(&mut rng, num_vars, degree);
    let sum = poly.sum();
    let out = prove(poly.clone(), sum, &mut transcript());
    Run { poly, sum, out }
}

fn verify_run(r: &Run, proof: &SumcheckProof, sum: EF, evals: &[EF]) -> Result<(), SumcheckError> {
    let sub = verify(
        r.poly.num_vars,
        r.poly.degree(),
        sum,
        proof,
        &mut transcript(),
    )?;
    sub.check(&r.poly.terms, evals)
}

#[test]
fn interpolation_matches_polynomial() {
    let mut rng = SmallRng::seed_from_u64(9);
    for d in 0..=6 {
        let coeffs = rand_vec(&mut rng, d + 1);
        let eval = |x: EF| coeffs.iter().rev().fold(EF::ZERO, |acc, &c| acc * x + c);
        let nodes: Vec<EF> = (0..=d).map(|i| eval(EF::from_usize(i))).collect();
        let r: EF = rng.random();
        assert_eq!(interpolate_at(&nodes, r), eval(r));
        // At a node itself (no division by r − j).
        assert_eq!(interpolate_at(&nodes, EF::from_usize(d)), nodes[d]);
    }
}

#[test]
fn completeness_all_degrees() {
    for num_vars in [0, 1, 2, 5] {
        for degree in 0..=MAX_DEGREE {
            let r = run(num_vars as u64 * 10 + degree as u64, num_vars, degree);
            let sub = verify(
                num_vars,
                r.poly.degree(),
                r.sum,
                &r.out.proof,
                &mut transcript(),
            )
            .expect("honest proof verifies");
            assert_eq!(sub.point, r.out.point);
            sub.check(&r.poly.terms, &r.out.table_evals)
                .expect("honest evaluations pass");
            for (t, &e) in r.poly.tables.iter().zip(&r.out.table_evals) {
                assert_eq!(eval_mle_ext(t, &r.out.point), e);
            }
            assert_eq!(r.poly.combine(&r.out.table_evals), sub.expected_eval);
        }
    }
}

#[test]
fn constant_terms_without_tables() {
    for num_vars in [0, 2, 6] {
        let mut poly = SumOfProducts::new(num_vars);
        poly.add_term(EF::from_u64(7), vec![]);
        let sum = poly.sum();
        assert_eq!(sum, EF::from_u64(7 << num_vars));
        let out = prove(poly.clone(), sum, &mut transcript());
        let sub = verify(num_vars, 0, sum, &out.proof, &mut transcript()).expect("verifies");
        sub.check(&poly.terms, &out.table_evals)
            .expect("final check");
    }
}

#[test]
fn completeness_parallel_path() {
    // 2^13 entries: the first rounds split into several blocks.
    let r = run(77, 13, 3);
    verify_run(&r, &r.out.proof, r.sum, &r.out.table_evals).expect("honest proof verifies");
}

#[test]
fn wrong_claimed_sum_rejected() {
    let r = run(1, 4, 3);
    // Honest proof, different claim.
    let err = verify_run(&r, &r.out.proof, r.sum + EF::ONE, &r.out.table_evals).unwrap_err();
    assert!(matches!(
        err,
        SumcheckError::RoundSumMismatch { round: 0, .. }
    ));
    // A prover run on a wrong claim is rejected too.
    let bad = prove(r.poly.clone(), r.sum + EF::ONE, &mut transcript());
    assert!(verify_run(&r, &bad.proof, r.sum + EF::ONE, &bad.table_evals).is_err());
}

#[test]
fn every_tampered_round_entry_rejected() {
    let r = run(2, 4, 3);
    for round in 0..r.out.proof.round_polys.len() {
        for k in 0..r.out.proof.round_polys[round].len() {
            let mut proof = r.out.proof.clone();
            proof.round_polys[round][k] += EF::ONE;
            let err = verify_run(&r, &proof, r.sum, &r.out.table_evals).unwrap_err();
            match err {
                // Entries 0 and 1 break this round's sum; any entry changes the challenge and the
                // next claim, so a later round or the final check fails.
                SumcheckError::RoundSumMismatch { round: got, .. } => assert!(got >= round),
                SumcheckError::FinalEvalMismatch { .. } => {}
                other => panic!("unexpected error {other:?}"),
            }
        }
    }
}

#[test]
fn wrong_round_poly_length_rejected() {
    let r = run(3, 3, 2);
    for round in 0..3 {
        let mut longer = r.out.proof.clone();
        longer.round_polys[round].push(EF::ZERO);
        assert_eq!(
            verify_run(&r, &longer, r.sum, &r.out.table_evals),
            Err(SumcheckError::WrongRoundPolyLength {
                round,
                expected: 3,
                got: 4
            })
        );
        let mut shorter = r.out.proof.clone();
        shorter.round_polys[round].truncate(1);
        assert_eq!(
            verify_run(&r, &shorter, r.sum, &r.out.table_evals),
            Err(SumcheckError::WrongRoundPolyLength {
                round,
                expected: 3,
                got: 1
            })
        );
        let mut empty = r.out.proof.clone();
        empty.round_polys[round].clear();
        assert!(verify_run(&r, &empty, r.sum, &r.out.table_evals).is_err());
    }
}

#[test]
fn wrong_number_of_rounds_rejected() {
    let r = run(4, 3, 2);
    let mut fewer = r.out.proof.clone();
    fewer.round_polys.pop();
    assert_eq!(
        verify_run(&r, &fewer, r.sum, &r.out.table_evals),
        Err(SumcheckError::WrongNumberOfRounds {
            expected: 3,
            got: 2
        })
    );
    let mut more = r.out.proof.clone();
    more.round_polys.push(vec![EF::ZERO; 3]);
    assert_eq!(
        verify_run(&r, &more, r.sum, &r.out.table_evals),
        Err(SumcheckError::WrongNumberOfRounds {
            expected: 3,
            got: 4
        })
    );
}

#[test]
fn wrong_final_claim_rejected() {
    let r = run(5, 4, 3);
    for j in 0..r.out.table_evals.len() {
        let mut evals = r.out.table_evals.clone();
        evals[j] += EF::ONE;
        assert!(matches!(
            verify_run(&r, &r.out.proof, r.sum, &evals),
            Err(SumcheckError::FinalEvalMismatch { .. })
        ));
    }
    // Too few evaluations is an error, not a panic.
    let short = &r.out.table_evals[..1];
    assert!(matches!(
        verify_run(&r, &r.out.proof, r.sum, short),
        Err(SumcheckError::WrongCount { .. })
    ));
}

#[test]
fn wrong_degree_rejected() {
    let r = run(6, 3, 2);
    let err = verify(3, MAX_DEGREE + 1, r.sum, &r.out.proof, &mut transcript()).unwrap_err();
    assert_eq!(
        err,
        SumcheckError::UnsupportedDegree {
            max: MAX_DEGREE,
            got: MAX_DEGREE + 1
        }
    );
    // Verifying as degree 3 a degree-2 proof fails on the round length.
    assert!(matches!(
        verify(3, 3, r.sum, &r.out.proof, &mut transcript()),
        Err(SumcheckError::WrongRoundPolyLength { round: 0, .. })
    ));
}

#[test]
fn proof_size_counts_elements() {
    let r = run(7, 5, 3);
    assert_eq!(r.out.proof.num_elements(), 5 * 4);
    assert_eq!(r.out.proof.size_bytes(), 5 * 4 * proof::EF_BYTES);
}

#[test]
fn random_malformed_proofs_never_panic() {
    let mut rng = SmallRng::seed_from_u64(99);
    for _ in 0..200 {
        let num_vars = rng.random_range(0..6usize);
        let degree = rng.random_range(0..8usize);
        let rounds = rng.random_range(0..8usize);
        let proof = SumcheckProof {
            round_polys: (0..rounds)
                .map(|_| {
                    let len = rng.random_range(0..8usize);
                    rand_vec(&mut rng, len)
                })
                .collect(),
        };
        let claim: EF = rng.random();
        if let Ok(sub) = verify(num_vars, degree, claim, &proof, &mut transcript()) {
            let terms = vec![ProductTerm {
                coeff: EF::ONE,
                factors: vec![0, 3],
            }];
            let len = rng.random_range(0..5usize);
            let evals = rand_vec(&mut rng, len);
            assert!(sub.check(&terms, &evals).is_err());
        }
    }
}
