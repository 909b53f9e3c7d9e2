//! The specialised relation prover against the generic one it replaced: on random relations of
//! many shapes (padding on either side, several terms and operands, public tables, squares,
//! constant terms, every degree) both give the same proof, the same output and the same
//! transcript state.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::tests::{absorb_mask_commitment, rand_vec, transcript};
use super::*;

/// A random relation over `m` summed and `n` output variables with the given terms (factor
/// lists), random tables and coefficients; the claimed value is the honest one, or random.
fn random_relation(
    rng: &mut SmallRng,
    (m, n): (usize, usize),
    (num_operands, num_public): (usize, usize),
    factors: &[Vec<usize>],
    honest: bool,
) -> ZkRelation {
    let claim = BlindedClaim::new(rng.random(), rand_vec(rng, n), rng.random());
    let mut rel = ZkRelation {
        shape: RelationShape {
            claim,
            num_vars: m,
            num_operands,
            num_public,
            terms: factors
                .iter()
                .map(|f| ProductTerm {
                    coeff: rng.random(),
                    factors: f.clone(),
                })
                .collect(),
        },
        operands: (0..num_operands).map(|_| rand_vec(rng, 2 << m)).collect(),
        public: (0..num_public).map(|_| rand_vec(rng, 1 << m)).collect(),
        output_mask: rand_vec(rng, 1 << n),
    };
    if honest {
        rel.shape.claim.value = prover::padded_instance(rel.clone()).sum();
    }
    rel
}

/// Random factor lists over `tables` tables: `terms` terms of at most `max_len` factors (repeats
/// allowed), the first one of exactly `max_len`.
fn random_factors(
    rng: &mut SmallRng,
    tables: usize,
    terms: usize,
    max_len: usize,
) -> Vec<Vec<usize>> {
    (0..terms)
        .map(|t| {
            let len = if t == 0 || tables == 0 {
                if tables == 0 { 0 } else { max_len }
            } else {
                rng.random_range(0..=max_len)
            };
            (0..len).map(|_| rng.random_range(0..tables)).collect()
        })
        .collect()
}

/// Proves `rel` with both provers on identical transcripts and asserts identical results;
/// honest claims must also verify.
fn assert_same(rel: ZkRelation, rng: &mut SmallRng) {
    let shape = rel.shape.clone();
    let mask = ZkMask::random(shape.sumcheck_vars(), shape.degree(), rng);
    let (mut fast_t, mut slow_t) = (transcript(), transcript());
    absorb_mask_commitment(&mut fast_t);
    absorb_mask_commitment(&mut slow_t);
    let (fast, fast_out) =
        prove_relation_by(rel.clone(), &mask, &mut fast_t, prover::run).expect("valid shapes");
    let (slow, slow_out) =
        prove_relation_by(rel, &mask, &mut slow_t, prover::run_generic).expect("valid shapes");
    let what = format!(
        "m = {}, n = {}, terms {:?}",
        shape.num_vars,
        shape.output_vars(),
        shape.terms.iter().map(|t| &t.factors).collect::<Vec<_>>()
    );
    assert_eq!(fast, slow, "proofs differ: {what}");
    assert_eq!(fast_out.point, slow_out.point, "{what}");
    assert_eq!(fast_out.operand_claims, slow_out.operand_claims, "{what}");
    assert_eq!(
        fast_out.output_mask_claim, slow_out.output_mask_claim,
        "{what}"
    );
    assert_eq!(fast_out.mask_eval, slow_out.mask_eval, "{what}");
    assert_eq!(fast_out.rho, slow_out.rho, "{what}");
    assert_eq!(
        fast_t.sample_ext(b"test/next"),
        slow_t.sample_ext(b"test/next"),
        "transcripts differ: {what}"
    );
}

/// `(m, n, operands, public, factor lists)`.
type Case = (usize, usize, usize, usize, Vec<Vec<usize>>);

