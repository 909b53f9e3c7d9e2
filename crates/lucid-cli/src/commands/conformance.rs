//! `lucid conformance`: for every model folder of the conformance suite, import, quantize,
//! run in integers, compare with tract's float run and check that the prover can plan a proof;
//! with `--prove`, prove and verify each provable model, plainly and in zero knowledge. Prints
//! one row per model and a summary.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use lucid_model::quant::QuantConfig;
use lucid_proof::graph::plan::Plan;
use lucid_proof::key::{PROOF_MAGIC, ZK_PROOF_MAGIC, decode, encode};
use lucid_proof::{ProofError, ProverKey, Visibility};

use super::compile::{CompiledKey, calibration_samples, compile_key, quantize};
use crate::io;

/// Prove time (ms), verify time (ms) and proof size (bytes) of one proof.
pub type ProofFigures = (f64, f64, usize);

/// What was measured on one model.
#[derive(Debug)]
pub struct Measured {
    /// Worst mean relative error over the outputs.
    pub rel: f64,
    /// Worst max abs error over the outputs.
    pub abs: f64,
    /// Worst argmax agreement, for classifier-like outputs.
    pub argmax: Option<f64>,
    /// Whether every output meets the accuracy rule.
    pub passes: bool,
    /// Whether the prover can plan the model (or why not).
    pub provable: Result<(), String>,
    /// With `--prove`: prove and verify time and proof size, or why proving failed.
    pub proved: Option<Result<ProofFigures, String>>,
    /// With `--prove`, for a model proved plainly: the same in zero-knowledge mode, `Ok(None)`
    /// when that mode refuses the model (an operator or tensor it does not support yet).
    pub zk: Option<Result<Option<ProofFigures>, String>>,
}

/// The outcome for one model.
#[derive(Debug)]
pub struct Row {
    /// Folder name.
    pub model: String,
    /// The measurements, or why the model was refused.
    pub result: Result<Measured, String>,
}

fn one(dir: &Path, bits: u32, prove: bool) -> Result<Measured> {
    let input = io::read_input(&dir.join("input.json"))?;
    let imported = lucid_onnx::load(&dir.join("network.onnx"), Some(&input))?;
    let samples = calibration_samples(&imported, &input)?;
    let config = QuantConfig {
        act_bits: bits,
        weight_bits: bits,
        ..QuantConfig::default()
    };
    let (q, acc) = quantize(&imported, &samples, &config)?;
    let rel = acc.iter().map(|a| a.mean_rel_error).fold(0.0, f64::max);
    let abs = acc.iter().map(|a| a.max_abs_error).fold(0.0, f64::max);
    let argmax = acc
        .iter()
        .filter_map(|a| a.argmax_agreement)
        .reduce(f64::min);
    let passes = acc.iter().all(|a| a.passes(0.01, 0.01));
    let provable = lucid_proof::compile::provable_graph(&q)
        .and_then(|g| Plan::new(&g, Visibility::Private))
        .map(|_| ())
        .map_err(|e| e.to_string());
    let (mut proved, mut zk) = (None, None);
    if prove && provable.is_ok() {
        let key = compile_key(
            &imported,
            &samples,
            q,
            &config,
            Visibility::Private,
            lucid_proof::ProofParams::default(),
        );
        match key {
            Ok(CompiledKey { pk, .. }) => {
                let inputs = pk.vk.tile_inputs(&imported.input_values(&samples[0])?)?;
                let plain = prove_and_verify(&pk, &inputs).map_err(|e| format!("{e:#}"));
                if plain.is_ok() {
                    zk = Some(prove_and_verify_zk(&pk, &inputs).map_err(|e| format!("{e:#}")));
                }
                proved = Some(plain);
            }
            Err(e) => proved = Some(Err(format!("{e:#}"))),
        }
    }
    Ok(Measured {
        rel,
        abs,
        argmax,
        passes,
        provable,
        proved,
        zk,
    })
}

/// Proves one inference plainly and verifies it (through its encoding): (prove ms, verify ms,
/// proof bytes).
fn prove_and_verify(pk: &ProverKey, inputs: &[lucid_model::tensor::Value]) -> Result<ProofFigures> {
    let t = Instant::now();
    let (proof, _) = lucid_proof::prove(pk, inputs, &mut ())?;
    let prove_ms = t.elapsed().as_secs_f64() * 1e3;
    let bytes = encode(PROOF_MAGIC, &proof)?;
    let proof: lucid_proof::Proof = decode(PROOF_MAGIC, &bytes)?;
    let t = Instant::now();
    lucid_proof::verify(&pk.vk, &proof)?;
    Ok((prove_ms, t.elapsed().as_secs_f64() * 1e3, bytes.len()))
}

