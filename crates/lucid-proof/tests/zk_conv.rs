//! Zero-knowledge proofs of convolutional models (convolution, ReLU, average pooling as a sum
//! pool times a bound `1/count` weight, a layout-changing flatten, a dense head): completeness,
//! rejection of every tampered new proof field and of wrong convolution, pooling and mean
//! values in the witness, no unmasked private evaluation in the proof, and refusal (naming the
//! node) of what stays unsupported.

mod zk_common;
use zk_common::checks::{
    assert_fields_present, assert_no_unmasked_evaluation, assert_tampered_fields_rejected,
    layer_leaves_by_field, leaves_by_field, with_entry,
};
use zk_common::models::{
    CNN_INPUT, Fixture, cnn_ignoring, compiled_8bit, conv_spec, flatten_dense, proved, push,
    random_value, small_cnn,
};
use zk_common::{all_numbers, chi_square, rand_vec, rng, verifies};

use std::sync::OnceLock;

use lucid_core::field::EF;
use lucid_core::mle::eval_mle_base;
use lucid_model::int_eval::Witness;
use lucid_model::ir::{DType, Graph, Op, UnaryFn};
use lucid_model::quant::{QOp, QuantConfig, quantize_with_inputs};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::zk::{self, ZkLayerProof, ZkProof};
use lucid_proof::{ProofParams, ProverKey, Visibility, compile};
use p3_field::PrimeCharacteristicRing;

fn compiled(g: &Graph) -> ProverKey {
    compiled_8bit(g, &CNN_INPUT, Visibility::Private)
}

fn input(seed: u64) -> Vec<Value> {
    vec![random_value(&CNN_INPUT, seed, 0.9)]
}

/// The small CNN's key and one honest proof (made once per test binary).
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| proved(&small_cnn(), &CNN_INPUT))
}

fn node(pk: &ProverKey, pred: impl Fn(&QOp) -> bool) -> usize {
    pk.graph
        .nodes
        .iter()
        .position(|n| pred(&n.op))
        .expect("the node exists")
}

#[test]
fn zk_proof_of_a_small_cnn_verifies() {
    let f = fixture();
    let outputs = zk::verify(&f.pk.vk, &f.proof, None).expect("honest proof verifies");
    assert_eq!(outputs[0], f.witness.tensors[f.pk.graph.outputs[0].node]);
    // Every new reduction ran: the convolution, the sum pool, the product with 1/count and the
    // layout-changing flatten.
    let kinds: Vec<&str> = f
        .proof
        .layers
        .iter()
        .map(|l| match &l.layer {
            ZkLayerProof::Conv { .. } => "Conv",
            ZkLayerProof::Map(..) => "Map",
            ZkLayerProof::Scale { .. } => "Scale",
            ZkLayerProof::MatMul(..) => "MatMul",
            ZkLayerProof::Linear(_) => "Linear",
            ZkLayerProof::Free => "Free",
            ZkLayerProof::Product(..) => "Product",
            ZkLayerProof::Concat { .. } => "Concat",
        })
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "Conv").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "Scale").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "Map").count(),
        2,
        "sum pool and flatten: {kinds:?}"
    );
    // A second input, and a public-input key, also verify.
    let (proof, _) = zk::prove(&f.pk, &input(8), &mut rng(2)).expect("prove");
    assert!(verifies(&f.pk.vk, &proof, "second input"));
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![random_value(&CNN_INPUT, 500 + i, 1.0)])
        .collect();
    let config = QuantConfig {
        act_bits: 8,
        ..QuantConfig::default()
    };
    let q = quantize_with_inputs(&small_cnn(), &calib, &config).expect("quantize");
    let public = compile(q, Visibility::Public, ProofParams::default()).expect("compile");
    let (proof, _) = zk::prove(&public, &input(9), &mut rng(3)).expect("prove");
    let expected = proof.public_inputs.clone();
    zk::verify(&public.vk, &proof, Some(&expected)).expect("public input verifies");
    let mut other = expected.clone();
    let mut data = other[0].data().to_vec();
    data[40] += 1;
    other[0] = Tensor::new(other[0].shape().to_vec(), data).expect("shape");
    let mut forged = proof.clone();
    forged.public_inputs = other;
    assert!(!verifies(&public.vk, &forged, "changed public input"));
}