#[test]
fn specialised_prover_matches_generic_on_listed_shapes() {
    let mut rng = SmallRng::seed_from_u64(70);
    // (m, n, operands, public, factor lists): k = m = n, k = m > n, k = n > m, constant terms,
    // squares, a cube, the convolution's W·X·K, the maximal degree.
    let cases: Vec<Case> = vec![
        (3, 3, 2, 0, vec![vec![0, 1]]),
        (4, 2, 2, 1, vec![vec![0, 1, 2]]),
        (2, 4, 2, 1, vec![vec![0, 1, 2]]),
        (1, 3, 1, 0, vec![vec![0], vec![]]),
        (3, 0, 1, 1, vec![vec![0, 0, 1], vec![1]]),
        (0, 3, 2, 0, vec![vec![0, 1], vec![0, 0]]),
        (0, 0, 1, 0, vec![vec![0]]),
        (2, 2, 1, 0, vec![vec![0, 0, 0]]),
        (3, 2, 3, 1, vec![vec![0, 1, 2, 3]]),
        (2, 3, 2, 2, vec![vec![0, 1, 2, 3], vec![0, 2], vec![]]),
        (2, 1, 0, 1, vec![vec![0, 0]]),
        (1, 2, 0, 0, vec![vec![]]),
        (2, 2, 0, 0, vec![]),
    ];
    for (m, n, ops, public, factors) in cases {
        for honest in [true, false] {
            let rel = random_relation(&mut rng, (m, n), (ops, public), &factors, honest);
            assert_same(rel, &mut rng);
        }
    }
}

#[test]
fn specialised_prover_matches_generic_on_random_shapes() {
    let mut rng = SmallRng::seed_from_u64(71);
    for _ in 0..60 {
        let (m, n) = (rng.random_range(0..=4), rng.random_range(0..=4));
        let (ops, public) = (rng.random_range(0..=3), rng.random_range(0..=2));
        let terms = rng.random_range(1..=3);
        let max_len = rng.random_range(0..MAX_DEGREE);
        let factors = random_factors(&mut rng, ops + public, terms, max_len);
        let honest = rng.random_bool(0.7);
        let rel = random_relation(&mut rng, (m, n), (ops, public), &factors, honest);
        assert_same(rel, &mut rng);
    }
}

#[test]
fn specialised_prover_matches_generic_beyond_one_simd_block() {
    // Large enough for the packed and the parallel kernel paths (2^12 pairs in round 0).
    let mut rng = SmallRng::seed_from_u64(72);
    for (m, n) in [(12, 9), (9, 12)] {
        let factors = vec![vec![0, 1, 2], vec![1, 1]];
        let rel = random_relation(&mut rng, (m, n), (2, 1), &factors, true);
        assert_same(rel, &mut rng);
    }
}

#[test]
fn specialised_prover_proofs_verify() {
    let mut rng = SmallRng::seed_from_u64(73);
    for (m, n) in [(3, 3), (4, 2), (2, 4), (0, 2), (2, 0)] {
        let factors = vec![vec![0, 1, 2], vec![0, 0], vec![]];
        let rel = random_relation(&mut rng, (m, n), (2, 1), &factors, true);
        let public = rel.public.clone();
        let shape = rel.shape.clone();
        let mask = ZkMask::random(shape.sumcheck_vars(), shape.degree(), &mut rng);
        let (mut pt, mut vt) = (transcript(), transcript());
        absorb_mask_commitment(&mut pt);
        absorb_mask_commitment(&mut vt);
        let (proof, out) = prove_relation(rel, &mask, &mut pt).expect("valid shapes");
        let public_evals = |z: &[EF]| -> Vec<EF> {
            public
                .iter()
                .map(|p| crate::mle::eval_mle_ext(p, z))
                .collect()
        };
        let sub = verify_relation(&shape, &proof, public_evals, &mut vt).expect("verifies");
        sub.check(out.mask_eval).expect("final equation");
    }
}
