//! Zero-knowledge graph proofs: completeness on MLP-shaped models, soundness (tampered proofs,
//! statements, keys and witnesses are rejected, never a panic), refusal of what is not supported
//! yet, and zero knowledge (no unmasked evaluation of a private tensor in the proof; revealed
//! elements indistinguishable for two private inputs with the same output).

mod zk_common;
use zk_common::models::{mlp, mlp_input as input, value};
use zk_common::{all_numbers, at, chi_square, first_limb, numeric_paths, rand_vec, rng, verifies};

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_base;
use lucid_model::int_eval::{self, Witness};
use lucid_model::ir::{DType, Graph, Op};
use lucid_model::quant::{QOp, QuantConfig, quantize_with_inputs};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::zk::{self, ZkProof};
use lucid_proof::{
    ProofParams, ProverKey, VerifyingKey, Visibility, WeightsData, compile, compile_with_weights,
};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use serde_json::Value as Json;

const MATMUL: Op = Op::MatMul {
    transpose_a: false,
    transpose_b: false,
};

fn compiled(g: &Graph, width: usize, vis: Visibility) -> ProverKey {
    compiled_with(g, width, vis, QuantConfig::default())
}

fn compiled_with(g: &Graph, width: usize, vis: Visibility, config: QuantConfig) -> ProverKey {
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![value(&[1, width], rand_vec(width, 500 + i, 1.0))])
        .collect();
    let q = quantize_with_inputs(g, &calib, &config).expect("quantize");
    compile(q, vis, ProofParams::default()).expect("compile")
}

/// The digits demo model's shape (64-32-16-10 ReLU MLP; weights random, not the trained ones).
fn digits_shaped(vis: Visibility) -> ProverKey {
    compiled(&mlp(&[64, 32, 16, 10], 1, 0), 64, vis)
}

/// A small MLP 32-16-16 with 8-bit activations (small ReLU tables, fast proofs) whose output
/// ignores the last 16 input entries.
fn small(vis: Visibility) -> ProverKey {
    let config = QuantConfig {
        act_bits: 8,
        ..QuantConfig::default()
    };
    compiled_with(&mlp(&[32, 16, 16], 7, 16), 32, vis, config)
}

#[test]
fn zk_proof_of_a_digits_shaped_mlp_verifies() {
    let pk = digits_shaped(Visibility::Private);
    let inputs = input(64, 999);
    let (proof, witness) = zk::prove(&pk, &inputs, &mut rng(1)).expect("prove");
    let outputs = zk::verify(&pk.vk, &proof, None).expect("honest proof verifies");
    let out_node = pk.graph.outputs[0].node;
    assert_eq!(outputs[0], witness.tensors[out_node]);
    assert!(proof.public_inputs.is_empty());
    assert!(proof.lookups.is_some(), "the MLP has range lookups");
    let plan = zk::ZkPlan::new(&pk.vk).expect("plan");
    assert_eq!(plan.relus.len(), 2, "both ReLUs are proved by range checks");
}

#[test]
fn zk_proof_with_public_input_binds_it() {
    let pk = small(Visibility::Public);
    let inputs = input(32, 3);
    let (proof, _) = zk::prove(&pk, &inputs, &mut rng(2)).expect("prove");
    let expected = proof.public_inputs.clone();
    zk::verify(&pk.vk, &proof, Some(&expected)).expect("verifies with its input");
    let mut other = expected.clone();
    let mut data = other[0].data().to_vec();
    data[0] += 1;
    other[0] = Tensor::new(other[0].shape().to_vec(), data).expect("shape");
    assert!(zk::verify(&pk.vk, &proof, Some(&other)).is_err());
    let mut forged = proof.clone();
    forged.public_inputs = other;
    assert!(!verifies(&pk.vk, &forged, "changed public input"));
}

#[test]
fn zk_rejects_a_wrong_output() {
    let pk = small(Visibility::Private);
    let (proof, _) = zk::prove(&pk, &input(32, 4), &mut rng(3)).expect("prove");
    let mut forged = proof.clone();
    let mut data = forged.outputs[0].data().to_vec();
    data[3] += 1;
    forged.outputs[0] = Tensor::new(forged.outputs[0].shape().to_vec(), data).expect("shape");
    assert!(!verifies(&pk.vk, &forged, "changed output"));
}

