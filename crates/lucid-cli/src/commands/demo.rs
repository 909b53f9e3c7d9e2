//! `lucid demo`: compiles, proves and verifies the shipped demo model — a 64-32-16-10 MLP
//! trained on scikit-learn's 8×8 digits (`models/digits_mlp`) — and prints each step's time.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use lucid_proof::Visibility;

use super::compile::{CompileOptions, run as compile};
use super::prove::{prove_with, prove_zk, read_weights};
use crate::io::{self, AnyProof};

const MODEL: &[u8] = include_bytes!("../../../../models/digits_mlp/network.onnx");
const INPUT: &[u8] = include_bytes!("../../../../models/digits_mlp/input.json");
const CALIBRATION: &[u8] = include_bytes!("../../../../models/digits_mlp/calibration.json");

/// Runs the demo in `dir` (a fresh temporary directory by default), proving in zero knowledge
/// when `zk` is set.
pub fn run(dir: Option<PathBuf>, zk: bool) -> Result<()> {
    let dir = dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("lucid-demo-{}", std::process::id())));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let model = dir.join("network.onnx");
    let input = dir.join("input.json");
    let calibration = dir.join("calibration.json");
    io::write_bytes(&model, MODEL)?;
    io::write_bytes(&input, INPUT)?;
    io::write_bytes(&calibration, CALIBRATION)?;
    println!("Lucid demo: a 64-32-16-10 MLP trained on scikit-learn's handwritten digits");
    println!("working directory: {}\n", dir.display());

    println!(
        "[1/3] compile (import ONNX, calibrate on 32 digits, quantize to 16 bits, commit weights)"
    );
    let t = Instant::now();
    let compiled = compile(&CompileOptions {
        model,
        out: dir.clone(),
        calibration: Some(calibration),
        input: Some(input.clone()),
        bits: 16,
        input_visibility: Visibility::Private,
        per_layer: false,
    })?;
    println!(
        "      model digest {}\n      model.lucid {} B, model.vk {} B — {:.3} s\n",
        compiled.digest,
        compiled.sizes.0,
        compiled.sizes.1,
        t.elapsed().as_secs_f64()
    );

    println!(
        "[2/3] prove one inference on a held-out digit (input private{})",
        if zk {
            ", zero-knowledge proof"
        } else {
            ", proof not zero-knowledge"
        }
    );
    let proof_path = dir.join("proof.bin");
    let weights = read_weights(&compiled.pk, &dir.join("model.lucid"))?;
    let (outputs, elapsed, size) = if zk {
        let (proof, elapsed, _) = prove_zk(&compiled.pk, &input, weights, false)?;
        let size = io::write_zk_proof(&proof_path, &proof)?;
        (proof.outputs, elapsed, size)
    } else {
        let (proof, elapsed, _) = prove_with(&compiled.pk, &input, weights, false)?;
        let size = io::write_proof(&proof_path, &proof)?;
        (proof.outputs, elapsed, size)
    };
    for (name, v) in &io::dequantized_outputs(&compiled.pk.vk, &outputs)? {
        let logits = v.to_f64_vec();
        let digit = logits
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap_or(0);
        println!(
            "      {name}: predicted digit {digit} (logits {})",
            io::show_value(v)
        );
    }
    println!(
        "      proof {:.1} KiB — {:.3} s\n",
        size as f64 / 1024.0,
        elapsed.as_secs_f64()
    );

    println!("[3/3] verify (from model.vk and the proof only)");
    let vk = io::read_verifying_key(&dir.join("model.vk"))?;
    let t = Instant::now();
    match io::read_any_proof(&proof_path)? {
        AnyProof::Plain(proof) => lucid_proof::verify(&vk, &proof)?,
        AnyProof::ZeroKnowledge(proof) => {
            lucid_proof::zk::verify(&vk, &proof, None)?;
        }
    }
    println!("      verified — {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
