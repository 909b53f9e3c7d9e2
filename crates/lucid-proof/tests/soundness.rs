//! End-to-end soundness tests of the graph prover and verifier on tiny hand-built models (an
//! MLP with ReLU as `Max(x, 0)` and as `Relu`, a CNN with convolution, ReLU, average pooling and
//! a flatten, an MLP with a sigmoid table): completeness with both input visibilities, key and
//! proof formats, every proof byte and every proof field bound, statement and key changes
//! rejected, malicious provers (a test-side prover that takes the witness; wrong ReLU outputs
//! against the clamp zero-check) rejected, and
//! malformed inputs giving errors, never panics.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::json::every_field_is_bound;
use common::keys::changed_keys;
use common::witness_prover::{
    field_witness, honest_witness, prove_with_witness, requants, set_entry,
};
use common::{MODELS, Model, build, fixture, proof_bytes, quantized, two_limb_model, verifies};
use lucid_core::field::F;
use lucid_model::int_eval;
use lucid_model::quant::QOp;
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::graph::clamp;
use lucid_proof::graph::lookups as lk;
use lucid_proof::graph::plan::{RANGE_BITS, Role};
use lucid_proof::key::{PK_MAGIC, PROOF_MAGIC, VK_MAGIC, decode, encode};
use lucid_proof::{Proof, ProofError, ProofParams, ProverKey, VerifyingKey, Visibility};
use lucid_proof::{compile, prove};
use p3_field::{Field, PrimeCharacteristicRing};

const VISIBILITIES: [Visibility; 2] = [Visibility::Private, Visibility::Public];

// ---------------------------------------------------------------------------------------------
// 1. Completeness and formats.
// ---------------------------------------------------------------------------------------------

#[test]
fn honest_proofs_verify_for_every_model_and_visibility() {
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            assert!(
                verifies(&f.pk.vk, &f.proof, "honest proof"),
                "{model:?} {vis:?}"
            );
            // The proof states exactly the integer run's outputs.
            let w = int_eval::run(&f.pk.graph, &f.inputs).expect("integer run");
            for (o, t) in f.pk.graph.outputs.iter().zip(&f.proof.outputs) {
                assert_eq!(t, &w.tensors[o.node], "{model:?} {vis:?}");
            }
            match vis {
                Visibility::Public => assert_eq!(f.proof.public_inputs.len(), 1),
                Visibility::Private => assert!(f.proof.public_inputs.is_empty()),
            }
        }
    }
}

#[test]
fn models_exercise_the_intended_protocols() {
    let roles = |m: Model| {
        fixture(m, Visibility::Private)
            .pk
            .vk
            .plan()
            .expect("plan")
            .roles
    };
    let ops = |m: Model| -> Vec<String> {
        fixture(m, Visibility::Private)
            .pk
            .graph
            .nodes
            .iter()
            .map(|n| n.op.name().to_string())
            .collect()
    };
    for m in MODELS {
        assert!(
            roles(m).iter().any(|r| matches!(r, Role::Requant { .. })),
            "{m:?} has a requantization"
        );
        assert!(
            roles(m).iter().any(|r| matches!(r, Role::Lookup { .. })),
            "{m:?} has a function lookup"
        );
    }
    assert!(
        ops(Model::MlpMax).contains(&"Max".to_string()),
        "{:?}",
        ops(Model::MlpMax)
    );
    assert!(ops(Model::MlpRelu).contains(&"Relu".to_string()));
    for op in ["Conv", "SumPool", "MatMul"] {
        assert!(
            ops(Model::Cnn).contains(&op.to_string()),
            "{:?}",
            ops(Model::Cnn)
        );
    }
    assert!(ops(Model::Sigmoid).contains(&"Table".to_string()));
}