// ----- tampering -----

#[test]
fn zk_cnn_rejects_every_tampered_new_field() {
    let f = fixture();
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let by_field = leaves_by_field(&json, &["Conv", "Map", "Scale"], 3);
    assert_fields_present(
        &by_field,
        &[
            "Conv.bias",
            "Conv.relation.sumcheck",
            "Conv.relation.operand_evals",
            "Conv.relation.output_mask_eval",
            "Conv.rows",
            "Map.[0].sumcheck",
            "Map.[0].eval",
            "Map.[1]",
            "Scale.map.sumcheck",
            "Scale.map.eval",
            "Scale.weight",
            "Scale.rows",
        ],
    );
    let tried = assert_tampered_fields_rejected(&f.pk.vk, &json, &by_field, 6);
    assert!(tried > 40, "only {tried} mutations tried");
    // Structural tampering: a missing bias value, a layer proof of another kind.
    let conv = f
        .proof
        .layers
        .iter()
        .position(|l| matches!(l.layer, ZkLayerProof::Conv { .. }))
        .expect("a conv proof");
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Conv { bias, .. } = &mut forged.layers[conv].layer {
        *bias = None;
    }
    assert!(!verifies(&f.pk.vk, &forged, "no bias value"));
    let mut forged = f.proof.clone();
    forged.layers[conv].layer = ZkLayerProof::Free;
    assert!(!verifies(&f.pk.vk, &forged, "conv proved as free"));
    let map = f
        .proof
        .layers
        .iter()
        .position(|l| matches!(l.layer, ZkLayerProof::Map(..)))
        .expect("a map proof");
    let scale = f
        .proof
        .layers
        .iter()
        .position(|l| matches!(l.layer, ZkLayerProof::Scale { .. }))
        .expect("a scale proof");
    let mut forged = f.proof.clone();
    forged.layers.swap(map, scale);
    assert!(!verifies(&f.pk.vk, &forged, "swapped layer proofs"));
}

// ----- wrong witnesses -----

/// Proves altered witnesses: every proof the prover hands out must be rejected, and at least
/// one must be handed out (the prover does not notice the change itself).
fn wrong_values_rejected(id: usize, what: &str) {
    let f = fixture();
    let mut proved = 0;
    for (index, delta) in [(1usize, 1i64), (5, -1), (9, 2), (13, -3)] {
        let bad = with_entry(&f.witness, id, index, delta);
        match zk::prove_witness(&f.pk, &bad, &mut rng(20 + index as u64)) {
            Ok(proof) => {
                assert!(!verifies(&f.pk.vk, &proof, what), "{what} verified");
                proved += 1;
            }
            Err(e) => eprintln!("{what}: prover refused ({e})"),
        }
    }
    assert!(proved > 0, "no {what} was provable");
}

#[test]
fn zk_cnn_rejects_a_wrong_conv_output() {
    let f = fixture();
    wrong_values_rejected(
        node(&f.pk, |op| matches!(op, QOp::Conv(_))),
        "wrong conv output",
    );
}

#[test]
fn zk_cnn_rejects_a_wrong_pooled_value() {
    let f = fixture();
    wrong_values_rejected(
        node(&f.pk, |op| matches!(op, QOp::SumPool(_))),
        "wrong pooled sum",
    );
    wrong_values_rejected(
        node(&f.pk, |op| matches!(op, QOp::Mul)),
        "wrong pooled mean",
    );
}

// ----- zero knowledge -----

