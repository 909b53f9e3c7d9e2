//! Stacked commitments (`commit_stacked`): completeness with and without claim batching, every
//! proof field bound (the batch's sumcheck and value too), wrong claims rejected, and the mode
//! bound (a stacked proof against a plain commitment of the same tables, a flipped mode flag,
//! a missing or surplus batch, stored data of a stacked commitment).

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::tamper::{at, check_rejected, mutate_every_leaf, representatives, walk};
use super::{Fixture, prove_with, random_claims, random_tables, transcript};
use crate::proof::ProofBody;
use crate::stack::{BATCH_MIN_CLAIMS, batches};
use crate::{EvalClaim, PcsError};
use lucid_core::field::EF;
use p3_field::PrimeCharacteristicRing;

/// [`super::prove`] with a stacked commitment.
fn prove_stacked(lens: &[usize], per_table: usize, seed: u64) -> Fixture {
    let mut rng = SmallRng::seed_from_u64(seed);
    let tables = random_tables(&mut rng, lens);
    let claims = random_claims(&mut rng, &tables, per_table);
    let f = prove_with(tables, claims, |s, t| s.commit_stacked(t));
    assert!(f.commitment.is_stacked() && !f.commitment.is_hiding());
    f
}

fn batched(f: &Fixture) -> bool {
    matches!(&f.proof.body, ProofBody::Stacked { batch: Some(_), .. })
}

#[test]
fn stacked_openings_verify_with_and_without_batching() {
    // Non-power-of-two lengths, a table below the folding factor, one of length 1.
    let lens = [1000, 256, 37, 4096, 1, 3];
    let few = prove_stacked(&lens[..1], 1, 1);
    assert!(!batched(&few), "one claim is not batched");
    few.verify().expect("honest proof verifies");
    let many = prove_stacked(&lens, 5, 2);
    assert_eq!(many.claims.len(), 30);
    assert!(batched(&many), "30 claims are batched");
    many.verify().expect("honest batched proof verifies");
    // The threshold.
    assert!(!batches(BATCH_MIN_CLAIMS - 1) && batches(BATCH_MIN_CLAIMS));
    let at_threshold = prove_stacked(&[64; BATCH_MIN_CLAIMS], 1, 3);
    assert!(batched(&at_threshold));
    at_threshold.verify().expect("verifies");
    // A commitment large enough for several WHIR rounds.
    let large = prove_stacked(&[1 << 14, 3000, 20], 4, 4);
    large.verify().expect("verifies");
}

#[test]
fn wrong_claims_are_rejected() {
    let f = prove_stacked(&[1000, 256, 37, 4096, 1, 3], 3, 5);
    for i in 0..f.claims.len() {
        let mut claims = f.claims.clone();
        claims[i].value += EF::ONE;
        assert!(
            f.verify_with(&f.commitment, &claims, &f.proof).is_err(),
            "value {i}"
        );
        let mut claims = f.claims.clone();
        if let Some(c) = claims[i].point.first_mut() {
            *c += EF::ONE;
            assert!(
                f.verify_with(&f.commitment, &claims, &f.proof).is_err(),
                "point {i}"
            );
        }
    }
    // Claims moved to another table, dropped or added.
    let mut claims = f.claims.clone();
    let moved = claims
        .iter()
        .position(|c| c.table == 0)
        .expect("a claim on table 0");
    claims[moved].table = 3;
    assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
    assert!(
        f.verify_with(&f.commitment, &f.claims[1..], &f.proof)
            .is_err()
    );
    let mut more = f.claims.clone();
    more.push(f.claims[0].clone());
    assert!(f.verify_with(&f.commitment, &more, &f.proof).is_err());
}

#[test]
fn every_stacked_proof_field_is_bound() {
    let f = prove_stacked(&[1 << 12, 700, 20], 3, 6);
    f.verify().expect("honest proof verifies");
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    let classes = representatives(leaves);
    assert!(
        classes.keys().any(|k| k.contains("batch/sumcheck"))
            && classes.keys().any(|k| k.contains("batch/stacked_eval")),
        "{:?}",
        classes.keys().collect::<Vec<_>>()
    );
    let parsed = mutate_every_leaf(&f, &json, &classes);
    assert!(parsed > classes.len());
    for (class, paths) in representatives(arrays) {
        for path in paths {
            let mut mutated = json.clone();
            if at(&mut mutated, &path)
                .as_array()
                .is_some_and(Vec::is_empty)
            {
                continue;
            }
            *at(&mut mutated, &path) = Value::Array(Vec::new());
            check_rejected(&f, mutated, &format!("empty {class}"));
        }
    }
}

#[test]
fn the_mode_and_the_batch_are_bound() {
    let f = prove_stacked(&[1 << 10, 300], 4, 7);
    // The same tables committed plainly: neither proof verifies against the other mode.
    let mut rng = SmallRng::seed_from_u64(7);
    let tables = random_tables(&mut rng, &[1 << 10, 300]);
    let (plain, data) = f.scheme.commit(tables).expect("commit");
    let mut t = transcript();
    plain.observe(&mut t);
    let plain_proof = f.scheme.open(data, &f.claims, &mut t).expect("open");
    assert!(f.verify_with(&plain, &f.claims, &plain_proof).is_ok());
    assert!(matches!(
        f.verify_with(&f.commitment, &f.claims, &plain_proof),
        Err(PcsError::ModeMismatch { .. })
    ));
    assert!(f.verify_with(&plain, &f.claims, &f.proof).is_err());
    // The flag is part of the commitment: flipped, the same root fails.
    let mut flipped = f.commitment.clone();
    flipped.stacked = false;
    assert!(f.verify_with(&flipped, &f.claims, &f.proof).is_err());
    let mut both = f.commitment.clone();
    both.hiding = true;
    assert!(f.verify_with(&both, &f.claims, &f.proof).is_err());
    // A missing batch, or one that is not due.
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let mut dropped = json.clone();
    dropped["body"]["Stacked"]["batch"] = Value::Null;
    assert!(check_rejected(&f, dropped, "dropped batch"));
    let few: Vec<EvalClaim> = f.claims[..1].to_vec();
    assert!(f.verify_with(&f.commitment, &few, &f.proof).is_err());
    // Stacked data cannot be stored, a stacked commitment cannot be restored.
    let mut rng = SmallRng::seed_from_u64(8);
    let (c, data) = f
        .scheme
        .commit_stacked(random_tables(&mut rng, &[64]))
        .expect("commit");
    assert!(data.codeword_bytes().is_err());
    assert!(
        f.scheme
            .restore(&c, random_tables(&mut rng, &[64]), &[])
            .is_err()
    );
}

#[test]
fn the_prover_refuses_wrong_claimed_values() {
    for per_table in [1, 4] {
        let mut rng = SmallRng::seed_from_u64(9);
        let tables = random_tables(&mut rng, &[300, 64]);
        let mut claims = random_claims(&mut rng, &tables, per_table);
        claims[1].value += EF::ONE;
        let scheme = crate::CommitmentScheme::new(super::test_params());
        let (c, data) = scheme.commit_stacked(tables).expect("commit");
        let mut t = transcript();
        c.observe(&mut t);
        assert_eq!(batches(claims.len()), per_table > 1);
        assert!(
            scheme.open(data, &claims, &mut t).is_err(),
            "{} claims",
            claims.len()
        );
    }
}
