//! Every proof element, when changed, makes verification fail; malformed proofs and garbage
//! bytes give errors, never panics.
//!
//! The proof is walked through its serde (JSON) form, so the tests cover every field of the
//! WHIR proof without depending on its internal layout: each numeric leaf (field elements,
//! digests, PoW witnesses, Merkle siblings) of every distinct field path is changed, and every
//! array is shortened, lengthened and emptied.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde_json::Value;

use super::{Fixture, prove};
use crate::{Commitment, OpeningProof};

#[derive(Clone, Debug)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// Every numeric leaf and every array, by path.
pub(super) fn walk(
    v: &Value,
    path: &mut Vec<Seg>,
    leaves: &mut Vec<Vec<Seg>>,
    arrays: &mut Vec<Vec<Seg>>,
) {
    match v {
        Value::Number(_) => leaves.push(path.clone()),
        Value::Array(items) => {
            arrays.push(path.clone());
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, leaves, arrays);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(Seg::Key(k.clone()));
                walk(item, path, leaves, arrays);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The path with array indices erased: one class per proof field.
fn pattern(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(_) => "*".to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub(super) fn at<'a>(v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

/// First and last representative of each class.
pub(super) fn representatives(paths: Vec<Vec<Seg>>) -> BTreeMap<String, Vec<Vec<Seg>>> {
    let mut classes: BTreeMap<String, Vec<Vec<Seg>>> = BTreeMap::new();
    for p in paths {
        let entry = classes.entry(pattern(&p)).or_default();
        if entry.len() < 2 {
            entry.push(p);
        } else {
            entry[1] = p;
        }
    }
    classes
}

/// Deserializes a mutated proof and verifies it: it must not panic and must not verify.
/// Returns whether the mutated proof even parsed.
pub(super) fn check_rejected(f: &Fixture, json: Value, what: &str) -> bool {
    let Ok(proof) = serde_json::from_value::<OpeningProof>(json) else {
        return false;
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        f.verify_with(&f.commitment, &f.claims, &proof)
    }));
    match result {
        Err(_) => panic!("verifier panicked on mutation {what}"),
        Ok(Ok(())) => panic!("mutated proof verified: {what}"),
        Ok(Err(_)) => true,
    }
}

/// Changes every representative leaf of `classes` two ways (a flipped low bit, and a small
/// change that stays canonical when the flip leaves the field's range) and checks each
/// mutated proof is rejected without a panic; returns how many mutations parsed.
pub(super) fn mutate_every_leaf(
    f: &Fixture,
    json: &Value,
    classes: &BTreeMap<String, Vec<Vec<Seg>>>,
) -> usize {
    let mut parsed = 0;
    for (class, paths) in classes {
        for path in paths {
            let mut mutated = json.clone();
            let x = at(&mut mutated, path)
                .as_u64()
                .expect("numeric leaves are u64");
            for y in [x ^ 1, if x > 0 { x - 1 } else { 1 }] {
                *at(&mut mutated, path) = Value::from(y);
                parsed += usize::from(check_rejected(f, mutated.clone(), class));
            }
        }
    }
    parsed
}

fn fixture() -> Fixture {
    // Large enough for intermediate WHIR rounds, a final sumcheck and a final polynomial.
    prove(&[1 << 12, 700, 20], 2, 42)
}

#[test]
fn every_proof_field_is_bound() {
    let f = fixture();
    f.verify().expect("honest proof verifies");
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    let classes = representatives(leaves);
    // The proof has initial OOD answers, sumcheck data, rounds (roots, OOD answers, PoW,
    // query rows, Merkle proofs), a final polynomial, final PoW and final queries.
    assert!(classes.len() >= 10, "only {} leaf classes", classes.len());
    let parsed = mutate_every_leaf(&f, &json, &classes);
    assert!(
        parsed > classes.len(),
        "most mutations must parse and be rejected by the verifier"
    );
}

#[test]
fn resized_arrays_are_rejected_without_panic() {
    let f = fixture();
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    for (class, paths) in representatives(arrays) {
        for path in paths {
            let original = at(&mut json.clone(), &path).clone();
            let items = original.as_array().expect("array").clone();
            let mut variants = vec![Value::Array(Vec::new())];
            if let Some(last) = items.last() {
                let mut longer = items.clone();
                longer.push(last.clone());
                variants.push(Value::Array(longer));
                let mut shorter = items.clone();
                shorter.pop();
                variants.push(Value::Array(shorter));
            }
            for variant in variants.into_iter().filter(|v| *v != original) {
                let mut mutated = json.clone();
                *at(&mut mutated, &path) = variant;
                check_rejected(&f, mutated, &format!("resize {class}"));
            }
        }
    }
}

#[test]
fn dropped_options_are_rejected() {
    let f = fixture();
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let plain = &json["body"]["Plain"];
    let mut dropped = 0;
    for key in ["final_poly", "final_sumcheck"] {
        if !plain[key].is_null() {
            let mut mutated = json.clone();
            mutated["body"]["Plain"][key] = Value::Null;
            assert!(check_rejected(&f, mutated, key));
            dropped += 1;
        }
    }
    let rounds = plain["rounds"].as_array().expect("rounds").len();
    assert!(rounds > 0, "the fixture must have intermediate rounds");
    for r in 0..rounds {
        let mut mutated = json.clone();
        mutated["body"]["Plain"]["rounds"][r]["commitment"] = Value::Null;
        assert!(check_rejected(&f, mutated, "round commitment"));
    }
    assert!(dropped > 0);
}

#[test]
fn proof_for_other_claims_is_rejected() {
    let f = fixture();
    let other = prove(&[1 << 12, 700, 20], 2, 43);
    assert!(
        f.verify_with(&f.commitment, &f.claims, &other.proof)
            .is_err()
    );
    assert!(
        f.verify_with(&other.commitment, &f.claims, &f.proof)
            .is_err()
    );
}

#[test]
fn garbage_bytes_give_errors() {
    let f = fixture();
    let bytes = postcard::to_allocvec(&f.proof).expect("serialize");
    let back: OpeningProof = postcard::from_bytes(&bytes).expect("round trip");
    f.verify_with(&f.commitment, &f.claims, &back)
        .expect("round-tripped proof verifies");
    let cbytes = postcard::to_allocvec(&f.commitment).expect("serialize");
    let cback: Commitment = postcard::from_bytes(&cbytes).expect("round trip");
    assert_eq!(cback, f.commitment);

    let mut rng = SmallRng::seed_from_u64(7);
    // Truncations.
    for cut in [0, 1, 8, bytes.len() / 3, bytes.len() - 1] {
        assert!(postcard::from_bytes::<OpeningProof>(&bytes[..cut]).is_err());
    }
    assert!(postcard::from_bytes::<Commitment>(&cbytes[..cbytes.len() - 1]).is_err());
    // Random bytes.
    for len in [0usize, 3, 17, 100, 1000, 5000] {
        let junk: Vec<u8> = (0..len).map(|_| rng.random::<u8>()).collect();
        if let Ok(proof) = postcard::from_bytes::<OpeningProof>(&junk) {
            assert!(f.verify_with(&f.commitment, &f.claims, &proof).is_err());
        }
        assert!(serde_json::from_slice::<OpeningProof>(&junk).is_err());
        if let Ok(c) = postcard::from_bytes::<Commitment>(&junk) {
            assert!(f.verify_with(&c, &f.claims, &f.proof).is_err());
        }
    }
    // Random byte flips in a valid encoding: parse error or rejection, never a panic.
    for _ in 0..200 {
        let mut flipped = bytes.clone();
        let i = rng.random_range(0..flipped.len());
        flipped[i] ^= 1 << rng.random_range(0..8);
        if let Ok(proof) = postcard::from_bytes::<OpeningProof>(&flipped) {
            let r = catch_unwind(AssertUnwindSafe(|| {
                f.verify_with(&f.commitment, &f.claims, &proof)
            }));
            match r {
                Err(_) => panic!("verifier panicked on a byte flip at {i}"),
                Ok(r) => assert!(r.is_err(), "byte flip at {i} verified"),
            }
        }
    }
}

#[test]
fn random_leaf_mutations_are_rejected() {
    let f = fixture();
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    let mut rng = SmallRng::seed_from_u64(9);
    for _ in 0..300 {
        let path = &leaves[rng.random_range(0..leaves.len())];
        let mut mutated = json.clone();
        let x = at(&mut mutated, path)
            .as_u64()
            .expect("numeric leaves are u64");
        *at(&mut mutated, path) = Value::from(x.wrapping_add(rng.random_range(1..1000)));
        check_rejected(&f, mutated, &pattern(path));
    }
}
