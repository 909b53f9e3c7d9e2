//! Completeness and soundness of the zero-knowledge batching of claims on one blinded table.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::tests::{absorb_mask_commitment, blinded_eval, blinded_random, claim_on, transcript};
use super::*;

struct BatchFixture {
    table: Vec<EF>,
    claims: Vec<BlindedClaim>,
    mask: ZkMask,
    proof: BlindedBatchProof,
    out: BlindedBatchOutput,
}

fn batch_fixture(seed: u64, vars: usize, num_claims: usize) -> BatchFixture {
    let mut rng = SmallRng::seed_from_u64(seed);
    let table = blinded_random(&mut rng, vars);
    let claims: Vec<BlindedClaim> = (0..num_claims)
        .map(|_| claim_on(&mut rng, &table, vars))
        .collect();
    let (mv, md) = blinded_batch_shape(vars);
    let mask = ZkMask::random(mv, md, &mut rng);
    let mut t = transcript();
    absorb_mask_commitment(&mut t);
    let (proof, out) = prove_blinded_batch(&table, &claims, &mask, &mut t).expect("valid");
    BatchFixture {
        table,
        claims,
        mask,
        proof,
        out,
    }
}

fn verify_batch(
    f: &BatchFixture,
    claims: &[BlindedClaim],
    proof: &BlindedBatchProof,
    mask_eval: Option<EF>,
) -> Result<BlindedBatchSubclaim, SumcheckError> {
    let mut t = transcript();
    absorb_mask_commitment(&mut t);
    let vars = f.claims[0].point.len();
    let sub = verify_blinded_batch(vars, claims, proof, &mut t)?;
    let g = match mask_eval {
        Some(g) => g,
        None => f.mask.evaluate(sub.mask_point())?,
    };
    sub.check(g)?;
    Ok(sub)
}

#[test]
fn batching_completeness_and_soundness() {
    for (vars, k) in [(0, 1), (2, 1), (3, 3)] {
        let f = batch_fixture(30 + vars as u64, vars, k);
        let sub = verify_batch(&f, &f.claims, &f.proof, None).expect("honest");
        assert_eq!(sub.claim, f.out.claim);
        assert_eq!(blinded_eval(&f.table, &sub.claim), sub.claim.value);
        assert_eq!(
            f.mask.evaluate(sub.mask_point()).expect("arity"),
            f.out.mask_eval
        );
    }
    let f = batch_fixture(40, 3, 3);
    for i in 0..3 {
        let mut claims = f.claims.clone();
        claims[i].value += EF::ONE;
        assert!(verify_batch(&f, &claims, &f.proof, None).is_err());
        let mut claims = f.claims.clone();
        claims[i].c += EF::ONE;
        assert!(verify_batch(&f, &claims, &f.proof, None).is_err());
    }
    // A prover batching a false claim.
    let mut claims = f.claims.clone();
    claims[1].value += EF::ONE;
    let mut t = transcript();
    absorb_mask_commitment(&mut t);
    let (bad, _) = prove_blinded_batch(&f.table, &claims, &f.mask, &mut t).expect("valid");
    assert!(verify_batch(&f, &claims, &bad, None).is_err());
    // Every proof element.
    let mut p = f.proof.clone();
    p.eval += EF::ONE;
    assert!(verify_batch(&f, &f.claims, &p, None).is_err());
    let mut p = f.proof.clone();
    p.sumcheck.mask_sum += EF::ONE;
    assert!(verify_batch(&f, &f.claims, &p, None).is_err());
    for round in 0..p.sumcheck.round_polys.len() {
        for pos in 0..3 {
            let mut p = f.proof.clone();
            p.sumcheck.round_polys[round][pos] += EF::ONE;
            assert!(verify_batch(&f, &f.claims, &p, None).is_err());
        }
    }
    assert!(verify_batch(&f, &f.claims, &f.proof, Some(f.out.mask_eval + EF::ONE)).is_err());
    // Shapes.
    assert!(verify_batch(&f, &[], &f.proof, None).is_err());
    let mut claims = f.claims.clone();
    claims[0].point.pop();
    assert!(matches!(
        verify_batch(&f, &claims, &f.proof, None),
        Err(SumcheckError::WrongPointLength { .. })
    ));
    let mut p = f.proof.clone();
    p.sumcheck.round_polys.pop();
    assert!(verify_batch(&f, &f.claims, &p, None).is_err());
    let mut t = transcript();
    assert!(prove_blinded_batch(&f.table[..3], &f.claims, &f.mask, &mut t).is_err());
    assert!(prove_blinded_batch(&[EF::ONE], &[], &f.mask, &mut t).is_err());
}
