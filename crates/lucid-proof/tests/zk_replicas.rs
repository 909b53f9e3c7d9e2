//! Keys of stacked copies (`VerifyingKey::replicas`): a model whose tensors are too small for
//! zero-knowledge masks is proved as `k` copies of itself. Completeness in both modes, the
//! model's input and output recovered from the copies, and the statement check: outputs or
//! public inputs that are not `k` equal copies, a changed replica count, and a count that does
//! not divide the key's shapes are all rejected.

mod zk_common;
use zk_common::models::{mlp, value};
use zk_common::{chi_square, numeric_paths, rand_vec, rng};

use lucid_model::int_eval;
use lucid_model::ir::Graph;
use lucid_model::ir::replicate::{replicate, tile};
use lucid_model::quant::{QuantConfig, quantize_with_inputs};
use lucid_model::tensor::Value;
use lucid_proof::zk::{self, ZkProof};
use lucid_proof::{
    ProofError, ProofParams, ProverKey, Visibility, compile, compile_replicated_with_weights,
};
use serde_json::Value as Json;
use std::collections::BTreeMap;

const COPIES: usize = 16;

/// A 3-4-2 ReLU MLP: every tensor has at most 4 entries.
fn tiny() -> Graph {
    mlp(&[3, 4, 2], 3, 0)
}

fn config() -> QuantConfig {
    QuantConfig {
        act_bits: 8,
        ..QuantConfig::default()
    }
}

fn calibration() -> Vec<Vec<Value>> {
    (0..4)
        .map(|i| vec![value(&[1, 3], rand_vec(3, 500 + i, 1.0))])
        .collect()
}

/// The tiny model's key with `copies` replicas (quantized on the tiled calibration samples).
fn replicated(copies: usize, vis: Visibility) -> ProverKey {
    replicated_of(&tiny(), copies, vis)
}

/// [`replicated`] of any model with a `[1, 3]` input.
fn replicated_of(model: &Graph, copies: usize, vis: Visibility) -> ProverKey {
    let g = replicate(model, copies).expect("the MLP's copies are independent");
    let calib: Vec<Vec<Value>> = calibration()
        .iter()
        .map(|s| s.iter().map(|v| tile(v, copies).expect("tile")).collect())
        .collect();
    let q = quantize_with_inputs(&g, &calib, &config()).expect("quantize");
    compile_replicated_with_weights(q, copies, vis, ProofParams::default())
        .expect("compile")
        .0
}

fn model_input(seed: u64) -> Vec<Value> {
    vec![value(&[1, 3], rand_vec(3, seed, 0.9))]
}

/// Copy `i` of the stacked input holds `input(seed + i)`: copies that differ.
fn unequal_copies(pk: &ProverKey) -> Vec<Value> {
    let parts: Vec<f32> = (0..pk.vk.replicas)
        .flat_map(|i| rand_vec(3, 40 + i as u64, 0.9))
        .collect();
    vec![value(&[pk.vk.replicas, 3], parts)]
}

#[test]
fn the_tiny_model_itself_is_refused_in_zero_knowledge_mode() {
    let q = quantize_with_inputs(&tiny(), &calibration(), &config()).expect("quantize");
    let pk = compile(q, Visibility::Private, ProofParams::default()).expect("compile");
    assert_eq!(pk.vk.replicas, 1);
    let err = zk::prove(&pk, &model_input(1), &mut rng(1)).expect_err("too small");
    assert!(
        matches!(err, ProofError::TooSmallForZeroKnowledge { .. }),
        "{err}"
    );
}