#[test]
fn keys_and_proofs_round_trip_through_their_formats() {
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            let vk_bytes = encode(VK_MAGIC, &f.pk.vk).expect("encode vk");
            let pk_bytes = encode(PK_MAGIC, &f.pk).expect("encode pk");
            let pf_bytes = proof_bytes(&f.proof);
            assert_eq!(&vk_bytes[..8], VK_MAGIC);
            assert_eq!(&pk_bytes[..8], PK_MAGIC);
            assert_eq!(&pf_bytes[..8], PROOF_MAGIC);
            let vk: VerifyingKey = decode(VK_MAGIC, &vk_bytes).expect("decode vk");
            let pk: ProverKey = decode(PK_MAGIC, &pk_bytes).expect("decode pk");
            let proof: Proof = decode(PROOF_MAGIC, &pf_bytes).expect("decode proof");
            assert_eq!(vk, f.pk.vk);
            assert_eq!(pk, f.pk);
            assert_eq!(proof_bytes(&proof), pf_bytes);
            assert_eq!(
                vk.digest().expect("digest"),
                f.pk.vk.digest().expect("digest")
            );
            assert!(verifies(&vk, &proof, "decoded proof"));
            // A proof from the decoded prover artifact verifies against the decoded key.
            let (again, _) = prove(&pk, &f.inputs, &mut ()).expect("prove again");
            assert!(verifies(&vk, &again, "proof from decoded artifact"));
            // Wrong magics are refused.
            assert!(decode::<VerifyingKey>(VK_MAGIC, &pf_bytes).is_err());
            assert!(decode::<Proof>(PROOF_MAGIC, &vk_bytes).is_err());
            assert!(decode::<ProverKey>(PK_MAGIC, &vk_bytes).is_err());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Every byte and every field of a proof is bound.
// ---------------------------------------------------------------------------------------------

/// Outcome of one byte-level mutation.
#[derive(Default, Debug)]
struct Tally {
    undecodable: usize,
    same_proof: usize,
    rejected: usize,
}

fn mutate_bytes(vk: &VerifyingKey, bytes: &[u8], mutated: Vec<u8>, what: &str, tally: &mut Tally) {
    let Ok(proof) = decode::<Proof>(PROOF_MAGIC, &mutated) else {
        tally.undecodable += 1;
        return;
    };
    if proof_bytes(&proof) == bytes {
        tally.same_proof += 1;
        return;
    }
    assert!(
        !verifies(vk, &proof, what),
        "mutated proof verified: {what}"
    );
    tally.rejected += 1;
}

#[test]
fn byte_mutations_of_encoded_proofs_are_rejected() {
    for (model, vis) in [
        (Model::MlpMax, Visibility::Private),
        (Model::Cnn, Visibility::Public),
        (Model::Sigmoid, Visibility::Private),
    ] {
        let f = fixture(model, vis);
        let bytes = proof_bytes(&f.proof);
        let n = bytes.len();
        let mut tally = Tally::default();
        // Every k-th byte, complemented and incremented.
        let k = (n / 70).max(1);
        for pos in (0..n).step_by(k) {
            for op in [0xFFu8, 0x01] {
                let mut m = bytes.clone();
                m[pos] = if op == 0xFF {
                    !m[pos]
                } else {
                    m[pos].wrapping_add(1)
                };
                mutate_bytes(
                    &f.pk.vk,
                    &bytes,
                    m,
                    &format!("{model:?} byte {pos} op {op}"),
                    &mut tally,
                );
            }
        }
        // Single-bit flips spread over the whole proof (a stride coprime with 8).
        let stride = ((n * 8) / 90).max(1) | 1;
        for bit in (0..n * 8).step_by(stride) {
            let mut m = bytes.clone();
            m[bit / 8] ^= 1 << (bit % 8);
            mutate_bytes(
                &f.pk.vk,
                &bytes,
                m,
                &format!("{model:?} bit {bit}"),
                &mut tally,
            );
        }
        eprintln!("{model:?} {vis:?}: {n} bytes, {tally:?}");
        assert!(
            tally.rejected > 100,
            "{model:?}: most mutations must decode and be rejected"
        );
    }
}

#[test]
fn every_field_of_the_mlp_proof_is_bound() {
    every_field_is_bound(Model::MlpMax, Visibility::Private);
}

#[test]
fn every_field_of_the_cnn_proof_is_bound() {
    every_field_is_bound(Model::Cnn, Visibility::Public);
}

#[test]
fn every_field_of_the_sigmoid_proof_is_bound() {
    every_field_is_bound(Model::Sigmoid, Visibility::Private);
}

#[test]
fn swapped_and_reordered_proof_parts_are_rejected() {
    let f = fixture(Model::Cnn, Visibility::Private);
    let p = &f.proof;
    let reject = |q: Proof, what: &str| assert!(!verifies(&f.pk.vk, &q, what), "{what}");
    // Layer proofs in another order.
    if p.layers.len() > 1 {
        let mut q = p.clone();
        q.layers.swap(0, 1);
        reject(q, "swapped layer proofs");
        let mut q = p.clone();
        q.layers.reverse();
        reject(q, "reversed layer proofs");
    }
    // Requant evaluations swapped.
    if p.requant.len() > 1 {
        let mut q = p.clone();
        q.requant.swap(0, 1);
        reject(q, "swapped requant evals");
    }
    // The two openings exchanged.
    let mut q = p.clone();
    std::mem::swap(&mut q.witness_opening, &mut q.weights_opening);
    reject(q, "swapped openings");
    // Parts taken from the proof of another input.
    let other_input = vec![common::tensor(&[1, 1, 6, 6], 4242, 0.8)];
    let (other, _) = prove(&f.pk, &other_input, &mut ()).expect("prove");
    assert!(verifies(&f.pk.vk, &other, "other honest proof"));
    let mut q = p.clone();
    q.witness = other.witness.clone();
    reject(q, "other witness commitment");
    let mut q = p.clone();
    q.lookups = other.lookups.clone();
    reject(q, "other lookup proof");
    let mut q = p.clone();
    q.layers = other.layers.clone();
    reject(q, "other layer proofs");
    let mut q = p.clone();
    q.witness_opening = other.witness_opening.clone();
    reject(q, "other witness opening");
    let mut q = p.clone();
    q.weights_opening = other.weights_opening.clone();
    reject(q, "other weights opening");
    let mut q = other.clone();
    q.outputs = p.outputs.clone();
    if q.outputs != other.outputs {
        reject(q, "other proof with these outputs");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Statement and key changes.
// ---------------------------------------------------------------------------------------------

#[test]
fn changed_outputs_and_public_inputs_are_rejected() {
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            for o in 0..f.proof.outputs.len() {
                let len = f.proof.outputs[o].len();
                for i in [0, len / 2, len - 1] {
                    for d in [1i64, -1, 1 << 20] {
                        let mut q = f.proof.clone();
                        q.outputs[o].data_mut()[i] += d;
                        assert!(
                            !verifies(&f.pk.vk, &q, "output"),
                            "{model:?} output {i} {d}"
                        );
                    }
                }
            }
            if vis == Visibility::Public {
                let len = f.proof.public_inputs[0].len();
                for i in [0, len / 3, len - 1] {
                    for d in [1i64, -1] {
                        let mut q = f.proof.clone();
                        q.public_inputs[0].data_mut()[i] += d;
                        assert!(!verifies(&f.pk.vk, &q, "input"), "{model:?} input {i} {d}");
                    }
                }
                // Dropping or adding a public input.
                let mut q = f.proof.clone();
                q.public_inputs.clear();
                assert!(!verifies(&f.pk.vk, &q, "no inputs"));
                let mut q = f.proof.clone();
                q.public_inputs.push(q.public_inputs[0].clone());
                assert!(!verifies(&f.pk.vk, &q, "two inputs"));
            } else {
                // A private-input proof that claims a public input.
                let mut q = f.proof.clone();
                q.public_inputs
                    .push(Tensor::zeros(f.model.input_shape()).expect("zeros"));
                assert!(!verifies(&f.pk.vk, &q, "extra input"));
            }
            // Outputs reshaped, dropped, duplicated.
            let mut q = f.proof.clone();
            let t = q.outputs[0].clone();
            let flat = t.clone().reshape(vec![t.len()]).expect("reshape");
            q.outputs[0] = flat;
            assert!(!verifies(&f.pk.vk, &q, "reshaped output"));
            let mut q = f.proof.clone();
            q.outputs.clear();
            assert!(!verifies(&f.pk.vk, &q, "no output"));
            let mut q = f.proof.clone();
            q.outputs.push(t);
            assert!(!verifies(&f.pk.vk, &q, "duplicated output"));
        }
    }
}

#[test]
fn changed_verifying_keys_reject_the_honest_proof() {
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            let other =
                compile(quantized(model, 77), vis, ProofParams::default()).expect("compile");
            let keys = changed_keys(&f.pk.vk, &other.vk);
            assert!(keys.len() > 15, "{model:?}: {} key changes", keys.len());
            for (what, k) in keys {
                assert!(
                    !verifies(&k, &f.proof, &what),
                    "{model:?} {vis:?}: key change accepted: {what}"
                );
            }
        }
    }
}