#[test]
fn zk_cnn_proof_reveals_no_unmasked_private_evaluation() {
    let f = fixture();
    // No run of private input values, and no private activation of the convolution block
    // (conv accumulator, pooled sum, mean) as a run, appears in the proof; no claim on a
    // private table reveals its unmasked evaluation.
    let g = &f.pk.graph;
    let private_nodes = [
        g.inputs[0].node,
        node(&f.pk, |op| matches!(op, QOp::Conv(_))),
        node(&f.pk, |op| matches!(op, QOp::SumPool(_))),
        node(&f.pk, |op| matches!(op, QOp::Mul)),
    ];
    let checked = assert_no_unmasked_evaluation(&f.pk, &f.proof, &f.witness, &private_nodes);
    let (_, settle) = zk::verify_with_claims(&f.pk.vk, &f.proof, None).expect("verifies");
    let zp = zk::ZkPlan::new(&f.pk.vk).expect("plan");
    assert!(checked >= 10, "only {checked} private claims checked");
    // The claim the convolution leaves on the private input is blinded (c ≠ 0), and so are
    // the virtual tensors' values the proof reveals: the revealed values of the new
    // reductions are never the plain evaluations at their points.
    let x = g.inputs[0].node;
    let table = zp.blinded_table(x).expect("the input is committed");
    assert!(
        settle
            .first
            .iter()
            .filter(|c| c.table == table)
            .all(|c| c.point[0] != EF::ZERO)
    );
    // Every weight claim (conv kernel, conv bias, 1/count, dense weights) is a true
    // evaluation of the key's weights.
    let weights: Vec<usize> = (0..g.nodes.len())
        .filter(|&n| zp.kinds[n] == zk::plan::Kind::Weight)
        .collect();
    assert!(
        settle.weights.len() >= 5,
        "{} weight claims",
        settle.weights.len()
    );
    for claim in &settle.weights {
        let node = weights[claim.table];
        let padded = lucid_proof::layout::PaddedTensor::from_tensor(
            &g.nodes[node].shape,
            &f.witness.tensors[node],
        );
        assert_eq!(eval_mle_base(&padded.evals, &claim.point), claim.value);
    }
}

// ----- refusals -----

#[test]
fn zk_refuses_a_grouped_conv_and_names_it() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 4, 6, 6], DType::F32);
    let w = g.add_const("w", random_value(&[4, 2, 3, 3], 31, 0.4));
    let c = push(&mut g, "grouped_conv", Op::Conv(conv_spec(2)), vec![x, w]);
    g.add_output(c, "y").expect("output");
    let calib: Vec<Vec<Value>> = (0..2)
        .map(|i| vec![random_value(&[1, 4, 6, 6], 40 + i, 1.0)])
        .collect();
    let q = quantize_with_inputs(&g, &calib, &QuantConfig::default()).expect("quantize");
    let pk = compile(q, Visibility::Private, ProofParams::default()).expect("compile");
    let err = zk::prove(&pk, &[random_value(&[1, 4, 6, 6], 3, 0.9)], &mut rng(1))
        .expect_err("grouped conv is refused")
        .to_string();
    assert!(err.contains("zero-knowledge"), "{err}");
    assert!(err.contains("grouped_conv"), "{err}");
}