/// The same in zero-knowledge mode; `None` when that mode refuses the model.
fn prove_and_verify_zk(
    pk: &ProverKey,
    inputs: &[lucid_model::tensor::Value],
) -> Result<Option<ProofFigures>> {
    let t = Instant::now();
    let proof = match lucid_proof::zk::prove(pk, inputs, &mut rand::rng()) {
        Ok((proof, _)) => proof,
        Err(ProofError::Unsupported { .. } | ProofError::TooSmallForZeroKnowledge { .. }) => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let prove_ms = t.elapsed().as_secs_f64() * 1e3;
    let bytes = encode(ZK_PROOF_MAGIC, &proof)?;
    let proof: lucid_proof::zk::ZkProof = decode(ZK_PROOF_MAGIC, &bytes)?;
    let t = Instant::now();
    lucid_proof::zk::verify(&pk.vk, &proof, None)?;
    Ok(Some((
        prove_ms,
        t.elapsed().as_secs_f64() * 1e3,
        bytes.len(),
    )))
}

/// Runs the suite under `root`; with `prove`, every provable model is also compiled, proved
/// and verified.
pub fn run(root: &Path, bits: u32, only: Option<&str>, prove: bool) -> Result<Vec<Row>> {
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .with_context(|| format!("cannot read the conformance suite at {}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("network.onnx").exists())
        .filter(|p| {
            only.is_none_or(|o| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(o))
            })
        })
        .collect();
    dirs.sort();
    println!(
        "{:<28} {:<6} {:>10} {:>11} {:>7}  proof plan / error",
        "model", "status", "rel err", "max abs", "argmax"
    );
    let mut rows = Vec::new();
    for dir in dirs {
        let model = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = catch_unwind(AssertUnwindSafe(|| one(&dir, bits, prove)))
            .unwrap_or_else(|_| Err(anyhow::anyhow!("internal error (panic)")));
        match &outcome {
            Ok(m) => println!(
                "{:<28} {:<6} {:>9.4}% {:>11.3e} {:>7}  {}",
                model,
                if m.passes { "ok" } else { "INACC" },
                m.rel * 100.0,
                m.abs,
                m.argmax
                    .map(|a| format!("{:.0}%", a * 100.0))
                    .unwrap_or_else(|| "-".into()),
                match (&m.provable, &m.proved) {
                    (Ok(()), None) => "provable".to_string(),
                    (Ok(()), Some(Ok((p, v, b)))) => format!(
                        "proved {p:.0} ms, verified {v:.1} ms, proof {:.1} KiB; {}",
                        *b as f64 / 1024.0,
                        match &m.zk {
                            Some(Ok(Some((p, _, b)))) =>
                                format!("zero knowledge {p:.0} ms, {:.1} KiB", *b as f64 / 1024.0),
                            Some(Ok(None)) => "zero knowledge: not supported yet".to_string(),
                            Some(Err(e)) => format!("ZK PROOF FAILED: {e}"),
                            None => String::new(),
                        }
                    ),
                    (Ok(()), Some(Err(e))) => format!("PROOF FAILED: {e}"),
                    (Err(e), _) => e.clone(),
                }
            ),
            Err(e) => println!(
                "{model:<28} {:<6} {}",
                "REFUSED",
                format!("{e:#}").replace('\n', " ")
            ),
        }
        rows.push(Row {
            model,
            result: outcome.map_err(|e| format!("{e:#}")),
        });
    }
    let passing: Vec<&Row> = rows
        .iter()
        .filter(|r| r.result.as_ref().is_ok_and(|m| m.passes))
        .collect();
    let provable = rows
        .iter()
        .filter(|r| r.result.as_ref().is_ok_and(|m| m.provable.is_ok()))
        .count();
    let proved = rows
        .iter()
        .filter(|r| {
            r.result
                .as_ref()
                .is_ok_and(|m| matches!(m.proved, Some(Ok(_))))
        })
        .count();
    if prove {
        let zk = rows
            .iter()
            .filter(|r| {
                r.result
                    .as_ref()
                    .is_ok_and(|m| matches!(m.zk, Some(Ok(Some(_)))))
            })
            .count();
        println!("{proved}/{provable} provable models proved and verified");
        println!("{zk}/{proved} proved models also proved and verified in zero knowledge");
    }
    println!(
        "\n{}/{} models run in integers within 1% relative (or 0.01 absolute) error with full argmax agreement; {provable} can be proved today",
        passing.len(),
        rows.len()
    );
    let failing: Vec<&str> = rows
        .iter()
        .filter(|r| !r.result.as_ref().is_ok_and(|m| m.passes))
        .map(|r| r.model.as_str())
        .collect();
    if !failing.is_empty() {
        println!("not passing: {}", failing.join(", "));
    }
    Ok(rows)
}
