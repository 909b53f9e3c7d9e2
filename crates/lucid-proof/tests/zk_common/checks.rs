//! Checks shared by the zero-knowledge suites: witnesses with one changed entry, tampering with
//! every field of a proof's new layer proofs, and the scan of a proof for private values and
//! unmasked evaluations.

use std::collections::{BTreeMap, HashSet};

use lucid_core::field::{EF, from_i64};
use lucid_core::mle::eval_mle_base;
use lucid_model::int_eval::Witness;
use lucid_model::tensor::Tensor;
use lucid_proof::zk::{self, ZkProof};
use lucid_proof::{ProverKey, VerifyingKey};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use serde_json::Value as Json;

use super::{all_numbers, at, first_limb, numeric_paths, verifies};

/// `w` with entry `index` of node `id` changed by `delta`.
pub fn with_entry(w: &Witness, id: usize, index: usize, delta: i64) -> Witness {
    let mut bad = w.clone();
    let mut data = bad.tensors[id].data().to_vec();
    data[index] += delta;
    bad.tensors[id] = Tensor::new(bad.tensors[id].shape().to_vec(), data).expect("shape");
    bad
}

/// The paths of the numeric leaves of `json` (a proof) under the layer-proof variants
/// `variants`, grouped by field: the first `depth` path segments from the variant's name
/// (`Variant.field.[i]…`).
pub fn leaves_by_field(
    json: &Json,
    variants: &[&str],
    depth: usize,
) -> BTreeMap<String, Vec<Vec<Json>>> {
    let mut paths = Vec::new();
    numeric_paths(json, &mut Vec::new(), &mut paths);
    let mut by_field: BTreeMap<String, Vec<Vec<Json>>> = BTreeMap::new();
    for p in paths {
        let Some(i) = p
            .iter()
            .position(|s| s.as_str().is_some_and(|s| variants.contains(&s)))
        else {
            continue;
        };
        let names: Vec<String> = p[i..]
            .iter()
            .take(depth)
            .map(|s| match s {
                Json::String(k) => k.clone(),
                Json::Number(n) => format!("[{n}]"),
                _ => String::new(),
            })
            .collect();
        by_field.entry(names.join(".")).or_default().push(p);
    }
    by_field
}

/// [`leaves_by_field`] restricted to the layer proof `proof.layers[at]`.
pub fn layer_leaves_by_field(
    json: &Json,
    at: usize,
    variants: &[&str],
    depth: usize,
) -> BTreeMap<String, Vec<Vec<Json>>> {
    let mut only = json.clone();
    only["layers"] = Json::Array(vec![json["layers"][at].clone()]);
    leaves_by_field(&only, variants, depth)
        .into_iter()
        .map(|(field, paths)| {
            let paths = paths
                .into_iter()
                .map(|mut p| {
                    p[1] = Json::from(at);
                    p
                })
                .collect();
            (field, paths)
        })
        .collect()
}

/// Asserts that every field named in `want` (a prefix of a key of `by_field`) is there.
pub fn assert_fields_present(by_field: &BTreeMap<String, Vec<Vec<Json>>>, want: &[&str]) {
    for w in want {
        assert!(
            by_field.keys().any(|k| k.starts_with(w)),
            "no field {w} in {:?}",
            by_field.keys().collect::<Vec<_>>()
        );
    }
}

/// Flips the low bit of about `per_field` leaves of every field of `by_field` in `json`; every
/// forged proof that still parses must be rejected by `vk`, and at least one mutation of every
/// field must parse. Returns the number of forged proofs tried.
pub fn assert_tampered_fields_rejected(
    vk: &VerifyingKey,
    json: &Json,
    by_field: &BTreeMap<String, Vec<Vec<Json>>>,
    per_field: usize,
) -> usize {
    let mut tried = 0;
    for (field, ps) in by_field {
        let step = (ps.len() / per_field.max(1)).max(1);
        let mut parsed = false;
        for p in ps.iter().step_by(step) {
            let mut j = json.clone();
            let x = at(&mut j, p);
            let Some(u) = x.as_u64() else { continue };
            *x = Json::from(u ^ 1);
            let Ok(forged) = serde_json::from_value::<ZkProof>(j) else {
                continue;
            };
            parsed = true;
            tried += 1;
            assert!(
                !verifies(vk, &forged, field),
                "tampered {field} at {p:?} verified"
            );
        }
        assert!(parsed, "no mutation of {field} parsed");
    }
    tried
}

/// Scans an honest proof: no run of four values (not all equal) of a node in `private`
/// appears among its numbers, and every claim the first opening settles on a private blinded
/// table (outputs aside) is at `c ≠ 0`, differs from the table's unmasked evaluation at its
/// point, and that evaluation's first limb appears nowhere in the proof. Returns the number of
/// claims checked.
pub fn assert_no_unmasked_evaluation(
    pk: &ProverKey,
    proof: &ZkProof,
    witness: &Witness,
    private: &[usize],
) -> usize {
    let (_, settle) = zk::verify_with_claims(&pk.vk, proof, None).expect("verifies");
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    let json = serde_json::to_value(proof).expect("serialize");
    let mut numbers = Vec::new();
    all_numbers(&json, &mut numbers);
    let g = &pk.graph;
    for &n in private {
        let encoded: Vec<u64> = witness.tensors[n]
            .data()
            .iter()
            .map(|&v| from_i64(v).as_canonical_u64())
            .collect();
        // (Runs of one repeated value, e.g. ReLU zeros, are no evidence.)
        assert!(
            !numbers.windows(4).any(|w| encoded
                .windows(4)
                .any(|e| e == w && e.iter().any(|&v| v != e[0]))),
            "four consecutive values of node {n} appear in the proof"
        );
    }
    let numbers: HashSet<u64> = numbers.into_iter().collect();
    let mut checked = 0;
    for claim in &settle.first {
        let node = match zp.tables[claim.table] {
            zk::plan::Table1::Blinded(n) | zk::plan::Table1::Limb(n, _) => n,
            _ => continue,
        };
        if g.outputs.iter().any(|o| o.node == node) {
            continue;
        }
        assert_ne!(claim.point[0], EF::ZERO, "a private table opened at c = 0");
        let padded = lucid_proof::layout::PaddedTensor::from_tensor(
            &g.nodes[node].shape,
            &witness.tensors[node],
        );
        let plain = eval_mle_base(&padded.evals, &claim.point[1..]);
        assert_ne!(plain, claim.value);
        assert!(
            !numbers.contains(&first_limb(plain)),
            "an unmasked evaluation of node {node} is in the proof"
        );
        checked += 1;
    }
    checked
}
