//! Zero-knowledge proofs of index maps with several operands (concatenations, aligned and not)
//! and of gathers with public indices: completeness, rejection of every tampered field of the
//! new proofs and of wrong concatenated or gathered values in the witness, and no unmasked
//! private evaluation in the proof.

mod zk_common;
use zk_common::checks::{
    assert_fields_present, assert_no_unmasked_evaluation, assert_tampered_fields_rejected,
    layer_leaves_by_field, leaves_by_field, with_entry,
};
use zk_common::models::{
    Fixture, MATMUL, assert_other_inputs_verify, compiled_8bit, proved, push, random_value,
};
use zk_common::{rng, verifies};

use std::sync::OnceLock;

use lucid_core::field::EF;
use lucid_model::ir::{DType, Graph, Op, UnaryFn};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::zk::{self, ZkLayerProof};
use lucid_proof::{ProverKey, Visibility};
use p3_field::PrimeCharacteristicRing;

const INPUT: [usize; 2] = [4, 16];

/// `x [4,16]` → MatMul `[16,16]` = `a` → ReLU `r` → `g` = gather of `r`'s columns (public
/// indices, repeats) `[4,16]`, `s` = `r[:, 0:5]` `[4,5]` → `c = concat(a, g, s)` on axis 1
/// `[4,37]` (the third part is not aligned to a power of two) → MatMul `[37,8]`.
fn maps() -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", INPUT.to_vec(), DType::F32);
    let w1 = g.add_const("w1", random_value(&[16, 16], 21, 0.4));
    let a = push(&mut g, "fc1", MATMUL, vec![x, w1]);
    let r = push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![a]);
    let idx: Vec<i64> = vec![15, 0, 3, 3, 7, 1, 2, 9, 9, 9, 4, 11, 12, 0, 5, 6];
    let idx = g.add_const("idx", Tensor::new(vec![16], idx).expect("shape").into());
    let gathered = push(&mut g, "gather", Op::Gather { axis: 1 }, vec![r, idx]);
    let s = push(
        &mut g,
        "slice",
        Op::Slice {
            axis: 1,
            start: 0,
            end: 5,
            step: 1,
        },
        vec![r],
    );
    let c = push(
        &mut g,
        "concat",
        Op::Concat { axis: 1 },
        vec![a, gathered, s],
    );
    let w2 = g.add_const("w2", random_value(&[37, 8], 22, 0.3));
    let y = push(&mut g, "fc2", MATMUL, vec![c, w2]);
    g.add_output(y, "y").expect("output");
    g
}

fn compiled(g: &Graph, vis: Visibility) -> ProverKey {
    compiled_8bit(g, &INPUT, vis)
}

fn input(seed: u64) -> Vec<Value> {
    vec![random_value(&INPUT, seed, 0.9)]
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| proved(&maps(), &INPUT))
}

