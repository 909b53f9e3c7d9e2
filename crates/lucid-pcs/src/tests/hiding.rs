//! The hiding mode: completeness on mixed table sizes, soundness (every claim element, the
//! commitment and every proof field are bound), and hiding checks (fresh randomness per
//! commitment, no table entry in the proof, identical proof shape for tables that agree only
//! on the claims).

use std::collections::BTreeSet;

use lucid_core::field::{EF, F};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::{SmallRng, StdRng};
use rand::{RngExt, SeedableRng};
use serde_json::Value;

use super::tamper::{at, check_rejected, mutate_every_leaf, representatives, walk};
use super::{Fixture, mle, prove_with, random_claims, random_tables, test_params, transcript};
use crate::{CommitmentScheme, EvalClaim, OpeningProof, PcsError};

/// Commits in hiding mode, binds the commitment, then opens.
fn prove_tables(tables: Vec<Vec<F>>, claims: Vec<EvalClaim>, seed: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let f = prove_with(tables, claims, |s, t| s.commit_hiding(t, &mut rng));
    assert!(f.commitment.is_hiding());
    f
}

fn prove_hiding(lens: &[usize], per_table: usize, seed: u64) -> Fixture {
    let mut rng = SmallRng::seed_from_u64(seed);
    let tables = random_tables(&mut rng, lens);
    let claims = random_claims(&mut rng, &tables, per_table);
    prove_tables(tables, claims, seed)
}