#[test]
fn zk_rejects_another_key() {
    let pk = small(Visibility::Private);
    let other = compiled(&mlp(&[32, 16, 16], 8, 16), 32, Visibility::Private);
    let (proof, _) = zk::prove(&pk, &input(32, 5), &mut rng(4)).expect("prove");
    assert!(verifies(&pk.vk, &proof, "honest"));
    assert!(!verifies(&other.vk, &proof, "other key"));
}

#[test]
fn zk_rejects_every_tampered_field() {
    let pk = small(Visibility::Private);
    let (proof, _) = zk::prove(&pk, &input(32, 6), &mut rng(5)).expect("prove");
    let json = serde_json::to_value(&proof).expect("serialize");
    let mut paths = Vec::new();
    numeric_paths(&json, &mut Vec::new(), &mut paths);
    // Every top-level field, and a spread of leaves inside each.
    let mut by_field: std::collections::BTreeMap<String, Vec<Vec<Json>>> = Default::default();
    for p in paths {
        by_field
            .entry(p[0].as_str().unwrap_or("").to_string())
            .or_default()
            .push(p);
    }
    let mut tried = 0;
    for (field, ps) in &by_field {
        let step = (ps.len() / 12).max(1);
        let mut rejected_any = false;
        for p in ps.iter().step_by(step) {
            let mut j = json.clone();
            let x = at(&mut j, p);
            let Some(u) = x.as_u64() else { continue };
            *x = Json::from(u ^ 1);
            let Ok(forged) = serde_json::from_value::<ZkProof>(j) else {
                continue;
            };
            tried += 1;
            assert!(
                !verifies(&pk.vk, &forged, field),
                "tampered {field} at {p:?} verified"
            );
            rejected_any = true;
        }
        assert!(rejected_any, "no mutation of {field} parsed");
    }
    assert!(tried > 50, "only {tried} mutations tried");
}

#[test]
fn zk_rejects_a_wrong_activation_or_weight() {
    let pk = small(Visibility::Private);
    let inputs = input(32, 7);
    let witness = int_eval::run(&pk.graph, &inputs).expect("run");
    // A wrong ReLU output.
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
    // The ReLU is proved by range checks and a zero-check, so the prover does not notice.
    let proof = zk::prove_witness(&pk, &bad, &mut rng(9)).expect("a proof of the wrong ReLU");
    assert!(
        !verifies(&pk.vk, &proof, "wrong activation"),
        "wrong activation verified"
    );
    // A wrong ReLU output that passes the zero-check (z = y on a negative input) is caught by
    // the range check of z.
    let y = pk.graph.nodes[relu].inputs[0];
    if let Some(i) = witness.tensors[y].data().iter().position(|&v| v < 0) {
        let mut bad = witness.clone();
        let mut data = bad.tensors[relu].data().to_vec();
        data[i] = witness.tensors[y].data()[i];
        bad.tensors[relu] = Tensor::new(bad.tensors[relu].shape().to_vec(), data).expect("shape");
        rejected_or_refused(&pk, &bad, "negative ReLU output");
    }
    // A wrong accumulator (the virtual matrix product before the first requantization, 16-bit
    // activations so that the requantization has a remainder): the prover derives the
    // remainders from it, so the requantization identity holds and only the product's relation
    // can catch it.
    let pk = compiled(&mlp(&[32, 16, 16], 7, 16), 32, Visibility::Private);
    let witness = int_eval::run(&pk.graph, &inputs).expect("run");
    let acc = pk
        .graph
        .nodes
        .iter()
        .position(|n| matches!(n.op, QOp::MatMul { .. }))
        .expect("a matrix product");
    let mut proved = 0;
    for delta in [1i64, -1, 2, -2] {
        let mut bad = witness.clone();
        let mut data = bad.tensors[acc].data().to_vec();
        data[1] += delta;
        bad.tensors[acc] = Tensor::new(bad.tensors[acc].shape().to_vec(), data).expect("shape");
        if let Ok(proof) = zk::prove_witness(&pk, &bad, &mut rng(10)) {
            assert!(
                !verifies(&pk.vk, &proof, "wrong accumulator"),
                "wrong accumulator verified"
            );
            proved += 1;
        }
    }
    assert!(proved > 0, "no wrong accumulator was provable");
    // A weight that is not the key's (the rest of the witness computed with the key's): the
    // weights are bound to the key's commitment, so the prover cannot even open it.
    let w = pk
        .graph
        .nodes
        .iter()
        .position(|n| matches!(n.op, QOp::Const(_)) && n.shape == [16, 16])
        .expect("the second layer's weights");
    let mut bad = witness.clone();
    let mut d = bad.tensors[w].data().to_vec();
    d[0] += 3;
    bad.tensors[w] = Tensor::new(bad.tensors[w].shape().to_vec(), d).expect("shape");
    rejected_or_refused(&pk, &bad, "wrong weight");
}