fn node(pk: &ProverKey, name: &str) -> usize {
    pk.graph
        .nodes
        .iter()
        .position(|n| n.name == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

#[test]
fn zk_proves_concatenations_and_gathers() {
    let f = fixture();
    let outputs = zk::verify(&f.pk.vk, &f.proof, None).expect("honest proof verifies");
    assert_eq!(outputs[0], f.witness.tensors[f.pk.graph.outputs[0].node]);
    let concat = node(&f.pk, "concat");
    let gather = node(&f.pk, "gather");
    let proof_of = |id: usize| {
        f.proof
            .layers
            .iter()
            .find(|l| l.node as usize == id)
            .map(|l| &l.layer)
    };
    match proof_of(concat) {
        Some(ZkLayerProof::Concat { shares, maps }) => {
            assert_eq!((shares.len(), maps.len()), (3, 3));
        }
        other => panic!("concat proved as {other:?}"),
    }
    assert!(
        matches!(proof_of(gather), Some(ZkLayerProof::Map(..))),
        "the gather is a map"
    );
    assert_other_inputs_verify(&f.pk, &maps(), &INPUT);
}

#[test]
fn zk_concat_rejects_every_tampered_field() {
    let f = fixture();
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let by_field = leaves_by_field(&json, &["Concat"], 5);
    assert_fields_present(
        &by_field,
        &[
            "Concat.shares",
            "Concat.maps.[0].[0].sumcheck",
            "Concat.maps.[1].[0].eval",
            "Concat.maps.[2].[1]",
        ],
    );
    let tried = assert_tampered_fields_rejected(&f.pk.vk, &json, &by_field, 4);
    assert!(tried > 20, "only {tried} mutations tried");
    let concat = node(&f.pk, "concat");
    let at_concat = f
        .proof
        .layers
        .iter()
        .position(|l| l.node as usize == concat)
        .expect("a concat proof");
    // Shares moved between operands (same sum), a dropped share or map, another proof kind.
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Concat { shares, .. } = &mut forged.layers[at_concat].layer {
        shares[0] += EF::ONE;
        shares[1] -= EF::ONE;
    }
    assert!(!verifies(&f.pk.vk, &forged, "moved shares"));
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Concat { shares, .. } = &mut forged.layers[at_concat].layer {
        shares.pop();
    }
    assert!(!verifies(&f.pk.vk, &forged, "a dropped share"));
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Concat { maps, .. } = &mut forged.layers[at_concat].layer {
        maps.pop();
    }
    assert!(!verifies(&f.pk.vk, &forged, "a dropped map proof"));
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Concat { maps, .. } = &mut forged.layers[at_concat].layer {
        maps.swap(0, 1);
    }
    assert!(!verifies(&f.pk.vk, &forged, "swapped map proofs"));
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Concat { maps, .. } = &forged.layers[at_concat].layer {
        let (mp, rows) = maps[0].clone();
        forged.layers[at_concat].layer = ZkLayerProof::Map(mp, rows);
    }
    assert!(!verifies(
        &f.pk.vk,
        &forged,
        "a concat proved as a one-operand map"
    ));
}

#[test]
fn zk_maps_reject_a_wrong_concatenated_or_gathered_value() {
    let f = fixture();
    for name in ["concat", "gather"] {
        let id = node(&f.pk, name);
        // Entries from every part of the concatenation (row 0: a at 0..16, g at 16..32, s at
        // 32..37), and of the gather.
        for (index, delta) in [(3usize, 1i64), (20, -1), (34, 2), (50, 1)] {
            if index >= f.witness.tensors[id].data().len() {
                continue;
            }
            let bad = with_entry(&f.witness, id, index, delta);
            let proof = zk::prove_witness(&f.pk, &bad, &mut rng(30 + index as u64))
                .unwrap_or_else(|e| panic!("the prover should not notice a wrong {name}: {e}"));
            assert!(
                !verifies(&f.pk.vk, &proof, name),
                "a wrong {name} value at {index} verified"
            );
        }
    }
}

#[test]
fn zk_maps_proof_reveals_no_unmasked_private_evaluation() {
    let f = fixture();
    let private = [
        f.pk.graph.inputs[0].node,
        node(&f.pk, "concat"),
        node(&f.pk, "gather"),
    ];
    let checked = assert_no_unmasked_evaluation(&f.pk, &f.proof, &f.witness, &private);
    assert!(checked >= 5, "only {checked} private claims checked");
    // The concatenation's shares are blinded values of its parts (a query to each operand's
    // mask), never zero.
    let concat = node(&f.pk, "concat");
    let l = f
        .proof
        .layers
        .iter()
        .find(|l| l.node as usize == concat)
        .expect("the concat proof");
    let ZkLayerProof::Concat { shares, .. } = &l.layer else {
        panic!("the concat is proved by shares and maps");
    };
    assert!(shares.iter().all(|&s| s != EF::ZERO));
}

#[test]
fn zk_proves_a_pad_with_a_constant_border() {
    // x [4,16] → MatMul → ReLU → constant pad 0.5 on axis 1 (2 before, 3 after) [4,21] →
    // MatMul [21,8]: the map has constant entries, which live in the `c = 0` half only.
    let mut g = Graph::new();
    let x = g.add_input("x", INPUT.to_vec(), DType::F32);
    let w1 = g.add_const("w1", random_value(&[16, 16], 41, 0.4));
    let a = push(&mut g, "fc1", MATMUL, vec![x, w1]);
    let r = push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![a]);
    let p = push(
        &mut g,
        "const_pad",
        Op::Pad {
            pads: vec![(0, 0), (2, 3)],
            mode: lucid_model::ir::PadMode::Constant,
            value: 0.5,
        },
        vec![r],
    );
    let w2 = g.add_const("w2", random_value(&[21, 8], 42, 0.3));
    let y = push(&mut g, "fc2", MATMUL, vec![p, w2]);
    g.add_output(y, "y").expect("output");
    let pk = compiled(&g, Visibility::Private);
    let (proof, witness) = zk::prove(&pk, &input(43), &mut rng(44)).expect("prove");
    let outputs = zk::verify(&pk.vk, &proof, None).expect("honest proof verifies");
    assert_eq!(outputs[0], witness.tensors[pk.graph.outputs[0].node]);
    let pad = node(&pk, "const_pad");
    let border = witness.tensors[pad].data()[0];
    assert_ne!(border, 0, "the border is a non-zero constant");
    assert!(
        proof
            .layers
            .iter()
            .any(|l| l.node as usize == pad && matches!(l.layer, ZkLayerProof::Map(..))),
        "the pad is a map"
    );
    // A wrong border entry and a wrong copied entry are rejected.
    for (index, delta) in [(0usize, 1i64), (1, -2), (5, 1), (30, 3)] {
        let bad = with_entry(&witness, pad, index, delta);
        let forged = zk::prove_witness(&pk, &bad, &mut rng(50 + index as u64))
            .unwrap_or_else(|e| panic!("the prover should not notice a wrong pad: {e}"));
        assert!(
            !verifies(&pk.vk, &forged, "wrong pad"),
            "a wrong padded value at {index} verified"
        );
    }
    // Tampered map fields of the pad are rejected.
    let at_pad = proof
        .layers
        .iter()
        .position(|l| l.node as usize == pad)
        .expect("the pad's proof");
    let json = serde_json::to_value(&proof).expect("serialize");
    let by_field = layer_leaves_by_field(&json, at_pad, &["Map"], 3);
    assert_fields_present(&by_field, &["Map.[0].sumcheck", "Map.[0].eval", "Map.[1]"]);
    let tried = assert_tampered_fields_rejected(&pk.vk, &json, &by_field, 6);
    assert!(tried > 10, "only {tried} mutations tried");
}