#[test]
fn proofs_do_not_verify_against_other_models() {
    for vis in VISIBILITIES {
        // Same architecture, other weights.
        for model in MODELS {
            let f = fixture(model, vis);
            let other = build(model, vis, 77);
            assert_ne!(
                other.pk.vk.weights, f.pk.vk.weights,
                "{model:?}: weights differ"
            );
            assert!(
                !verifies(&other.pk.vk, &f.proof, "other weights"),
                "{model:?}"
            );
            assert!(
                !verifies(&f.pk.vk, &other.proof, "other weights"),
                "{model:?}"
            );
        }
        // Other architectures (the same input and output shapes for the two MLPs).
        for a in MODELS {
            for b in MODELS {
                if a != b {
                    let fa = fixture(a, vis);
                    let fb = fixture(b, vis);
                    assert!(
                        !verifies(&fb.pk.vk, &fa.proof, "other model"),
                        "{a:?} vs {b:?}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Malicious provers.
// ---------------------------------------------------------------------------------------------

#[test]
fn prover_key_with_weights_other_than_its_verifying_key_is_refused() {
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        for (id, role) in plan.roles.iter().enumerate() {
            if !matches!(role, Role::Weight { .. }) {
                continue;
            }
            let mut pk = f.pk.clone();
            let QOp::Const(t) = &mut pk.graph.nodes[id].op else {
                panic!("weights are constants")
            };
            t.data_mut()[0] += 1;
            match prove(&pk, &f.inputs, &mut ()) {
                // Refused: the weights do not match the key's commitment, or the altered
                // constant leaves its proven range.
                Err(ProofError::Witness { .. } | ProofError::Eval(_)) => {}
                Err(e) => panic!("{model:?}: unexpected error {e}"),
                Ok((proof, _)) => assert!(
                    !verifies(&f.pk.vk, &proof, "altered weight"),
                    "{model:?}: a proof with an altered weight {id} verified"
                ),
            }
        }
    }
}

#[test]
fn prover_graph_with_other_operator_parameters_is_rejected() {
    // The prover's graph differs from its key in a parameter the key does not commit by value
    // (a requantization shift or clamp, an Add shift): the proof must not verify.
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        for (id, n) in f.pk.graph.nodes.iter().enumerate() {
            let mut pk = f.pk.clone();
            match &mut pk.graph.nodes[id].op {
                QOp::Requant { shift, .. } => *shift += 1,
                QOp::Add { shifts } => shifts[1] += 1,
                _ => continue,
            }
            if let Ok((proof, _)) = prove(&pk, &f.inputs, &mut ()) {
                assert!(
                    !verifies(&f.pk.vk, &proof, "altered parameter"),
                    "{model:?}: node {id} '{}' altered in the prover's graph verified",
                    n.name
                );
            }
        }
    }
}

#[test]
fn outputs_patched_after_proving_are_rejected() {
    for model in MODELS {
        let f = fixture(model, Visibility::Public);
        let (mut proof, _) = prove(&f.pk, &f.inputs, &mut ()).expect("prove");
        for t in &mut proof.outputs {
            for v in t.data_mut() {
                *v = 0;
            }
        }
        assert!(!verifies(&f.pk.vk, &proof, "zeroed outputs"), "{model:?}");
        // The outputs of another input, with this input's proof.
        let other_input = vec![common::tensor(&model.input_shape(), 31337, 0.7)];
        let (other, _) = prove(&f.pk, &other_input, &mut ()).expect("prove");
        let mut q = f.proof.clone();
        q.outputs = other.outputs.clone();
        assert_ne!(q.outputs, f.proof.outputs);
        assert!(!verifies(&f.pk.vk, &q, "other outputs"), "{model:?}");
        // And the other input's statement with this proof's body.
        let mut q = f.proof.clone();
        q.public_inputs = other.public_inputs.clone();
        q.outputs = other.outputs.clone();
        assert!(!verifies(&f.pk.vk, &q, "other statement"), "{model:?}");
    }
}

#[test]
fn the_test_side_witness_prover_is_faithful() {
    // Sanity check of the malicious-prover harness: with the honest witness it produces a proof
    // of the same statement as `lucid_proof::prove`, which verifies.
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            let proof = prove_with_witness(&f.pk, &honest_witness(f)).expect("prove");
            assert!(
                verifies(&f.pk.vk, &proof, "harness proof"),
                "{model:?} {vis:?}"
            );
            // (Bytes may differ: proof-of-work nonces are searched in parallel.)
            assert!(proof.outputs == f.proof.outputs, "{model:?} {vis:?}");
            assert!(proof.requant == f.proof.requant, "{model:?} {vis:?}");
        }
    }
}

#[test]
fn altered_requantized_activation_is_rejected() {
    // One element of a requantization's output changed by ±1, its remainder limbs recomputed
    // from the altered value where they stay in range (so every lookup still holds), or left
    // honest: the requantization identity must fail.
    let mut attempted = 0;
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            for (id, _) in requants(&f.pk) {
                let len = f.pk.graph.nodes[id].shape.iter().product::<usize>();
                for index in [0, len - 1] {
                    for d in [1i64, -1] {
                        let honest = honest_witness(f);
                        let y = honest.tensors[id].data()[index];
                        for recompute_limbs in [false, true] {
                            let mut tensors = honest.tensors.clone();
                            tensors[id].data_mut()[index] = y + d;
                            let mut w = if recompute_limbs {
                                field_witness(&f.pk, tensors)
                            } else {
                                let mut w = honest.clone();
                                set_entry(&mut w, id, index, y + d);
                                w
                            };
                            // Keep the statement honest when the altered node is an output: the
                            // proof must then fail on the output claim or the identity.
                            if f.pk.graph.outputs.iter().any(|o| o.node == id) {
                                w.tensors[id] = honest.tensors[id].clone();
                            }
                            if let Ok(proof) = prove_with_witness(&f.pk, &w) {
                                attempted += 1;
                                assert!(
                                    !verifies(&f.pk.vk, &proof, "altered activation"),
                                    "{model:?} {vis:?}: node {id}[{index}] {d:+} (limbs recomputed: {recompute_limbs}) verified"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        attempted > 10,
        "only {attempted} malicious proofs were produced"
    );
}

#[test]
fn altered_function_lookup_output_is_rejected() {
    // A ReLU / sigmoid output entry changed (and the statement made consistent with it when it
    // is an output): the lookup pair leaves the table, so the prover's lookup refuses or the
    // proof fails.
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        for (id, role) in plan.roles.iter().enumerate() {
            if !matches!(role, Role::Lookup { .. }) {
                continue;
            }
            let mut w = honest_witness(f);
            let y = w.tensors[id].data()[0];
            set_entry(&mut w, id, 0, y + 1);
            if let Ok(proof) = prove_with_witness(&f.pk, &w) {
                assert!(
                    !verifies(&f.pk.vk, &proof, "altered lookup output"),
                    "{model:?} node {id}"
                );
            }
        }
    }
}

#[test]
fn relus_are_proved_without_a_function_table() {
    // ReLU (`Relu` or `Max(x, 0)`) on a 16-bit input range is a clamp: two range checks and a
    // zero-check, no function table; the sigmoid keeps its table.
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        let clamps = clamp::clamps(&f.pk.graph, &plan);
        let lookups = lk::lookups_with(&f.pk.graph, &plan, &clamps).expect("lookups");
        let tables = lookups.iter().filter(|l| l.columns.len() == 2).count();
        let functions = plan
            .roles
            .iter()
            .filter(|r| matches!(r, Role::Lookup { .. }))
            .count();
        assert_eq!(tables + clamps.len(), functions, "{model:?}");
        assert_eq!(f.proof.clamps.len(), clamps.len(), "{model:?}");
        match model {
            Model::Sigmoid => assert!(clamps.is_empty()),
            _ => assert!(!clamps.is_empty() && tables == 0, "{model:?}"),
        }
    }
}

#[test]
fn wrong_relu_outputs_are_rejected() {
    // Per clamp node: y = x at a negative x, y = 0 at a positive x, y off by one either way.
    // The range checks make the prover refuse some of these; the others (e.g. y = x + 1 with
    // both differences in range) must fail the zero-check.
    let mut attempted = 0;
    let mut refused = 0;
    for model in MODELS {
        for vis in VISIBILITIES {
            let f = fixture(model, vis);
            let plan = f.pk.vk.plan().expect("plan");
            for k in clamp::clamps(&f.pk.graph, &plan) {
                let honest = honest_witness(f);
                let xs = honest.tensors[k.input].data().to_vec();
                let ys = honest.tensors[k.node].data().to_vec();
                let negative = xs.iter().position(|&x| x < 0);
                let positive = xs.iter().position(|&x| x > 0);
                let mut cases: Vec<(usize, i64, &str)> = Vec::new();
                if let Some(i) = negative {
                    cases.push((i, xs[i], "y = x at a negative x"));
                    cases.push((i, ys[i] + 1, "y + 1 at a negative x"));
                    cases.push((i, ys[i] - 1, "y − 1 at a negative x"));
                }
                if let Some(i) = positive {
                    cases.push((i, 0, "y = 0 at a positive x"));
                    cases.push((i, ys[i] + 1, "y + 1 at a positive x"));
                    cases.push((i, ys[i] - 1, "y − 1 at a positive x"));
                }
                assert!(
                    negative.is_some() && positive.is_some(),
                    "{model:?}: node {} has inputs of one sign only",
                    k.node
                );
                for (i, v, what) in cases {
                    let mut w = honest.clone();
                    set_entry(&mut w, k.node, i, v);
                    match prove_with_witness(&f.pk, &w) {
                        Ok(proof) => {
                            attempted += 1;
                            assert!(
                                !verifies(&f.pk.vk, &proof, what),
                                "{model:?} {vis:?} node {}[{i}]: {what} verified",
                                k.node
                            );
                            // The zero-check is the first check the wrong output fails (the
                            // later layer checks would catch the inconsistency too).
                            match lucid_proof::verify(&f.pk.vk, &proof) {
                                Err(ProofError::Rejected { at, .. }) if at.contains("clamp") => {}
                                other => panic!(
                                    "{model:?} {vis:?} node {}[{i}]: {what}: {other:?}",
                                    k.node
                                ),
                            }
                        }
                        Err(_) => refused += 1,
                    }
                }
            }
        }
    }
    eprintln!("wrong ReLU outputs: {attempted} proofs rejected, {refused} refused by the prover");
    assert!(
        attempted >= 6,
        "only {attempted} malicious proofs were produced"
    );
}

#[test]
fn nonzero_padding_of_a_committed_tensor_is_rejected() {
    // A padding entry of a committed tensor set to a nonzero value.
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        let mut tried = 0;
        for &id in &plan.committed {
            let mut w = honest_witness(f);
            let shape = w.padded[id].shape.clone();
            let real = shape.real_to_padded();
            let Some(pad) = (0..shape.padded_len()).find(|o| !real.contains(o)) else {
                continue;
            };
            w.padded[id].evals[pad] = F::ONE;
            tried += 1;
            if let Ok(proof) = prove_with_witness(&f.pk, &w) {
                assert!(
                    !verifies(&f.pk.vk, &proof, "padding"),
                    "{model:?} node {id} padding"
                );
            }
        }
        eprintln!("{model:?}: {tried} padded committed tensors tried");
    }
}

#[test]
fn the_two_limb_model_has_a_narrow_top_limb() {
    let (pk, _, out, shift) = two_limb_model();
    for n in &pk.graph.nodes {
        eprintln!(
            "{} {:?} scale {} range {:?}",
            n.name, n.op, n.scale, n.range
        );
    }
    assert!(
        shift > RANGE_BITS && shift < 2 * RANGE_BITS,
        "the fixture must remove 17..31 bits, removes {shift}"
    );
    let plan = pk.vk.plan().expect("plan");
    let Role::Requant { limbs, .. } = plan.roles[out] else {
        panic!("the output is a requantization");
    };
    assert!(limbs >= 2 && shift % plan.range_bits != 0, "{limbs} limbs");
}

#[test]
// Regression: the narrow top limb was once range-checked only in its scaled form.
fn requantized_output_cannot_be_rounded_down_with_a_wide_top_limb() {
    let (pk, inputs, out, shift) = two_limb_model();
    let plan = pk.vk.plan().expect("plan");
    let bits = plan.range_bits; // B
    let Role::Requant { limbs: m, .. } = plan.roles[out] else {
        panic!("the output is a requantization");
    };
    assert!(m >= 2 && shift % bits != 0);
    let b = shift - bits * (m as u32 - 1); // width of the top limb
    let base = bits * (m as u32 - 2); // bit position of the second-highest limb
    let QOp::Requant { rounding, lo, .. } = pk.graph.nodes[out].op else {
        unreachable!()
    };
    let x_node = pk.graph.nodes[out].inputs[0];
    let off = rounding.offset(shift);
    // Find an input and an element whose true remainder r has top limb 0 and second-highest
    // limb below 2^B − 2^b (about one element in 2^b): then y − 1 has the remainder
    // r + 2^shift, whose top two limbs are L + 2^b < 2^B and v·2^{−(B−b)} with v = 2^B − 1.
    let mut target = None;
    for seed in 0..400 {
        let inputs = if seed == 0 {
            inputs.clone()
        } else {
            vec![common::tensor(&[1, 8], 5000 + seed, 0.9)]
        };
        let honest = int_eval::run(&pk.graph, &inputs).expect("run");
        let xs = honest.tensors[x_node].data();
        let ys = honest.tensors[out].data();
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            let r = x as i128 + off - ((y as i128) << shift);
            assert!((0..1i128 << shift).contains(&r));
            if (r >> base) < (1 << bits) - (1 << b) && y > lo {
                target = Some((inputs.clone(), honest.clone(), i, r));
                break;
            }
        }
        if target.is_some() {
            break;
        }
    }
    let Some((inputs, honest, index, r)) = target else {
        panic!("no element with a small remainder in 400 inputs");
    };
    let (honest_proof, _) = prove(&pk, &inputs, &mut ()).expect("prove");
    assert!(verifies(&pk.vk, &honest_proof, "honest"));
    let top = r >> base; // the honest top two limbs: L_{m−2} (the top limb is 0)
    let forged_top = top + (1i128 << (bits + b));
    let l = top + (1 << b); // ≡ top mod 2^b, below 2^B
    let v = (forged_top - l) >> b; // = 2^B − 1
    assert!(l < 1 << bits && v == (1 << bits) - 1 && l + (v << b) == forged_top);
    let mut tensors = honest.tensors.clone();
    tensors[out].data_mut()[index] -= 1;
    let mut w = field_witness(&pk, tensors);
    // The lower limbs of r + 2^shift are those of r (as the harness computed them).
    let limb_off = |k: usize| w.limbs[&(out, k)].shape.real_to_padded()[index];
    let (o0, o1) = (limb_off(m - 2), limb_off(m - 1));
    w.limbs.get_mut(&(out, m - 2)).expect("limb").evals[o0] = F::from_u64(l as u64);
    // L_top = v / 2^(B−b) in the field: its lookup column L_top·2^(B−b) = v is in the range
    // table.
    let inv = F::from_u64(1 << (bits - b)).inverse();
    w.limbs.get_mut(&(out, m - 1)).expect("top limb").evals[o1] = F::from_u64(v as u64) * inv;
    // The forged top limb is no longer a row of the range table in its unscaled form: the
    // honest multiplicity builder refuses it, and forced multiplicities are rejected by the
    // lookup argument (lucid-lookup's tests). Either way no proof of the forgery verifies.
    match prove_with_witness(&pk, &w) {
        Err(e) => assert!(format!("{e}").contains("table"), "unexpected error: {e}"),
        Ok(proof) => {
            assert_ne!(proof.outputs[0], honest.tensors[out]);
            assert!(
                !verifies(&pk.vk, &proof, "forged rounding"),
                "an output rounded one step down (element {index}) verified"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Malformed inputs.
// ---------------------------------------------------------------------------------------------

#[test]
fn truncated_and_garbage_bytes_give_errors() {
    let f = fixture(Model::Cnn, Visibility::Private);
    let vk = encode(VK_MAGIC, &f.pk.vk).expect("encode");
    let pk = encode(PK_MAGIC, &f.pk).expect("encode");
    let pf = proof_bytes(&f.proof);
    for (magic, bytes) in [(VK_MAGIC, &vk), (PK_MAGIC, &pk), (PROOF_MAGIC, &pf)] {
        let check = |b: &[u8], what: &str| {
            let r = catch_unwind(|| match magic {
                m if m == VK_MAGIC => decode::<VerifyingKey>(m, b).is_err(),
                m if m == PK_MAGIC => decode::<ProverKey>(m, b).is_err(),
                m => decode::<Proof>(m, b).is_err(),
            });
            assert!(r.expect("decode never panics"), "{what} decoded");
        };
        let step = (bytes.len() / 200).max(1);
        for len in (0..bytes.len()).step_by(step) {
            check(&bytes[..len], &format!("truncated to {len}"));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        check(&longer, "trailing byte");
        let mut version = bytes.clone();
        version[8] ^= 1;
        check(&version, "other version");
        let mut garbage = bytes[..10].to_vec();
        garbage.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let r = catch_unwind(AssertUnwindSafe(|| {
            let _ = decode::<VerifyingKey>(magic, &garbage);
            let _ = decode::<ProverKey>(magic, &garbage);
            let _ = decode::<Proof>(magic, &garbage);
        }));
        assert!(r.is_ok(), "decoding garbage panicked");
    }
}

#[test]
fn mutated_keys_give_errors_not_panics() {
    // Byte mutations of a verifying key that still decode: verifying the honest proof against
    // them must not panic, and must fail whenever the key changed.
    let f = fixture(Model::MlpMax, Visibility::Private);
    let bytes = encode(VK_MAGIC, &f.pk.vk).expect("encode");
    let mut decoded = 0;
    let step = (bytes.len() / 150).max(1);
    for pos in (10..bytes.len()).step_by(step) {
        for op in [0xFFu8, 0x01] {
            let mut m = bytes.clone();
            m[pos] ^= op;
            let Ok(vk) = decode::<VerifyingKey>(VK_MAGIC, &m) else {
                continue;
            };
            decoded += 1;
            let what = format!("vk byte {pos} ^ {op:#x}");
            let ok = verifies(&vk, &f.proof, &what);
            if vk != f.pk.vk {
                assert!(!ok, "{what}: a changed key accepted the proof");
            }
            // Proving with the changed key never panics either (sampled: proving is slower).
            if decoded % 6 != 0 {
                continue;
            }
            let pk = ProverKey {
                vk,
                graph: f.pk.graph.clone(),
            };
            let r = catch_unwind(AssertUnwindSafe(|| prove(&pk, &f.inputs, &mut ())));
            assert!(r.is_ok(), "{what}: prove panicked");
        }
    }
    assert!(decoded > 50, "only {decoded} mutated keys decoded");
}

#[test]
fn wrong_inputs_to_prove_give_errors() {
    let f = fixture(Model::MlpMax, Visibility::Private);
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("no input", vec![]),
        ("two inputs", vec![f.inputs[0].clone(), f.inputs[0].clone()]),
        ("wrong shape", vec![common::tensor(&[1, 9], 3, 1.0)]),
        ("wrong rank", vec![common::tensor(&[8], 3, 1.0)]),
        (
            "wrong dtype",
            vec![Tensor::new(vec![1, 8], vec![1i64; 8]).expect("t").into()],
        ),
    ];
    for (what, inputs) in cases {
        let r = catch_unwind(AssertUnwindSafe(|| prove(&f.pk, &inputs, &mut ())));
        assert!(r.expect("prove never panics").is_err(), "{what} accepted");
    }
    // Out-of-range values are clamped into the input range (and proved) or refused, never a
    // panic; either way the verifier accepts only honest proofs.
    for big in [1e6f32, -1e6, f32::NAN] {
        let x: Value = Tensor::new(vec![1, 8], vec![big; 8]).expect("t").into();
        let r = catch_unwind(AssertUnwindSafe(|| prove(&f.pk, &[x], &mut ())));
        if let Ok(Ok((proof, _))) = r {
            assert!(verifies(&f.pk.vk, &proof, "extreme input"));
        } else {
            assert!(r.is_ok(), "prove panicked on {big}");
        }
    }
}