fn rejected_or_refused(pk: &ProverKey, w: &Witness, what: &str) {
    match zk::prove_witness(pk, w, &mut rng(9)) {
        Ok(proof) => assert!(!verifies(&pk.vk, &proof, what), "{what} verified"),
        Err(e) => eprintln!("{what}: prover refused ({e})"),
    }
}

#[test]
fn zk_refuses_unsupported_operators_and_tiny_tensors() {
    // A batched matrix product is not supported in zero-knowledge mode yet (products of two
    // activations, concatenations, gathers and non-zero pads are: `tests/zk_product.rs`,
    // `tests/zk_maps.rs`).
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 8, 16], DType::F32);
    let w = g.add_const("w", value(&[16, 16], rand_vec(256, 5, 0.3)));
    let y = g
        .push(
            "batched",
            Op::MatMul {
                transpose_a: false,
                transpose_b: false,
            },
            vec![x, w],
        )
        .expect("node");
    g.add_output(y, "y").expect("output");
    let calib = vec![vec![value(&[2, 8, 16], rand_vec(256, 6, 1.0))]];
    let q = quantize_with_inputs(&g, &calib, &QuantConfig::default()).expect("quantize");
    let pk = compile(q, Visibility::Private, ProofParams::default()).expect("compile");
    let inputs = vec![value(&[2, 8, 16], rand_vec(256, 7, 0.9))];
    let err = zk::prove(&pk, &inputs, &mut rng(1))
        .expect_err("a batched matrix product is refused")
        .to_string();
    assert!(err.contains("zero-knowledge"), "{err}");
    assert!(err.contains("batched"), "{err}");
    // Tensors too small to hide their revealed evaluations.
    let pk = compiled(&mlp(&[8, 4], 1, 0), 8, Visibility::Private);
    let err = zk::prove(&pk, &input(8, 1), &mut rng(1))
        .expect_err("tiny tensors are refused")
        .to_string();
    assert!(err.contains("zero-knowledge"), "{err}");
}

// ----- zero knowledge -----