/// Every numeric leaf of a proof's JSON form.
fn numbers(proof: &OpeningProof) -> Vec<u64> {
    fn go(v: &Value, out: &mut Vec<u64>) {
        match v {
            Value::Number(n) => out.extend(n.as_u64()),
            Value::Array(items) => items.iter().for_each(|i| go(i, out)),
            Value::Object(map) => map.values().for_each(|i| go(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    go(&serde_json::to_value(proof).expect("serialize"), &mut out);
    out
}

/// The proof's public shape: every field path (array indices erased) and the number of
/// WHIR rounds and sumchecks. (Merkle multi-proofs deduplicate shared siblings, so exact
/// array lengths inside openings depend on where the random queries fall.)
fn shape(proof: &OpeningProof) -> (Vec<String>, usize, usize) {
    let json = serde_json::to_value(proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    let body = &json["body"]["Hiding"][0]["whir"];
    let len = |v: &Value| v.as_array().map_or(0, Vec::len);
    (
        representatives(leaves).into_keys().collect(),
        len(&body["rounds"]),
        len(&body["sumchecks"]),
    )
}

#[test]
fn hiding_mixed_sizes_many_claims_verify() {
    let f = prove_hiding(&[3, 40, 1000, 17, 1, 256], 3, 1);
    f.verify().expect("honest hiding proof verifies");
    assert!(format!("{:?}", f.proof).contains("Hiding"));
}

#[test]
fn hiding_boolean_points_open_table_entries() {
    let mut rng = SmallRng::seed_from_u64(2);
    let tables = random_tables(&mut rng, &[100, 9]);
    // Entry 37 of table 0 (7 variables) and entry 8 of table 1 (4 variables).
    let bits = |index: usize, vars: usize| -> Vec<EF> {
        (0..vars)
            .map(|i| EF::from_bool((index >> (vars - 1 - i)) & 1 == 1))
            .collect()
    };
    let claims = vec![
        EvalClaim {
            table: 0,
            point: bits(37, 7),
            value: EF::from(tables[0][37]),
        },
        EvalClaim {
            table: 1,
            point: bits(8, 4),
            value: EF::from(tables[1][8]),
        },
    ];
    prove_tables(tables, claims, 2).verify().expect("verifies");
}

#[test]
fn hiding_security_reaches_100_bits() {
    let scheme = CommitmentScheme::new(crate::PcsParams::default());
    for lens in [vec![1 << 16], vec![1 << 20], vec![3, 40, 1000]] {
        let report = scheme.security_hiding(&lens, 8).expect("security");
        assert!(report.bits >= 100.0, "{lens:?}: {report:?}");
        assert!(report.per_term_bits >= 100, "{lens:?}: {report:?}");
    }
}

#[test]
fn hiding_prover_refuses_a_wrong_claimed_value() {
    let mut rng = SmallRng::seed_from_u64(3);
    let tables = random_tables(&mut rng, &[64, 5]);
    let mut claims = random_claims(&mut rng, &tables, 2);
    claims[1].value += EF::ONE;
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme
        .commit_hiding(tables, &mut StdRng::seed_from_u64(3))
        .expect("commit");
    let mut t = transcript();
    commitment.observe(&mut t);
    assert!(matches!(
        scheme.open(data, &claims, &mut t),
        Err(PcsError::WrongClaimedValue { claim: 1, .. })
    ));
}

/// Whether the proof batched its claims before HVZK-WHIR.
fn batched(f: &Fixture) -> bool {
    format!("{:?}", f.proof).contains("batched: [true")
}

/// Enough claims on these tables to be batched (more than the stack's variables + 5).
fn prove_batched(seed: u64) -> Fixture {
    let f = prove_hiding(&[1 << 10, 300, 20, 7], 8, seed);
    assert!(batched(&f), "{} claims were not batched", f.claims.len());
    f
}

#[test]
fn hiding_many_claims_are_batched_and_verify() {
    let f = prove_batched(20);
    f.verify().expect("honest batched proof verifies");
    assert!(!batched(&prove_hiding(&[200, 30, 7], 2, 4)));
}

#[test]
fn hiding_batch_must_be_present_exactly_when_due() {
    let f = prove_batched(21);
    let mut json = serde_json::to_value(&f.proof).expect("serialize");
    json["body"]["Hiding"][0]["batch"] = Value::Null;
    let proof: OpeningProof = serde_json::from_value(json).expect("parse");
    assert!(matches!(
        f.verify_with(&f.commitment, &f.claims, &proof),
        Err(PcsError::BatchPresence { expected: true })
    ));
    // A batch on an opening of few claims.
    let few = prove_hiding(&[1 << 10, 300, 20, 7], 1, 22);
    assert!(!batched(&few));
    let mut json = serde_json::to_value(&few.proof).expect("serialize");
    json["body"]["Hiding"][0]["batch"] =
        serde_json::to_value(&f.proof).expect("serialize")["body"]["Hiding"][0]["batch"].clone();
    let proof: OpeningProof = serde_json::from_value(json).expect("parse");
    assert!(matches!(
        few.verify_with(&few.commitment, &few.claims, &proof),
        Err(PcsError::BatchPresence { expected: false })
    ));
}

#[test]
fn hiding_batch_rejects_a_wrong_row_count_and_a_wrong_evaluation() {
    let f = prove_batched(23);
    let mut json = serde_json::to_value(&f.proof).expect("serialize");
    json["body"]["Hiding"][0]["batch"]["mask_rows"]
        .as_array_mut()
        .expect("rows")
        .pop();
    let proof: OpeningProof = serde_json::from_value(json).expect("parse");
    assert!(matches!(
        f.verify_with(&f.commitment, &f.claims, &proof),
        Err(PcsError::BatchRowCount { .. })
    ));
    let mut json = serde_json::to_value(&f.proof).expect("serialize");
    let leaf = &mut json["body"]["Hiding"][0]["batch"]["stacked_eval"]["value"][0];
    *leaf = Value::from(leaf.as_u64().expect("u64") ^ 1);
    let proof: OpeningProof = serde_json::from_value(json).expect("parse");
    assert!(matches!(
        f.verify_with(&f.commitment, &f.claims, &proof),
        Err(PcsError::BatchRejected(_))
    ));
}

#[test]
fn hiding_claims_may_not_name_the_internal_tables() {
    let mut rng = SmallRng::seed_from_u64(24);
    let tables = random_tables(&mut rng, &[64, 5]);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme
        .commit_hiding(tables, &mut StdRng::seed_from_u64(24))
        .expect("commit");
    for table in [2, 3] {
        let claims = vec![EvalClaim {
            table,
            point: vec![EF::ZERO; 4],
            value: EF::ZERO,
        }];
        let mut t = transcript();
        commitment.observe(&mut t);
        assert!(matches!(
            scheme.open(data.clone(), &claims, &mut t),
            Err(PcsError::NoSuchTable { table: t, .. }) if t == table
        ));
    }
}

#[test]
fn hiding_changed_claims_are_rejected() {
    changed_claims_are_rejected(&prove_hiding(&[200, 30, 7], 2, 4));
}

#[test]
fn hiding_batched_changed_claims_are_rejected() {
    changed_claims_are_rejected(&prove_batched(25));
}

fn changed_claims_are_rejected(f: &Fixture) {
    f.verify().expect("honest");
    for i in 0..f.claims.len() {
        let mut claims = f.claims.clone();
        claims[i].value += EF::ONE;
        assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
        for j in 0..claims[i].point.len() {
            let mut claims = f.claims.clone();
            claims[i].point[j] += EF::ONE;
            assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
        }
    }
    let mut swapped = f.claims.clone();
    swapped.swap(0, 1);
    assert!(f.verify_with(&f.commitment, &swapped, &f.proof).is_err());
    assert!(
        f.verify_with(&f.commitment, &f.claims[1..], &f.proof)
            .is_err()
    );
    let mut other_table = f.claims.clone();
    other_table[0].table = (other_table[0].table + 1) % f.commitment.num_tables();
    assert!(
        f.verify_with(&f.commitment, &other_table, &f.proof)
            .is_err()
    );
}

#[test]
fn hiding_changed_commitment_is_rejected() {
    let f = prove_hiding(&[200, 30, 7], 2, 5);
    for i in 0..f.commitment.root_elements().len() {
        let mut json = serde_json::to_value(&f.commitment).expect("serialize");
        let leaf = &mut json["root"]["cap"][0][i];
        *leaf = Value::from(leaf.as_u64().expect("u64") ^ 1);
        let commitment = serde_json::from_value(json).expect("parse");
        assert!(f.verify_with(&commitment, &f.claims, &f.proof).is_err());
    }
    let mut lens = f.commitment.clone();
    lens.table_lens[1] += 1;
    assert!(f.verify_with(&lens, &f.claims, &f.proof).is_err());
    // The same root presented as a plain commitment, and a plain proof for a hiding one.
    let mut plain = f.commitment.clone();
    plain.hiding = false;
    assert!(f.verify_with(&plain, &f.claims, &f.proof).is_err());
    let plain_fixture = super::prove(&[200, 30, 7], 2, 5);
    assert!(
        f.verify_with(&f.commitment, &plain_fixture.claims, &plain_fixture.proof)
            .is_err()
    );
    // Another hiding commitment to other tables.
    let other = prove_hiding(&[200, 30, 7], 2, 6);
    assert!(
        f.verify_with(&other.commitment, &f.claims, &f.proof)
            .is_err()
    );
    assert!(
        f.verify_with(&f.commitment, &f.claims, &other.proof)
            .is_err()
    );
}

#[test]
fn hiding_every_proof_field_is_bound() {
    every_proof_field_is_bound(&prove_hiding(&[1 << 10, 300, 20], 2, 7));
}

#[test]
fn hiding_batched_every_proof_field_is_bound() {
    every_proof_field_is_bound(&prove_batched(26));
}

fn every_proof_field_is_bound(f: &Fixture) {
    f.verify().expect("honest proof verifies");
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let (mut leaves, mut arrays) = (Vec::new(), Vec::new());
    walk(&json, &mut Vec::new(), &mut leaves, &mut arrays);
    let classes = representatives(leaves);
    assert!(classes.len() >= 10, "only {} leaf classes", classes.len());
    let parsed = mutate_every_leaf(f, &json, &classes);
    assert!(parsed > classes.len());
    // Resized arrays: rejected, never a panic.
    for (class, paths) in representatives(arrays) {
        for path in paths {
            let original = at(&mut json.clone(), &path).clone();
            let items = original.as_array().expect("array").clone();
            let mut variants = vec![Value::Array(Vec::new())];
            if let Some(last) = items.last() {
                let mut longer = items.clone();
                longer.push(last.clone());
                variants.push(Value::Array(longer));
                let mut shorter = items;
                shorter.pop();
                variants.push(Value::Array(shorter));
            }
            for variant in variants.into_iter().filter(|v| *v != original) {
                let mut mutated = json.clone();
                *at(&mut mutated, &path) = variant;
                check_rejected(f, mutated, &format!("resize {class}"));
            }
        }
    }
}

#[test]
fn hiding_data_opens_once() {
    let mut rng = SmallRng::seed_from_u64(8);
    let tables = random_tables(&mut rng, &[64]);
    let claims = random_claims(&mut rng, &tables, 1);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme
        .commit_hiding(tables, &mut StdRng::seed_from_u64(8))
        .expect("commit");
    let copy = data.clone();
    let mut t = transcript();
    commitment.observe(&mut t);
    assert!(matches!(
        scheme.open(data, &claims, &mut t),
        Err(PcsError::HidingDataShared)
    ));
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme
        .open(copy, &claims, &mut t)
        .expect("last holder opens");
    let mut t = transcript();
    commitment.observe(&mut t);
    scheme
        .verify(&commitment, &claims, &proof, &mut t)
        .expect("verifies");
}

/// Two tables that agree at the claimed entries and differ everywhere else: both proofs
/// verify, have the same shape, reveal no unclaimed entry, and fresh randomness changes every
/// root and (almost) every proof element.
#[test]
fn hiding_proofs_reveal_only_the_claims() {
    reveal_only_the_claims(&[5, 300, 777], false);
}

#[test]
fn hiding_batched_proofs_reveal_only_the_claims() {
    let claimed: Vec<usize> = (0..30).map(|i| 7 + 33 * i).collect();
    reveal_only_the_claims(&claimed, true);
}

fn reveal_only_the_claims(claimed: &[usize], batch: bool) {
    let mut rng = SmallRng::seed_from_u64(9);
    let len = 1 << 10;
    let a: Vec<F> = (0..len).map(|_| rng.random::<F>()).collect();
    let mut b: Vec<F> = (0..len).map(|_| rng.random::<F>()).collect();
    for &i in claimed {
        b[i] = a[i];
    }
    let vars = 10;
    let claims: Vec<EvalClaim> = claimed
        .iter()
        .map(|&i| {
            let point: Vec<EF> = (0..vars)
                .map(|k| EF::from_bool((i >> (vars - 1 - k)) & 1 == 1))
                .collect();
            EvalClaim {
                table: 0,
                value: mle(&a, &point),
                point,
            }
        })
        .collect();
    let fa = prove_tables(vec![a.clone()], claims.clone(), 100);
    let fa2 = prove_tables(vec![a.clone()], claims.clone(), 101);
    let fb = prove_tables(vec![b.clone()], claims, 102);
    for f in [&fa, &fa2, &fb] {
        f.verify().expect("verifies");
        assert_eq!(batched(f), batch);
    }
    // Same public shape whichever table was committed.
    let (sa, sb) = (shape(&fa.proof), shape(&fb.proof));
    assert!(sa == sb, "proof shapes differ");
    assert!(sa.1 > 0, "the test must exercise code-switching rounds");
    // Fresh randomness: a new root for the same table, unlike the plain mode.
    assert_ne!(
        fa.commitment.root_elements(),
        fa2.commitment.root_elements()
    );
    let plain = CommitmentScheme::new(test_params());
    let (p1, _) = plain.commit(vec![a.clone()]).expect("commit");
    let (p2, _) = plain.commit(vec![a.clone()]).expect("commit");
    assert_eq!(p1.root_elements(), p2.root_elements());

    // No unclaimed entry of either table appears among the proof's numbers.
    let large = |x: &u64| *x >= 1 << 32;
    for (f, table) in [(&fa, &a), (&fa2, &a), (&fb, &b)] {
        let seen: BTreeSet<u64> = numbers(&f.proof).into_iter().filter(large).collect();
        let leaked = table
            .iter()
            .enumerate()
            .filter(|(i, x)| !claimed.contains(i) && seen.contains(&x.as_canonical_u64()))
            .count();
        assert_eq!(leaked, 0, "unclaimed table entries appear in the proof");
    }
    // The two proofs of the same table share (almost) no field element: nothing in them is a
    // deterministic function of the table alone. (Claimed values are base-field entries here,
    // and the constant mask-shape data may coincide: allow a handful of equal elements.)
    let n1: BTreeSet<u64> = numbers(&fa.proof).into_iter().filter(large).collect();
    let n2: BTreeSet<u64> = numbers(&fa2.proof).into_iter().filter(large).collect();
    let common = n1.intersection(&n2).count();
    assert!(
        common <= claimed.len(),
        "{common} of {} elements repeat across runs",
        n1.len()
    );
}

use p3_field::PrimeField64 as _;

/// Tables that fill just over half of one stack: split into two stacks (the second one small),
/// each opened on its own; every claim, root and proof field still bound.
#[test]
fn hiding_tables_split_into_stacks() {
    let lens = [1 << 17, 1 << 16, 1 << 15, 1 << 14, 1 << 14];
    let vars: Vec<usize> = lens
        .iter()
        .map(|&l| crate::params::table_variables(l))
        .collect();
    let plans = crate::hiding::plan_stacks_for_tests(&vars, &test_params());
    assert_eq!(plans.len(), 2, "{plans:?}");
    assert_eq!(plans[1], vec![4], "{plans:?}");
    let f = prove_hiding(&lens, 2, 30);
    assert_eq!(f.commitment.extra_roots.len(), 1);
    f.verify().expect("honest split proof verifies");
    assert!(format!("{:?}", f.proof).contains("stacks: 2"));
    changed_claims_are_rejected(&f);
    // Claims on the first stack only: one opening, and a proof for both is refused.
    let first_only: Vec<EvalClaim> = f.claims.iter().filter(|c| c.table != 4).cloned().collect();
    assert!(f.verify_with(&f.commitment, &first_only, &f.proof).is_err());
    // The second root is bound: changed, dropped, or a proof's openings swapped.
    let mut json = serde_json::to_value(&f.commitment).expect("serialize");
    let leaf = &mut json["extra_roots"][0]["cap"][0][0];
    *leaf = Value::from(leaf.as_u64().expect("u64") ^ 1);
    let changed = serde_json::from_value(json).expect("parse");
    assert!(f.verify_with(&changed, &f.claims, &f.proof).is_err());
    let mut dropped = f.commitment.clone();
    dropped.extra_roots.clear();
    assert!(matches!(
        f.verify_with(&dropped, &f.claims, &f.proof),
        Err(PcsError::MalformedCommitment { .. })
    ));
    let mut json = serde_json::to_value(&f.proof).expect("serialize");
    json["body"]["Hiding"]
        .as_array_mut()
        .expect("stacks")
        .reverse();
    if let Ok(swapped) = serde_json::from_value::<OpeningProof>(json) {
        assert!(f.verify_with(&f.commitment, &f.claims, &swapped).is_err());
    }
    let mut json = serde_json::to_value(&f.proof).expect("serialize");
    json["body"]["Hiding"].as_array_mut().expect("stacks").pop();
    let short: OpeningProof = serde_json::from_value(json).expect("parse");
    assert!(matches!(
        f.verify_with(&f.commitment, &f.claims, &short),
        Err(PcsError::HidingStackCount { .. })
    ));
}

#[test]
fn hiding_split_stack_proof_fields_are_bound() {
    let lens = [1 << 17, 1 << 16, 1 << 15, 1 << 14, 1 << 14];
    every_proof_field_is_bound(&prove_hiding(&lens, 1, 31));
}
