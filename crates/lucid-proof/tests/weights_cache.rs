//! The stored weights codeword (`lucid_proof::WeightsData`, `model.weights`): a proof made from
//! it verifies like the proof made without it, and a file that is damaged, truncated, of another model or
//! another version gives an error, never a panic and never a proof the verifier rejects.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{Model, quantized};
use lucid_proof::key::{FORMAT_VERSION, WEIGHTS_MAGIC};
use lucid_proof::{
    ProofError, ProofParams, ProverKey, Visibility, WeightsData, compile_with_weights,
    prove_with_weights, verify,
};

fn compiled(model: Model, seed: u64) -> (ProverKey, WeightsData) {
    let (pk, w) = compile_with_weights(
        quantized(model, seed),
        Visibility::Private,
        ProofParams::default(),
    )
    .expect("compile");
    (pk, w.expect("the model has weights"))
}

/// Loads `bytes` and proves with them, catching panics; `Ok` holds a proof the key accepts.
fn prove_from(pk: &ProverKey, model: Model, bytes: &[u8]) -> Result<(), String> {
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<(), ProofError> {
        let w = WeightsData::from_bytes(pk, bytes)?;
        let (proof, _) = prove_with_weights(pk, &model.test_input(), Some(w), &mut ())?;
        verify(&pk.vk, &proof)
    }));
    match run {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => panic!("a stored weights codeword made the prover panic"),
    }
}

#[test]
fn proof_from_stored_weights_equals_proof_without() {
    let model = Model::Cnn;
    let (pk, w) = compiled(model, 1);
    let bytes = w.to_bytes(&pk.vk).expect("encode");
    let restored = WeightsData::from_bytes(&pk, &bytes).expect("load");
    let inputs = model.test_input();
    let (with, _) = prove_with_weights(&pk, &inputs, Some(restored), &mut ()).expect("prove");
    let (without, _) = prove_with_weights(&pk, &inputs, None, &mut ()).expect("prove");
    verify(&pk.vk, &with).expect("a proof from stored weights verifies");
    verify(&pk.vk, &without).expect("a proof without them verifies");
    // Same statement. (The encoded sizes may differ by a few bytes: postcard writes field
    // elements as variable-length integers, and the openings' challenges differ.)
    assert_eq!(with.outputs, without.outputs);
    assert_eq!(with.public_inputs, without.public_inputs);
    // The data `compile` returned works as well.
    let (fresh, _) = prove_with_weights(&pk, &inputs, Some(w), &mut ()).expect("prove");
    verify(&pk.vk, &fresh).expect("a proof from the compiled data verifies");
}

#[test]
fn damaged_stored_weights_give_errors() {
    let model = Model::MlpMax;
    let (pk, w) = compiled(model, 1);
    let bytes = w.to_bytes(&pk.vk).expect("encode");
    assert!(prove_from(&pk, model, &bytes).is_ok());

    let mut wrong_magic = bytes.clone();
    wrong_magic[0] ^= 1;
    let e = prove_from(&pk, model, &wrong_magic).expect_err("wrong magic");
    assert!(e.contains("not a Lucid stored weights codeword"), "{e}");

    let mut old = bytes.clone();
    old[8..10].copy_from_slice(&(FORMAT_VERSION - 1).to_le_bytes());
    let e = prove_from(&pk, model, &old).expect_err("old version");
    assert!(e.contains("format version"), "{e}");

    for cut in [0, 5, 49, 50, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            prove_from(&pk, model, &bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(7);
    assert!(prove_from(&pk, model, &longer).is_err());

    // Any flipped byte after the header changes the checksum.
    let step = ((bytes.len() - 50) / 61).max(1);
    for at in (50..bytes.len()).step_by(step) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let e = prove_from(&pk, model, &bad).expect_err("flipped byte");
        assert!(e.contains("checksum"), "byte {at}: {e}");
    }
    assert!(bytes.starts_with(WEIGHTS_MAGIC));
}

#[test]
fn stored_weights_of_another_model_are_refused() {
    let model = Model::MlpMax;
    let (pk, _) = compiled(model, 1);
    // Same architecture, other weights: another key digest.
    let (other_pk, other) = compiled(model, 2);
    let other_bytes = other.to_bytes(&other_pk.vk).expect("encode");
    let e = prove_from(&pk, model, &other_bytes).expect_err("another model");
    assert!(e.contains("another model"), "{e}");

    // A file whose header claims this model but whose codeword is the other model's (checksum
    // recomputed, as a careless tool would): its root differs from the key's commitment.
    let mut forged = pk_header(&pk, &other_bytes);
    forged.extend_from_slice(&other_bytes[50..]);
    let e = prove_from(&pk, model, &forged).expect_err("other codeword");
    assert!(e.contains("does not match the key"), "{e}");
}

/// The 50-byte header of a file for `pk` over the body of `bytes`.
fn pk_header(pk: &ProverKey, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes[..10].to_vec();
    for w in pk.vk.digest().expect("digest") {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&lucid_proof::graph::weights::checksum(&bytes[50..]).to_le_bytes());
    out
}

#[test]
fn stored_codeword_of_other_weights_never_yields_a_rejected_proof() {
    // The key's weights commitment and codeword, but the artifact's weights changed: the root
    // matches, the opening's values do not, and the prover's own check refuses it.
    let model = Model::MlpMax;
    let (pk, w) = compiled(model, 1);
    let bytes = w.to_bytes(&pk.vk).expect("encode");
    let (other_pk, _) = compiled(model, 2);
    let mut tampered = pk.clone();
    tampered.graph = other_pk.graph.clone();
    tampered.vk.graph = pk.vk.graph.clone();
    match prove_from(&tampered, model, &bytes) {
        Ok(()) => panic!("a proof from mismatched weights verified"),
        Err(e) => assert!(
            e.contains("does not verify") || e.contains("does not match"),
            "{e}"
        ),
    }
}