#[test]
fn zk_proves_pads_slices_and_upsampling() {
    // x [1,2,6,6] → Conv 2→2 (3×3) [1,2,4,4] → ReLU → edge pad [1,2,6,6] → slice [1,2,6,4]
    // → nearest upsample [1,2,6,8] → flatten [1,96] → MatMul [96,16].
    let mut g = Graph::new();
    let shape = [1usize, 2, 6, 6];
    let x = g.add_input("x", shape.to_vec(), DType::F32);
    let w = g.add_const("w", random_value(&[2, 2, 3, 3], 51, 0.4));
    let mut spec = conv_spec(1);
    spec.pads = vec![(0, 0); 2];
    let c = push(&mut g, "conv", Op::Conv(spec), vec![x, w]);
    let r = push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![c]);
    let p = push(
        &mut g,
        "pad",
        Op::Pad {
            pads: vec![(0, 0), (0, 0), (1, 1), (1, 1)],
            mode: lucid_model::ir::PadMode::Edge,
            value: 0.0,
        },
        vec![r],
    );
    let s = push(
        &mut g,
        "slice",
        Op::Slice {
            axis: 3,
            start: 1,
            end: 5,
            step: 1,
        },
        vec![p],
    );
    let u = push(
        &mut g,
        "upsample",
        Op::NearestUpsample {
            factors: vec![1, 1, 1, 2],
        },
        vec![s],
    );
    let y = flatten_dense(&mut g, u, 96, 16, 52, 0.3);
    g.add_output(y, "y").expect("output");
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![random_value(&shape, 60 + i, 1.0)])
        .collect();
    let config = QuantConfig {
        act_bits: 8,
        ..QuantConfig::default()
    };
    let q = quantize_with_inputs(&g, &calib, &config).expect("quantize");
    let pk = compile(q, Visibility::Private, ProofParams::default()).expect("compile");
    let ops: Vec<&str> = pk.graph.nodes.iter().map(|n| n.op.name()).collect();
    let (proof, witness) =
        zk::prove(&pk, &[random_value(&shape, 61, 0.9)], &mut rng(62)).expect("prove");
    let outputs = zk::verify(&pk.vk, &proof, None).expect("verifies");
    assert_eq!(
        outputs[0], witness.tensors[pk.graph.outputs[0].node],
        "{ops:?}"
    );
    let maps = proof
        .layers
        .iter()
        .filter(|l| matches!(l.layer, ZkLayerProof::Map(..)))
        .count();
    assert_eq!(
        maps, 4,
        "pad, slice, upsample and flatten are maps: {ops:?}"
    );
    // A wrong padded value is caught by the map reductions.
    let pad = pk
        .graph
        .nodes
        .iter()
        .position(|n| n.name == "pad")
        .expect("the pad node");
    let bad = with_entry(&witness, pad, 7, 1);
    match zk::prove_witness(&pk, &bad, &mut rng(63)) {
        Ok(p) => assert!(!verifies(&pk.vk, &p, "wrong padded value")),
        Err(e) => panic!("the prover should not notice a wrong pad: {e}"),
    }
}

// ----- indistinguishability -----

const BINS: usize = 8;
/// 7 degrees of freedom at p ≈ 10^-5 (seeds are fixed: the test is deterministic).
const BOUND: f64 = 37.0;

#[test]
fn zk_cnn_revealed_elements_do_not_depend_on_the_private_input() {
    // Two inputs that differ only on the input channel the kernel ignores: same output,
    // different private input, conv input claims on the differing entries.
    let pk = compiled(&cnn_ignoring(Some(2)));
    let a = vec![random_value(&CNN_INPUT, 71, 0.9)];
    let mut bd = rand_vec(108, 71, 0.9);
    bd[72..].fill(0.3);
    let b: Vec<Value> = vec![Tensor::new(CNN_INPUT.to_vec(), bd).expect("shape").into()];
    let wa = int_eval_run(&pk, &a);
    let wb = int_eval_run(&pk, &b);
    let out = pk.graph.outputs[0].node;
    assert_eq!(wa.tensors[out], wb.tensors[out], "same public output");
    let x = pk.graph.inputs[0].node;
    assert_ne!(wa.tensors[x], wb.tensors[x], "different private inputs");
    const RUNS: u64 = 6;
    let fields = ["requant", "layers", "lookups"];
    let hist = |proof: &ZkProof, h: &mut Vec<[u64; BINS]>| {
        let json = serde_json::to_value(proof).expect("serialize");
        for (acc, field) in h.iter_mut().zip(fields) {
            let mut numbers = Vec::new();
            all_numbers(&json[field], &mut numbers);
            for v in numbers {
                acc[(v % BINS as u64) as usize] += 1;
            }
        }
    };
    let mut ha = vec![[0u64; BINS]; fields.len()];
    let mut hb = ha.clone();
    for run in 0..RUNS {
        let (pa, _) = zk::prove(&pk, &a, &mut rng(3000 + run)).expect("prove");
        hist(&pa, &mut ha);
        let (pb, _) = zk::prove(&pk, &b, &mut rng(7000 + run)).expect("prove");
        hist(&pb, &mut hb);
    }
    for (field, (x, y)) in fields.iter().zip(ha.iter().zip(&hb)) {
        let chi = chi_square(x, y);
        assert!(chi < BOUND, "{field}: chi-square {chi} ({x:?} vs {y:?})");
    }
    // Control: the ignored input entries themselves (what a leaky proof would reveal in every
    // run) are told apart by the same statistic.
    let entries = |w: &Witness| {
        let mut h = [0u64; BINS];
        for &v in &w.tensors[x].data()[72..] {
            h[v.rem_euclid(BINS as i64) as usize] += RUNS;
        }
        h
    };
    let control = chi_square(&entries(&wa), &entries(&wb));
    assert!(control > BOUND, "the control is not detected: {control}");
}