#[test]
fn stacked_copies_prove_and_verify_in_both_modes() {
    let single = quantize_with_inputs(&tiny(), &calibration(), &config()).expect("quantize");
    let want = int_eval::run(&single, &model_input(7))
        .expect("run")
        .outputs;
    for vis in [Visibility::Private, Visibility::Public] {
        let pk = replicated(COPIES, vis);
        assert_eq!(pk.vk.replicas, COPIES);
        let inputs = pk.vk.tile_inputs(&model_input(7)).expect("tile");
        assert_eq!(inputs[0].shape(), &[COPIES, 3]);

        let (proof, _) = zk::prove(&pk, &inputs, &mut rng(2)).expect("zero-knowledge proof");
        let outputs = zk::verify(&pk.vk, &proof, None).expect("verifies");
        assert_eq!(outputs[0].shape(), &[COPIES, 2]);
        let model_out = pk.vk.first_copy(&outputs).expect("one copy");
        assert_eq!(model_out[0].shape(), &[1, 2]);
        let dequantized = pk.graph.dequantize(pk.graph.outputs[0].node, &model_out[0]);
        assert_eq!(dequantized, want[0], "the copy is the model's own output");

        let (plain, _) = lucid_proof::prove(&pk, &inputs, &mut ()).expect("plain proof");
        lucid_proof::verify(&pk.vk, &plain).expect("plain proof verifies");
        assert_eq!(plain.outputs, outputs);
    }
}

#[test]
fn copies_that_differ_are_rejected() {
    // Private inputs: the copies' outputs differ.
    let pk = replicated(COPIES, Visibility::Private);
    let inputs = unequal_copies(&pk);
    let (proof, _) = zk::prove(&pk, &inputs, &mut rng(3)).expect("the prover proves any run");
    let err = zk::verify(&pk.vk, &proof, None).expect_err("outputs are not equal copies");
    assert!(err.to_string().contains("equal copies"), "{err}");
    let (plain, _) = lucid_proof::prove(&pk, &inputs, &mut ()).expect("plain proof");
    let err = lucid_proof::verify(&pk.vk, &plain).expect_err("outputs are not equal copies");
    assert!(err.to_string().contains("equal copies"), "{err}");

    // Public inputs: the input copies differ (checked before the outputs).
    let pk = replicated(COPIES, Visibility::Public);
    let (proof, _) = zk::prove(&pk, &unequal_copies(&pk), &mut rng(4)).expect("prove");
    let err = zk::verify(&pk.vk, &proof, None).expect_err("inputs are not equal copies");
    assert!(err.to_string().contains("input 'x'"), "{err}");
}

#[test]
fn the_replica_count_is_bound_and_checked() {
    let pk = replicated(COPIES, Visibility::Private);
    let inputs = pk.vk.tile_inputs(&model_input(9)).expect("tile");
    let (proof, _) = zk::prove(&pk, &inputs, &mut rng(5)).expect("prove");
    let (plain, _) = lucid_proof::prove(&pk, &inputs, &mut ()).expect("plain proof");
    // 8 also divides the shapes and 16 equal copies are 8 equal copies: only the key's digest
    // in the transcript tells the counts apart.
    for replicas in [8, 1, 2] {
        let mut vk = pk.vk.clone();
        vk.replicas = replicas;
        assert!(
            zk::verify(&vk, &proof, None).is_err(),
            "{replicas} replicas"
        );
        assert!(
            lucid_proof::verify(&vk, &plain).is_err(),
            "{replicas} replicas"
        );
    }
    // Counts that do not divide the key's axis 0, or zero: a statement error, no panic.
    for replicas in [0, 3, 32] {
        let mut vk = pk.vk.clone();
        vk.replicas = replicas;
        let err = zk::verify(&vk, &proof, None).expect_err("bad count");
        assert!(matches!(err, ProofError::Statement(_)), "{err}");
        assert!(lucid_proof::verify(&vk, &plain).is_err());
        assert!(vk.tile_inputs(&model_input(9)).is_err());
        assert!(vk.first_copy(&proof.outputs).is_err());
    }
    // The model's input must have the model's shape, and there must be one per model input.
    let wrong = vec![value(&[2, 3], rand_vec(6, 1, 0.5))];
    let err = pk.vk.tile_inputs(&wrong).expect_err("wrong shape");
    assert!(err.to_string().contains("[1, 3]"), "{err}");
    assert!(pk.vk.tile_inputs(&[]).is_err());
    let two = [model_input(1), model_input(2)].concat();
    assert!(pk.vk.tile_inputs(&two).is_err());
}

