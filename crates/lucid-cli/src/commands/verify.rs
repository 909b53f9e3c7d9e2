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
    let values = io::input_values(&vk.graph, &file)?;
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
/// proof does not verify.
pub fn run(vk_path: &Path, proof_path: &Path, input: Option<&Path>) -> Result<()> {
    let vk = io::read_verifying_key(vk_path)?;
    let proof = io::read_any_proof(proof_path)?;
    let digest = vk.digest_hex()?;
    println!("model {digest}");
    let start = Instant::now();
    let (outputs, mode) = match &proof {
        AnyProof::Plain(p) => {
            if let Some(input) = input {
                check_input(&vk, p, input)?;
            }
            lucid_proof::verify(&vk, p)?;
            (p.outputs.clone(), " (plain proof, not zero-knowledge)")
        }
        AnyProof::ZeroKnowledge(p) => {
            if let Some(input) = input {
                check_public_inputs(&vk, &p.public_inputs, input)?;
            }
            let outputs = lucid_proof::zk::verify(&vk, p, None)?;
            (outputs, " (zero-knowledge proof)")
        }
    };
    let elapsed = start.elapsed();
    println!("verified{mode} in {:.1} ms", elapsed.as_secs_f64() * 1e3);
    println!("public outputs:");
    for (name, v) in io::dequantized_outputs(&vk.graph, &outputs) {
        println!("  {name}: {}", io::show_value(&v));
    }
    Ok(())
}