#[test]
fn zk_proof_reveals_no_unmasked_private_evaluation() {
    let pk = small(Visibility::Private);
    let (proof, witness) = zk::prove(&pk, &input(32, 11), &mut rng(12)).expect("prove");
    let (_, settle) = zk::verify_with_claims(&pk.vk, &proof, None).expect("verifies");
    let zp = zk::ZkPlan::new(&pk.vk).expect("plan");
    let json = serde_json::to_value(&proof).expect("serialize");
    let mut numbers = Vec::new();
    all_numbers(&json, &mut numbers);
    // The private input's values (as field elements) appear nowhere as a run in the proof.
    let x = pk.graph.inputs[0].node;
    let encoded: Vec<u64> = witness.tensors[x]
        .data()
        .iter()
        .map(|&v| lucid_core::field::from_i64(v).as_canonical_u64())
        .collect();
    assert!(
        !numbers
            .windows(4)
            .any(|w| encoded.windows(4).any(|e| e == w)),
        "four consecutive private input values appear in the proof"
    );
    let numbers: std::collections::HashSet<u64> = numbers.into_iter().collect();
    let outputs: Vec<usize> = pk.graph.outputs.iter().map(|o| o.node).collect();
    let mut checked = 0;
    for claim in &settle.first {
        let (node, blinded) = match zp.tables[claim.table] {
            zk::plan::Table1::Blinded(n) | zk::plan::Table1::Limb(n, _) => (n, true),
            _ => continue,
        };
        if !blinded || outputs.contains(&node) {
            continue;
        }
        let c = claim.point[0];
        assert_ne!(
            c,
            EF::from(F::from_u64(0)),
            "a private table opened at c = 0"
        );
        // The unmasked evaluation a plain proof would reveal at this point.
        let padded = lucid_proof::layout::PaddedTensor::from_tensor(
            &pk.graph.nodes[node].shape,
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
    assert!(checked >= 10, "only {checked} private claims checked");
    // The weights are not in the hiding commitment: their claims are plain claims on the key's
    // weights commitment (bound, not hidden), and every one of them is a true evaluation.
    for t in &zp.tables {
        if let zk::plan::Table1::Blinded(n) = *t {
            assert_ne!(
                zp.kinds[n],
                zk::plan::Kind::Weight,
                "a weight in the hiding commitment"
            );
        }
    }
    assert!(!settle.weights.is_empty(), "no weight claim");
    let weights: Vec<usize> = (0..pk.graph.nodes.len())
        .filter(|&n| zp.kinds[n] == zk::plan::Kind::Weight)
        .collect();
    for claim in &settle.weights {
        let node = weights[claim.table];
        let padded = lucid_proof::layout::PaddedTensor::from_tensor(
            &pk.graph.nodes[node].shape,
            &witness.tensors[node],
        );
        assert_eq!(eval_mle_base(&padded.evals, &claim.point), claim.value);
    }
}

const BINS: usize = 8;
/// 7 degrees of freedom at p ≈ 10^-5 (seeds are fixed: the test is deterministic).
const BOUND: f64 = 37.0;

/// Histograms of the low bits of every revealed element outside the openings, per proof field.
fn revealed_histograms(proof: &ZkProof) -> Vec<[u64; BINS]> {
    let json = serde_json::to_value(proof).expect("serialize");
    ["requant", "layers", "lookups", "lookup_mask_rows"]
        .iter()
        .map(|field| {
            let mut numbers = Vec::new();
            all_numbers(&json[*field], &mut numbers);
            let mut h = [0u64; BINS];
            for v in numbers {
                h[(v % BINS as u64) as usize] += 1;
            }
            h
        })
        .collect()
}

#[test]
fn zk_revealed_elements_do_not_depend_on_the_private_input() {
    let pk = small(Visibility::Private);
    // Two inputs that differ only where the first layer's weights are zero.
    let a = input(32, 21);
    let mut b_data = rand_vec(32, 21, 0.9);
    for (i, v) in b_data.iter_mut().enumerate().skip(16) {
        *v = -*v * 0.5 + 0.01 * i as f32;
    }
    let b = vec![value(&[1, 32], b_data)];
    let wa = int_eval::run(&pk.graph, &a).expect("run");
    let wb = int_eval::run(&pk.graph, &b).expect("run");
    let out = pk.graph.outputs[0].node;
    assert_eq!(wa.tensors[out], wb.tensors[out], "same public output");
    let x = pk.graph.inputs[0].node;
    assert_ne!(wa.tensors[x], wb.tensors[x], "different private inputs");

    const RUNS: u64 = 12;
    let mut ha = vec![[0u64; BINS]; 4];
    let mut hb = vec![[0u64; BINS]; 4];
    for run in 0..RUNS {
        for (inputs, h, seed) in [(&a, &mut ha, 1000 + run), (&b, &mut hb, 5000 + run)] {
            let (proof, _) = zk::prove(&pk, inputs, &mut rng(seed)).expect("prove");
            for (acc, new) in h.iter_mut().zip(revealed_histograms(&proof)) {
                for (x, y) in acc.iter_mut().zip(new) {
                    *x += y;
                }
            }
        }
    }
    for (field, (x, y)) in ["requant", "layers", "lookups", "lookup_mask_rows"]
        .iter()
        .zip(ha.iter().zip(&hb))
    {
        let chi = chi_square(x, y);
        assert!(chi < BOUND, "{field}: chi-square {chi} ({x:?} vs {y:?})");
    }
    // Control: the same statistic on what a leaky proof would reveal in every run — the input
    // entries the output ignores — does tell the two apart.
    let hist = |w: &Witness| {
        let mut h = [0u64; BINS];
        for &v in &w.tensors[x].data()[16..] {
            h[v.rem_euclid(BINS as i64) as usize] += RUNS;
        }
        h
    };
    let control = chi_square(&hist(&wa), &hist(&wb));
    assert!(control > BOUND, "the control is not detected: {control}");
}

#[test]
fn zk_proves_transposes_and_reshapes() {
    // x [1,32] · W0 → [1,16], transposed to [16,1], W1 [16,16] · it → [16,1], reshaped to [1,16].
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 32], DType::F32);
    let w0 = g.add_const("w0", value(&[32, 16], rand_vec(512, 41, 0.3)));
    let w1 = g.add_const("w1", value(&[16, 16], rand_vec(256, 42, 0.3)));
    let h = g.push("fc0", MATMUL, vec![x, w0]).expect("node");
    let t = g
        .push("tr", Op::Transpose { perm: vec![1, 0] }, vec![h])
        .expect("node");
    let y = g.push("fc1", MATMUL, vec![w1, t]).expect("node");
    let y = g
        .push("flat", Op::Reshape { shape: vec![1, 16] }, vec![y])
        .expect("node");
    g.add_output(y, "y").expect("output");
    let pk = compiled(&g, 32, Visibility::Private);
    let ops: Vec<&str> = pk.graph.nodes.iter().map(|n| n.op.name()).collect();
    assert!(
        ops.contains(&"Transpose") && ops.contains(&"Reshape"),
        "{ops:?}"
    );
    let (proof, witness) = zk::prove(&pk, &input(32, 43), &mut rng(44)).expect("prove");
    let outputs = zk::verify(&pk.vk, &proof, None).expect("verifies");
    assert_eq!(
        outputs[0], witness.tensors[pk.graph.outputs[0].node],
        "{ops:?}"
    );
}