const BINS: usize = 8;

/// Every number of a proof's JSON encoding, keyed by its path.
fn revealed(proof: &ZkProof) -> BTreeMap<String, u64> {
    let json = serde_json::to_value(proof).expect("serialize");
    let mut paths = Vec::new();
    numeric_paths(&json, &mut Vec::new(), &mut paths);
    paths
        .into_iter()
        .filter_map(|p| {
            let v = p.iter().try_fold(&json, |v, s| match s {
                Json::String(k) => v.get(k.as_str()),
                Json::Number(i) => v.get(i.as_u64()? as usize),
                _ => None,
            })?;
            let key = p.iter().map(Json::to_string).collect::<Vec<_>>().join("/");
            v.as_u64().map(|n| (key, n))
        })
        .collect()
}

/// Per element of the proof, the histogram of its low bits over `runs` proofs of `inputs`.
fn histograms(
    pk: &ProverKey,
    inputs: &[Value],
    runs: u64,
    seed: u64,
) -> BTreeMap<String, [u64; BINS]> {
    let mut h: BTreeMap<String, [u64; BINS]> = BTreeMap::new();
    for run in 0..runs {
        let (proof, _) = zk::prove(pk, inputs, &mut rng(seed + run)).expect("prove");
        for (path, v) in revealed(&proof) {
            h.entry(path).or_default()[(v % BINS as u64) as usize] += 1;
        }
    }
    h
}

/// Two private inputs with the same output (they differ only on an input entry the model
/// ignores), each proved 96 times: for every element of the proof — every layer and lookup
/// message, every opening's values, Merkle paths and final messages — the distribution of its
/// low bits is the same for both inputs (a χ² test per element, 7 degrees of freedom, bound
/// at p ≈ 10^-7 per element: the seeds are fixed, so the test is deterministic). The control:
/// the same test on the private input's own entries tells the inputs apart.
#[test]
fn every_revealed_element_is_independent_of_the_private_input() {
    const RUNS: u64 = 96;
    const BOUND: f64 = 46.0;
    let pk = replicated_of(&mlp(&[3, 4, 2], 5, 1), COPIES, Visibility::Private);
    let a = pk
        .vk
        .tile_inputs(&[value(&[1, 3], vec![0.4, -0.3, 0.8])])
        .expect("tile");
    let b = pk
        .vk
        .tile_inputs(&[value(&[1, 3], vec![0.4, -0.3, -0.6])])
        .expect("tile");
    let (wa, wb) = (
        int_eval::run(&pk.graph, &a).expect("run"),
        int_eval::run(&pk.graph, &b).expect("run"),
    );
    let (x, out) = (pk.graph.inputs[0].node, pk.graph.outputs[0].node);
    assert_eq!(wa.tensors[out], wb.tensors[out], "same public output");
    assert_ne!(wa.tensors[x], wb.tensors[x], "different private inputs");

    let (ha, hb) = (
        histograms(&pk, &a, RUNS, 10_000),
        histograms(&pk, &b, RUNS, 20_000),
    );
    let mut tested = 0;
    for (path, x) in &ha {
        // Elements present in most runs of both (a few opening paths vary in number).
        let Some(y) = hb.get(path) else { continue };
        if x.iter().sum::<u64>() < RUNS / 2 || y.iter().sum::<u64>() < RUNS / 2 {
            continue;
        }
        let chi = chi_square(x, y);
        assert!(chi < BOUND, "{path}: chi-square {chi} ({x:?} vs {y:?})");
        tested += 1;
    }
    eprintln!("{tested} elements tested");
    assert!(tested > 1000, "only {tested} elements tested");
    // Control: a proof revealing the differing input entry in every run would be detected.
    let leak = |w: &lucid_model::int_eval::Witness| {
        let mut h = [0u64; BINS];
        h[(w.tensors[x].data()[2].rem_euclid(BINS as i64)) as usize] += RUNS;
        h
    };
    assert!(
        chi_square(&leak(&wa), &leak(&wb)) > BOUND,
        "the control is not detected"
    );
}
