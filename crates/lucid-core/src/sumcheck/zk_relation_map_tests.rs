//! Completeness, soundness and simulation of the zero-knowledge reduction through a public
//! linear map (a 2-to-1 sum pooling and an element-wise scaling by a bound weight).

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::tests::{absorb_mask_commitment, blinded_random, rand_vec, transcript};
use super::*;
use crate::mle::{eq_eval, eq_table, eval_mle_ext};
use crate::sumcheck::SumcheckError;
use crate::sumcheck::zk::ZkMask;

/// The pooling `Y[y] = X[2y] + X[2y + 1]` on `vars` input variables, as the coefficient table
/// `L_r(x) = eq(r, ⌊x/2⌋)`.
fn pool_weights(r: &[EF], vars: usize) -> Vec<EF> {
    let eq = eq_table(r);
    (0..1usize << vars).map(|x| eq[x >> 1]).collect()
}

fn pool_weight_eval(r: &[EF], x: &[EF]) -> EF {
    eq_eval(r, &x[..x.len() - 1])
}

/// `Y'(c0, r)` for `Y = pool(X)`, `R_Y = pool(R_X)`.
fn pooled_claim(table: &[EF], vars: usize, rng: &mut SmallRng) -> BlindedClaim {
    let c0: EF = rng.random();
    let r = rand_vec(rng, vars - 1);
    let w = c_weighted(c0, &pool_weights(&r, vars));
    let value = w.iter().zip(table).map(|(&a, &b)| a * b).sum();
    BlindedClaim::new(c0, r, value)
}

struct Fixture {
    table: Vec<EF>,
    claim: BlindedClaim,
    mask: ZkMask,
    proof: BlindedMapProof,
    out: BlindedMapOutput,
}

fn fixture(seed: u64, vars: usize) -> Fixture {
    let mut rng = SmallRng::seed_from_u64(seed);
    let table = blinded_random(&mut rng, vars);
    let claim = pooled_claim(&table, vars, &mut rng);
    let (mv, md) = blinded_map_shape(vars, 1);
    let mask = ZkMask::random(mv, md, &mut rng);
    let mut t = transcript();
    absorb_mask_commitment(&mut t);
    let w = c_weighted(claim.c, &pool_weights(&claim.point, vars));
    let (proof, out) = prove_blinded_map(&table, vec![w], &claim, &mask, &mut t).expect("valid");
    Fixture {
        table,
        claim,
        mask,
        proof,
        out,
    }
}

fn verify(f: &Fixture, claim: &BlindedClaim, proof: &BlindedMapProof) -> Result<(), SumcheckError> {
    let mut t = transcript();
    absorb_mask_commitment(&mut t);
    let vars = f.claim.point.len() + 1;
    let sub = verify_blinded_map(vars, 1, claim, proof, &mut t)?;
    let p = sub.mask_point();
    let w = eq_eval(&[claim.c], &p[..1]) * pool_weight_eval(&claim.point, &p[1..]);
    sub.check(&[w], f.mask.evaluate(p)?)?;
    // The claim handed on is true for the table.
    if eval_mle_ext(&f.table, &sub.claim.full_point()) != sub.claim.value {
        return Err(SumcheckError::InvalidShape("the handed-on claim is false"));
    }
    Ok(())
}

#[test]
fn map_completeness_and_soundness() {
    for vars in [1, 3, 5] {
        let f = fixture(70 + vars as u64, vars);
        verify(&f, &f.claim, &f.proof).expect("honest");
        assert_eq!(f.out.claim.value, f.proof.eval);
        assert_eq!(
            eval_mle_ext(&f.table, &f.out.claim.full_point()),
            f.out.claim.value
        );
        // A wrong claim, a wrong eval, a wrong round or mask sum.
        let mut wrong = f.claim.clone();
        wrong.value += EF::ONE;
        assert!(verify(&f, &wrong, &f.proof).is_err());
        let mut p = f.proof.clone();
        p.eval += EF::ONE;
        assert!(verify(&f, &f.claim, &p).is_err());
        let mut p = f.proof.clone();
        p.sumcheck.round_polys[0][0] += EF::ONE;
        assert!(verify(&f, &f.claim, &p).is_err());
        let mut p = f.proof.clone();
        p.sumcheck.mask_sum += EF::ONE;
        assert!(verify(&f, &f.claim, &p).is_err());
        let mut p = f.proof.clone();
        p.sumcheck.round_polys.pop();
        assert!(verify(&f, &f.claim, &p).is_err());
    }
}

#[test]
fn map_with_a_bound_weight_factor() {
    // Y = X ⊙ C (C public here), R_Y = R_X ⊙ C: weights eq((c0, r), ·) and [C ; C].
    let mut rng = SmallRng::seed_from_u64(81);
    let vars = 4;
    let table = blinded_random(&mut rng, vars);
    let scale = rand_vec(&mut rng, 1 << vars);
    let c0: EF = rng.random();
    let r = rand_vec(&mut rng, vars);
    let mut full = vec![c0];
    full.extend_from_slice(&r);
    let eq = eq_table(&full);
    let cc = [scale.as_slice(), scale.as_slice()].concat();
    let value = eq
        .iter()
        .zip(&cc)
        .zip(&table)
        .map(|((&a, &b), &c)| a * b * c)
        .sum();
    let claim = BlindedClaim::new(c0, r, value);
    let (mv, md) = blinded_map_shape(vars, 2);
    let mask = ZkMask::random(mv, md, &mut rng);
    let mut t = transcript();
    let (proof, _) = prove_blinded_map(&table, vec![eq, cc], &claim, &mask, &mut t).expect("valid");
    let check = |claim: &BlindedClaim, scale_eval: Option<EF>| {
        let mut t = transcript();
        let sub = verify_blinded_map(vars, 2, claim, &proof, &mut t)?;
        let p = sub.mask_point().to_vec();
        let w0 = eq_eval(&claim.full_point(), &p);
        let w1 = scale_eval.unwrap_or_else(|| eval_mle_ext(&scale, &p[1..]));
        sub.check(&[w0, w1], mask.evaluate(&p)?)
    };
    check(&claim, None).expect("honest");
    assert!(
        check(&claim, Some(EF::ONE)).is_err(),
        "a wrong weight value"
    );
    let mut wrong = claim.clone();
    wrong.value -= EF::ONE;
    assert!(check(&wrong, None).is_err());
    // Shape errors.
    assert!(prove_blinded_map(&table, Vec::new(), &claim, &mask, &mut transcript()).is_err());
    assert!(
        prove_blinded_map(
            &table,
            vec![vec![EF::ONE; 4]],
            &claim,
            &mask,
            &mut transcript()
        )
        .is_err()
    );
}

#[test]
fn simulated_map_transcripts_are_accepted() {
    let mut rng = SmallRng::seed_from_u64(90);
    let vars = 4;
    let claim = BlindedClaim::new(rng.random(), rand_vec(&mut rng, vars - 1), rng.random());
    let weight =
        |p: &[EF]| vec![eq_eval(&[claim.c], &p[..1]) * pool_weight_eval(&claim.point, &p[1..])];
    let mut t = transcript();
    let sim = simulate_blinded_map(vars, 1, &claim, weight, &mut t, &mut rng).expect("simulate");
    let mut t = transcript();
    let sub = verify_blinded_map(vars, 1, &claim, &sim.proof, &mut t).expect("rounds accepted");
    assert_eq!(sub.mask_point(), sim.point.as_slice());
    sub.check(&weight(&sim.point), sim.mask_eval)
        .expect("final equation accepted");
}