// ----- weights bound to the verifying key -----

/// `pk` with one entry of the `[16, 16]` weights changed after compilation (the key unchanged),
/// and the prover data of those altered weights (committed as their own key would).
fn altered_weights(pk: &ProverKey) -> (ProverKey, WeightsData, VerifyingKey) {
    let mut bad = pk.clone();
    let w = bad
        .graph
        .nodes
        .iter()
        .position(|n| matches!(n.op, QOp::Const(_)) && n.shape == [16, 16])
        .expect("the second layer's weights");
    let QOp::Const(t) = &bad.graph.nodes[w].op else {
        unreachable!("found as a constant")
    };
    let mut d = t.data().to_vec();
    d[5] += 7;
    bad.graph.nodes[w].op = QOp::Const(Tensor::new(t.shape().to_vec(), d).expect("shape"));
    let (own, data) = compile_with_weights(bad.graph.clone(), pk.vk.input_visibility, pk.vk.params)
        .expect("compile the altered model");
    assert_eq!(
        own.vk.graph, pk.vk.graph,
        "same structure, scales and shapes"
    );
    assert_ne!(
        own.vk.weights, pk.vk.weights,
        "other weights, other commitment"
    );
    (bad, data.expect("the model has weights"), own.vk)
}

#[test]
fn zk_rejects_a_proof_made_with_other_weights_than_the_keys() {
    let pk = small(Visibility::Private);
    let inputs = input(32, 31);
    let (bad, data, own_vk) = altered_weights(&pk);
    let witness = int_eval::run(&bad.graph, &inputs).expect("run");
    // A cheating prover opens the altered weights under their own commitment: every other
    // check passes, the weights opening against the key's commitment fails.
    let proof = zk::prove_witness_unchecked(&bad, &witness, Some(data.clone()), &mut rng(32))
        .expect("a proof with the altered weights");
    let err = zk::verify(&pk.vk, &proof, None)
        .expect_err("other weights than the key's verified")
        .to_string();
    assert!(err.contains("weights opening"), "{err}");
    assert!(!verifies(&pk.vk, &proof, "other weights"));
    // The honest prover refuses: the stored data does not open under the key, and committing
    // the artifact's altered weights does not give the key's commitment.
    assert!(zk::prove_witness_with(&bad, &witness, Some(data), &mut rng(33)).is_err());
    assert!(zk::prove(&bad, &inputs, &mut rng(34)).is_err());
    // The altered model's own key (same shapes, other weights) accepts a proof for it, and
    // the original key rejects that proof.
    let own = ProverKey {
        vk: own_vk,
        graph: bad.graph.clone(),
    };
    let (proof, _) = zk::prove(&own, &inputs, &mut rng(35)).expect("prove");
    assert!(verifies(&own.vk, &proof, "its own key"));
    assert!(!verifies(&pk.vk, &proof, "same shapes, other weights"));
    // And a proof for the original model does not verify under the altered model's key.
    let (proof, _) = zk::prove(&pk, &inputs, &mut rng(36)).expect("prove");
    assert!(!verifies(&own.vk, &proof, "original proof, altered key"));
}

