//! Byte mode of the zero-knowledge proof: small MLPs choose the byte range table (16-bit checks
//! split into a committed low byte and a derived high byte), honest proofs verify, a cheating
//! prover's out-of-range low byte or remainder limb is rejected, and no unmasked evaluation of a
//! private table (low bytes included) appears in the proof.

mod zk_common;
use zk_common::models::{mlp, mlp_input as input, value};
use zk_common::{all_numbers, first_limb, rand_vec, rng};

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::eval_mle_base;
use lucid_model::int_eval;
use lucid_model::ir::{BinaryOp, DType, Graph, Op, UnaryFn};
use lucid_model::quant::{QuantConfig, quantize_with_inputs};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::graph::lookups::Column;
use lucid_proof::zk::plan::{Table1, ZkColumn};
use lucid_proof::zk::{self, Cheat, ZkProof};
use lucid_proof::{ProofParams, ProverKey, Visibility, compile};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use serde_json::Value as Json;

/// A 32-16-16 MLP with the default (16-bit) activations: its requantization bounds and ReLU
/// checks need 16 bits, so byte mode splits them.
fn wide_activations() -> ProverKey {
    let g = mlp(&[32, 16, 16], 7, 0);
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![value(&[1, 32], rand_vec(32, 500 + i, 1.0))])
        .collect();
    let q = quantize_with_inputs(&g, &calib, &QuantConfig::default()).expect("quantize");
    compile(q, Visibility::Private, ProofParams::default()).expect("compile")
}

fn verifies(pk: &ProverKey, proof: &ZkProof) -> bool {
    zk::verify(&pk.vk, proof, None).is_ok()
}

#[test]
fn small_mlp_uses_byte_mode_in_zero_knowledge() {
    let pk = wide_activations();
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    assert_eq!(zp.plan.range_bits, 8, "a small MLP should use byte mode");
    assert!(
        !zp.splits.is_empty(),
        "16-bit activations need split checks"
    );
    assert!(
        zp.shapes.iter().all(|s| s.table.size() <= 1 << 8),
        "no table of more than 2^8 entries in byte mode"
    );
    let wide = zk::ZkPlan::with_range(&pk.vk, 16).expect("16-bit plan");
    assert!(zp.cost(&pk.graph) < wide.cost(&pk.graph));
    let (proof, _) = zk::prove(&pk, &input(32, 3), &mut rng(1)).expect("prove");
    assert!(
        !proof.low_bytes.is_empty(),
        "byte mode sends low-byte values"
    );
    assert!(verifies(&pk, &proof), "honest byte-mode proof rejected");
    // A changed low-byte value is rejected.
    let mut bad = proof.clone();
    bad.low_bytes[0] += EF::ONE;
    assert!(!verifies(&pk, &bad), "changed low-byte value verified");
    let mut bad = proof.clone();
    bad.low_bytes.pop();
    assert!(!verifies(&pk, &bad), "missing low-byte value verified");
    let mut bad = proof;
    bad.low_bytes.push(EF::ONE);
    assert!(!verifies(&pk, &bad), "extra low-byte value verified");
}

#[test]
fn zk_byte_mode_rejects_a_wrong_low_byte() {
    let pk = wide_activations();
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    let witness = int_eval::run(&pk.graph, &input(32, 5)).expect("run");
    // Honest proof through the cheating entry point verifies.
    let proof =
        zk::prove_witness_cheating(&pk, &witness, &Cheat::default(), &mut rng(2)).expect("prove");
    assert!(verifies(&pk, &proof));
    for s in 0..zp.splits.len().min(3) {
        // +1: the high byte is not an integer. +256: the low byte leaves [0, 2^8) while the
        // high byte (one less) may stay in it. −1 on an entry whose low byte may be 0.
        for (entry, delta) in [(0usize, 1i64), (1, 256), (2, -1)] {
            let cheat = Cheat {
                low_byte: Some((s, entry, delta)),
                ..Cheat::default()
            };
            let proof = zk::prove_witness_cheating(&pk, &witness, &cheat, &mut rng(3))
                .expect("a cheating proof");
            assert!(
                !verifies(&pk, &proof),
                "split {s}: low byte changed by {delta} at {entry} verified"
            );
        }
    }
}

#[test]
fn zk_byte_mode_rejects_an_out_of_range_limb() {
    let pk = wide_activations();
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    let witness = int_eval::run(&pk.graph, &input(32, 6)).expect("run");
    let requant = zp
        .plan
        .roles
        .iter()
        .position(
            |r| matches!(r, lucid_proof::graph::plan::Role::Requant { limbs, .. } if *limbs >= 2),
        )
        .expect("a requantization with two byte limbs");
    let cheat = Cheat {
        limb_carry: Some((requant, 0)),
        ..Cheat::default()
    };
    let proof =
        zk::prove_witness_cheating(&pk, &witness, &cheat, &mut rng(4)).expect("a cheating proof");
    assert!(!verifies(&pk, &proof), "an out-of-range limb verified");
}