fn int_eval_run(pk: &ProverKey, inputs: &[Value]) -> Witness {
    lucid_model::int_eval::run(&pk.graph, inputs).expect("run")
}

// ----- transposed convolutions -----

/// `x [1,2,4,4]` → transposed conv 2→3 (3×3, stride 2, crop 1 each side, output padding 1,
/// bias) `[1,3,8,8]` → ReLU → flatten `[1,192]` → MatMul `[192,16]`.
fn deconv_net() -> Graph {
    let shape = [1usize, 2, 4, 4];
    let mut g = Graph::new();
    let x = g.add_input("x", shape.to_vec(), DType::F32);
    let w = g.add_const("w", random_value(&[2, 3, 3, 3], 81, 0.4));
    let b = g.add_const("b", random_value(&[3], 82, 0.1));
    let spec = lucid_model::ir::DeconvSpec {
        strides: vec![2, 2],
        pads: vec![(1, 1); 2],
        dilations: vec![1, 1],
        output_padding: vec![1, 1],
        group: 1,
    };
    let d = push(&mut g, "deconv", Op::Deconv(spec), vec![x, w, b]);
    let r = push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![d]);
    let y = flatten_dense(&mut g, r, 192, 16, 83, 0.2);
    g.add_output(y, "y").expect("output");
    g
}

#[test]
fn zk_proves_a_transposed_convolution() {
    let shape = [1usize, 2, 4, 4];
    let f = proved(&deconv_net(), &shape);
    let outputs = zk::verify(&f.pk.vk, &f.proof, None).expect("honest proof verifies");
    assert_eq!(outputs[0], f.witness.tensors[f.pk.graph.outputs[0].node]);
    let deconv = node(&f.pk, |op| matches!(op, QOp::Deconv(_)));
    assert_eq!(f.pk.graph.nodes[deconv].shape, [1, 3, 8, 8]);
    let at = f
        .proof
        .layers
        .iter()
        .position(|l| l.node as usize == deconv)
        .expect("the deconvolution's proof");
    assert!(matches!(
        f.proof.layers[at].layer,
        ZkLayerProof::Conv { bias: Some(_), .. }
    ));
    // Every field of the deconvolution's proof tampered is rejected.
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let by_field = layer_leaves_by_field(&json, at, &["Conv"], 3);
    assert_fields_present(
        &by_field,
        &[
            "Conv.bias",
            "Conv.relation.sumcheck",
            "Conv.relation.operand_evals",
            "Conv.relation.output_mask_eval",
            "Conv.rows",
        ],
    );
    let tried = assert_tampered_fields_rejected(&f.pk.vk, &json, &by_field, 6);
    assert!(tried > 15, "only {tried} mutations tried");
    // Wrong deconvolution outputs (an interior entry, a border entry) are rejected.
    for (index, delta) in [(0usize, 1i64), (9, -1), (63, 2), (100, 1)] {
        let bad = with_entry(&f.witness, deconv, index, delta);
        let proof = zk::prove_witness(&f.pk, &bad, &mut rng(90 + index as u64))
            .unwrap_or_else(|e| panic!("the prover should not notice a wrong deconv: {e}"));
        assert!(
            !verifies(&f.pk.vk, &proof, "wrong deconv output"),
            "a wrong deconvolution value at {index} verified"
        );
    }
    // No private value or unmasked evaluation in the proof.
    let private = [f.pk.graph.inputs[0].node, deconv];
    let checked = assert_no_unmasked_evaluation(&f.pk, &f.proof, &f.witness, &private);
    assert!(checked >= 5, "only {checked} private claims checked");
}