#[test]
fn zk_stored_weights_data_gives_the_same_statement() {
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![value(&[1, 32], rand_vec(32, 500 + i, 1.0))])
        .collect();
    let config = QuantConfig {
        act_bits: 8,
        ..QuantConfig::default()
    };
    let q = quantize_with_inputs(&mlp(&[32, 16, 16], 7, 16), &calib, &config).expect("quantize");
    let (pk, data) =
        compile_with_weights(q, Visibility::Private, ProofParams::default()).expect("compile");
    let data = data.expect("weights");
    let bytes = data.to_bytes(&pk.vk).expect("to bytes");
    let restored = WeightsData::from_bytes(&pk, &bytes).expect("from bytes");
    let (proof, _) =
        zk::prove_with_weights(&pk, &input(32, 37), Some(restored), &mut rng(38), &mut ())
            .expect("prove with stored weights");
    let (_, settle) = zk::verify_with_claims(&pk.vk, &proof, None).expect("verifies");
    assert!(!settle.weights.is_empty(), "weight claims are opened");
    assert!(proof.weights_opening.is_some());
}

#[test]
fn zk_rejects_a_tampered_weights_opening() {
    let pk = small(Visibility::Private);
    let (proof, _) = zk::prove(&pk, &input(32, 41), &mut rng(42)).expect("prove");
    assert!(verifies(&pk.vk, &proof, "honest"));
    let bytes = postcard::to_allocvec(proof.weights_opening.as_ref().expect("weights opened"))
        .expect("encode");
    let mut rejected = 0;
    let step = (bytes.len() / 40).max(1);
    for i in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[i] ^= 1;
        let Ok(opening) = postcard::from_bytes(&b) else {
            continue;
        };
        let mut forged = proof.clone();
        forged.weights_opening = Some(opening);
        assert!(
            !verifies(&pk.vk, &forged, "tampered weights opening"),
            "weights opening tampered at byte {i} verified"
        );
        rejected += 1;
    }
    assert!(rejected >= 10, "only {rejected} tampered openings decoded");
    // Missing, or another proof's.
    let mut forged = proof.clone();
    forged.weights_opening = None;
    assert!(!verifies(&pk.vk, &forged, "no weights opening"));
    let (other, _) = zk::prove(&pk, &input(32, 43), &mut rng(44)).expect("prove");
    let mut forged = proof.clone();
    forged.weights_opening = other.weights_opening.clone();
    assert!(!verifies(
        &pk.vk,
        &forged,
        "another proof's weights opening"
    ));
}