/// The honest values of a split check's whole column, for the columns this model has.
fn whole_values(pk: &ProverKey, w: &int_eval::Witness, col: &ZkColumn) -> Option<Vec<i64>> {
    let padded = |n: usize| {
        let p =
            lucid_proof::layout::PaddedTensor::from_tensor(&pk.graph.nodes[n].shape, &w.tensors[n]);
        let real = lucid_proof::layout::PaddedShape::new(&pk.graph.nodes[n].shape).real_to_padded();
        let mut out = vec![0i64; p.evals.len()];
        for (i, &o) in real.iter().enumerate() {
            out[o] = w.tensors[n].data()[i];
        }
        out
    };
    match col {
        ZkColumn::Plain(Column::AboveLo { node, lo }) => {
            Some(padded(*node).into_iter().map(|v| v - lo).collect())
        }
        ZkColumn::Plain(Column::BelowHi { node, hi }) => {
            Some(padded(*node).into_iter().map(|v| hi - v).collect())
        }
        ZkColumn::Plain(Column::Shifted { node, pad: 0 }) => Some(padded(*node)),
        ZkColumn::Diff { z, y } => Some(
            padded(*z)
                .into_iter()
                .zip(padded(*y))
                .map(|(a, b)| a - b)
                .collect(),
        ),
        _ => None,
    }
}

#[test]
fn zk_byte_mode_reveals_no_unmasked_low_byte() {
    let pk = wide_activations();
    let (proof, witness) = zk::prove(&pk, &input(32, 11), &mut rng(12)).expect("prove");
    let (_, settle) = zk::verify_with_claims(&pk.vk, &proof, None).expect("verifies");
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    let json = serde_json::to_value(&proof).expect("serialize");
    let mut numbers = Vec::new();
    all_numbers(&json, &mut numbers);
    let x = pk.graph.inputs[0].node;
    let encoded: Vec<u64> = witness.tensors[x]
        .data()
        .iter()
        .map(|&v| from_i64(v).as_canonical_u64())
        .collect();
    assert!(
        !numbers
            .windows(4)
            .any(|w| encoded.windows(4).any(|e| e == w)),
        "four consecutive private input values appear in the proof"
    );
    let numbers: std::collections::HashSet<u64> = numbers.into_iter().collect();
    let mut checked = 0;
    for claim in &settle.first {
        let Table1::LowByte(s) = zp.tables[claim.table] else {
            continue;
        };
        assert_ne!(claim.point[0], EF::ZERO, "a low byte opened at c = 0");
        let Some(whole) = whole_values(&pk, &witness, &zp.splits[s].whole) else {
            continue;
        };
        let low: Vec<F> = whole
            .iter()
            .map(|&v| F::from_u64((v as u64) & 0xFF))
            .collect();
        let plain = eval_mle_base(&low, &claim.point[1..]);
        assert_ne!(plain, claim.value);
        assert!(
            !numbers.contains(&first_limb(plain)),
            "an unmasked low-byte evaluation is in the proof"
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} low-byte claims checked");
}

/// A layer `[32, 64] × [64, 1024]` + bias + ReLU with 16-bit activations: 2^15 outputs whose
/// bounds and ReLU checks need 16 bits, where the 16-bit table's fixed cost is cheaper than
/// byte mode's per-entry cost (a committed low byte and a second lookup per check). Its
/// zero-knowledge proof (16-bit mode) verifies and a wrong ReLU output is rejected.
#[test]
fn many_range_checked_entries_keep_the_16_bit_table() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![32, 64], DType::F32);
    let w = g.add_const("w", value(&[64, 1024], rand_vec(64 * 1024, 3, 0.2)));
    let b = g.add_const("b", value(&[1024], rand_vec(1024, 4, 0.1)));
    let mm = Op::MatMul {
        transpose_a: false,
        transpose_b: false,
    };
    let h = g.push("fc", mm, vec![x, w]).expect("node");
    let h = g
        .push("add", Op::Binary(BinaryOp::Add), vec![h, b])
        .expect("node");
    let relu = g
        .push("relu", Op::Unary(UnaryFn::Relu), vec![h])
        .expect("node");
    g.add_output(relu, "y").expect("output");
    let calib = vec![vec![value(&[32, 64], rand_vec(32 * 64, 5, 1.0))]];
    let q = quantize_with_inputs(&g, &calib, &QuantConfig::default()).expect("quantize");
    let pk = compile(q, Visibility::Private, ProofParams::default()).expect("compile");
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    let byte = zk::ZkPlan::with_range(&pk.vk, 8).expect("byte plan");
    assert_eq!(
        zp.plan.range_bits,
        16,
        "costs: 16-bit {}, bytes {}",
        zp.cost(&pk.graph),
        byte.cost(&pk.graph)
    );
    let inputs = vec![value(&[32, 64], rand_vec(32 * 64, 6, 0.9))];
    let (proof, witness) = zk::prove(&pk, &inputs, &mut rng(7)).expect("prove");
    assert!(proof.low_bytes.is_empty());
    assert!(verifies(&pk, &proof), "honest 16-bit proof rejected");
    let relu = pk
        .graph
        .nodes
        .iter()
        .position(|n| n.name.starts_with("relu"))
        .expect("a relu node");
    let mut bad = witness.clone();
    let mut data = bad.tensors[relu].data().to_vec();
    data[2] += 1;
    bad.tensors[relu] = Tensor::new(bad.tensors[relu].shape().to_vec(), data).expect("shape");
    let proof = zk::prove_witness(&pk, &bad, &mut rng(8)).expect("a proof of a wrong ReLU");
    assert!(!verifies(&pk, &proof), "wrong ReLU output verified");
}

