//! `lucid verify`: checks a proof against a verifying key (and, optionally, a public input).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use lucid_model::quant::fixed::quantize;
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::{Proof, VerifyingKey, Visibility};

use crate::io::{self, AnyProof};

/// Checks that the proof's public inputs are the quantized values of `input`.
pub fn check_input(vk: &VerifyingKey, proof: &Proof, input: &Path) -> Result<()> {
    check_public_inputs(vk, &proof.public_inputs, input)
}

/// Checks that `public_inputs` (a proof's) are the quantized values of `input`.
pub fn check_public_inputs(
    vk: &VerifyingKey,
    public_inputs: &[Tensor<i64>],
    input: &Path,
) -> Result<()> {
    if vk.input_visibility != Visibility::Public {
        bail!("the key's inputs are private: --input cannot be checked against this proof");
    }
    let file = io::read_input(input)?;
    let values = io::input_values(vk, &file)?;
    for ((decl, value), got) in vk.graph.inputs.iter().zip(&values).zip(public_inputs) {
        let node = &vk.graph.nodes[decl.node];
        let (lo, hi) = (node.range.lo as i64, node.range.hi as i64);
        let expected: Vec<i64> = match value {
            Value::F32(t) => t
                .data()
                .iter()
                .map(|&x| quantize(x as f64, node.scale, lo, hi))
                .collect(),
            other => other.to_f64_vec().iter().map(|&x| x as i64).collect(),
        };
        if expected != got.data() {
            bail!(
                "input '{}' of the proof is not the input in {}",
                decl.name,
                input.display()
            );
        }
    }
    Ok(())
}

/// Runs `lucid verify` on a proof of either mode; returns an error (non-zero exit) when the
/// proof does not verify. With `json`, prints one JSON object instead of text — also for a
/// proof that does not verify (`"verified": false` and the reason), still exiting non-zero.
pub fn run(vk_path: &Path, proof_path: &Path, input: Option<&Path>, json: bool) -> Result<()> {
    let vk = io::read_verifying_key(vk_path)?;
    let digest = vk.digest_hex()?;
    let proof = io::read_any_proof(proof_path);
    let start = Instant::now();
    let checked = proof.and_then(|proof| check(&vk, &proof, input));
    let elapsed = start.elapsed();
    if json {
        let mut report = serde_json::json!({
            "version": io::COMMAND_JSON_VERSION,
            "model_digest": digest,
            "verified": checked.is_ok(),
            "verify_s": elapsed.as_secs_f64(),
        });
        match &checked {
            Ok((outputs, zk)) => {
                report["zero_knowledge"] = (*zk).into();
                report["outputs"] = io::outputs_json(&io::dequantized_outputs(&vk, outputs)?);
            }
            Err(e) => report["error"] = format!("{e:#}").into(),
        }
        println!("{report}");
        return checked
            .map(|_| ())
            .map_err(|e| e.context("the proof does not verify"));
    }
    println!("model {digest}");
    let (outputs, zk) = checked?;
    let mode = if zk {
        " (zero-knowledge proof)"
    } else {
        " (plain proof, not zero-knowledge)"
    };
    println!("verified{mode} in {:.1} ms", elapsed.as_secs_f64() * 1e3);
    if vk.replicas > 1 {
        println!(
            "the key proves the model as {} stacked copies of its input (too small for \
             zero-knowledge masks otherwise); the copies' outputs are equal, one is shown",
            vk.replicas
        );
    }
    println!("public outputs:");
    for (name, v) in io::dequantized_outputs(&vk, &outputs)? {
        println!("  {name}: {}", io::show_value(&v));
    }
    Ok(())
}

/// Verifies `proof` (and its public input against `input`, if given); returns its outputs and
/// whether it is a zero-knowledge proof.
fn check(
    vk: &VerifyingKey,
    proof: &AnyProof,
    input: Option<&Path>,
) -> Result<(Vec<Tensor<i64>>, bool)> {
    match proof {
        AnyProof::Plain(p) => {
            if let Some(input) = input {
                check_input(vk, p, input)?;
            }
            lucid_proof::verify(vk, p)?;
            Ok((p.outputs.clone(), false))
        }
        AnyProof::ZeroKnowledge(p) => {
            if let Some(input) = input {
                check_public_inputs(vk, &p.public_inputs, input)?;
            }
            Ok((lucid_proof::zk::verify(vk, p, None)?, true))
        }
    }
}