/// Diagnostic (`--ignored`): the range width and both plans' estimated costs of the verifying
/// keys listed in `LUCID_ZK_VKS` (comma-separated `model.vk` paths).
#[test]
#[ignore = "diagnostic: reads key files named by LUCID_ZK_VKS"]
fn print_range_mode_of_key_files() {
    let Ok(paths) = std::env::var("LUCID_ZK_VKS") else {
        return;
    };
    for path in paths.split(',') {
        let bytes = std::fs::read(path).expect("read key");
        let vk: lucid_proof::VerifyingKey =
            lucid_proof::key::decode(lucid_proof::key::VK_MAGIC, &bytes).expect("decode key");
        let zp = zk::ZkPlan::new(&vk).expect("plan");
        let cost = |bits| zk::ZkPlan::with_range(&vk, bits).map(|p| p.cost(&vk.graph));
        println!(
            "{path}: {} bits ({} splits); cost 16-bit {:?}, bytes {:?}",
            zp.plan.range_bits,
            zp.splits.len(),
            cost(16).ok(),
            cost(8).ok()
        );
    }
}

/// Diagnostic (`--ignored --nocapture`): proves and verifies the compiled models in the
/// directories listed in `LUCID_ZK_MODELS` (comma-separated `DIR=INPUT.json` pairs; `DIR` holds
/// `model.lucid` and `model.vk`) with both range widths, printing the times and proof sizes. A
/// measurement aid for the choice in `ZkPlan::new`, not a benchmark.
#[test]
#[ignore = "diagnostic: reads the models named by LUCID_ZK_MODELS"]
fn print_both_range_widths_of_models() {
    let Ok(list) = std::env::var("LUCID_ZK_MODELS") else {
        return;
    };
    for item in list.split(',') {
        let (dir, input) = item.split_once('=').expect("DIR=INPUT");
        let read = |f: &str| std::fs::read(format!("{dir}/{f}")).expect("read");
        let pk: ProverKey =
            lucid_proof::key::decode(lucid_proof::key::PK_MAGIC, &read("model.lucid"))
                .expect("decode prover key");
        let json: Json =
            serde_json::from_slice(&std::fs::read(input).expect("read input")).expect("json");
        let data: Vec<f32> = json["input_data"][0]
            .as_array()
            .expect("input_data")
            .iter()
            .map(|v| v.as_f64().expect("number") as f32)
            .collect();
        let shape = pk.graph.nodes[pk.graph.inputs[0].node].shape.clone();
        let witness = int_eval::run(&pk.graph, &[value(&shape, data)]).expect("run");
        for bits in [16, 8] {
            let start = std::time::Instant::now();
            let proof =
                zk::prove_witness_with_range(&pk, &witness, bits, &mut rng(1)).expect("prove");
            let proved = start.elapsed();
            let size = serde_json::to_vec(&proof).map(|b| b.len()).unwrap_or(0);
            let start = std::time::Instant::now();
            zk::verify_with_range(&pk.vk, bits, &proof).expect("verify");
            println!(
                "{dir}: {bits} bits: prove {proved:.2?}, verify {:.2?}, proof (JSON) {size} bytes, cost {}",
                start.elapsed(),
                zk::ZkPlan::with_range(&pk.vk, bits)
                    .expect("plan")
                    .cost(&pk.graph)
            );
        }
    }
}
