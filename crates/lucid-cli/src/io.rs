//! Files the CLI reads and writes: artifacts, proofs, input and calibration files.

use std::path::Path;

use anyhow::{Context, Result, bail};
use lucid_model::input::{InputFile, InputSpec};
use lucid_model::quant::{QGraph, QKind};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::key::{PK_MAGIC, PROOF_MAGIC, VK_MAGIC, ZK_PROOF_MAGIC, decode, encode};
use lucid_proof::zk::ZkProof;
use lucid_proof::{Proof, ProverKey, VerifyingKey};

/// Reads a whole file, naming it in the error.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a whole file, naming it in the error.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a prover artifact (`model.lucid`).
pub fn read_prover_key(path: &Path) -> Result<ProverKey> {
    decode(PK_MAGIC, &read_bytes(path)?).with_context(|| format!("reading {}", path.display()))
}

/// Reads a verifying key (`model.vk`).
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey> {
    decode(VK_MAGIC, &read_bytes(path)?).with_context(|| format!("reading {}", path.display()))
}

/// A proof file of either mode.
pub enum AnyProof {
    Plain(Box<Proof>),
    ZeroKnowledge(Box<ZkProof>),
}

/// Reads a proof of either mode (told apart by the file's magic).
pub fn read_any_proof(path: &Path) -> Result<AnyProof> {
    let bytes = read_bytes(path)?;
    let what = || format!("reading {}", path.display());
    if bytes.starts_with(ZK_PROOF_MAGIC) {
        Ok(AnyProof::ZeroKnowledge(
            decode(ZK_PROOF_MAGIC, &bytes).with_context(what)?,
        ))
    } else {
        Ok(AnyProof::Plain(
            decode(PROOF_MAGIC, &bytes).with_context(what)?,
        ))
    }
}

/// Writes a zero-knowledge proof, returning its size.
pub fn write_zk_proof(path: &Path, proof: &ZkProof) -> Result<usize> {
    let bytes = encode(ZK_PROOF_MAGIC, proof)?;
    write_bytes(path, &bytes)?;
    Ok(bytes.len())
}

/// Writes a prover artifact, returning its size.
pub fn write_prover_key(path: &Path, pk: &ProverKey) -> Result<usize> {
    let bytes = encode(PK_MAGIC, pk)?;
    write_bytes(path, &bytes)?;
    Ok(bytes.len())
}

/// Writes a verifying key, returning its size.
pub fn write_verifying_key(path: &Path, vk: &VerifyingKey) -> Result<usize> {
    let bytes = encode(VK_MAGIC, vk)?;
    write_bytes(path, &bytes)?;
    Ok(bytes.len())
}

/// Writes a proof, returning its size.
pub fn write_proof(path: &Path, proof: &Proof) -> Result<usize> {
    let bytes = encode(PROOF_MAGIC, proof)?;
    write_bytes(path, &bytes)?;
    Ok(bytes.len())
}

/// Reads an input file.
pub fn read_input(path: &Path) -> Result<InputFile> {
    InputFile::read(path).map_err(anyhow::Error::from)
}

/// The values of an input file for a quantized graph's inputs (shapes from the graph).
pub fn input_values(graph: &QGraph, file: &InputFile) -> Result<Vec<Value>> {
    let specs: Vec<InputSpec<'_>> = graph
        .inputs
        .iter()
        .map(|i| InputSpec {
            name: &i.name,
            shape: &i.shape,
        })
        .collect();
    let lists = file.bind(&specs)?;
    graph
        .inputs
        .iter()
        .zip(lists)
        .map(|(i, list)| {
            let shape = i.shape.clone();
            Ok(match i.kind {
                QKind::Fixed => Value::F32(Tensor::new(
                    shape,
                    list.iter().map(|&v| v as f32).collect(),
                )?),
                QKind::Int => {
                    if let Some(v) = list.iter().find(|v| v.fract() != 0.0 || !v.is_finite()) {
                        bail!("input '{}' is integer-valued, got {v}", i.name);
                    }
                    Value::I64(Tensor::new(
                        shape,
                        list.iter().map(|&v| v as i64).collect(),
                    )?)
                }
                QKind::Bool => Value::Bool(Tensor::new(
                    shape,
                    list.iter().map(|&v| v != 0.0).collect(),
                )?),
            })
        })
        .collect()
}

/// Splits a calibration file (per input one flat list holding `k` samples back to back) into
/// `k` single-sample input files. `sizes[i]` is input `i`'s number of elements, `names[i]` its
/// name.
pub fn split_samples(file: &InputFile, names: &[&str], sizes: &[usize]) -> Result<Vec<InputFile>> {
    let lists = file.assign(names)?;
    let mut count = None;
    for ((&li, &size), name) in lists.iter().zip(sizes).zip(names) {
        let len = file.data[li].len();
        if size == 0 || len == 0 || !len.is_multiple_of(size) {
            bail!(
                "calibration list for input '{name}' has {len} values, not a positive multiple of the input's {size} elements"
            );
        }
        let k = len / size;
        if *count.get_or_insert(k) != k {
            bail!(
                "calibration lists hold different numbers of samples ({} and {k})",
                count.unwrap_or(0)
            );
        }
    }
    let k = count.unwrap_or(1);
    Ok((0..k)
        .map(|s| InputFile {
            data: lists
                .iter()
                .zip(sizes)
                .map(|(&li, &size)| file.data[li][s * size..(s + 1) * size].to_vec())
                .collect(),
            boolean: lists
                .iter()
                .map(|&li| file.boolean.get(li).copied().unwrap_or(false))
                .collect(),
            shapes: None,
        })
        .collect())
}

/// Dequantized outputs of a proof, for printing.
pub fn dequantized_outputs(graph: &QGraph, outputs: &[Tensor<i64>]) -> Vec<(String, Value)> {
    graph
        .outputs
        .iter()
        .zip(outputs)
        .map(|(o, t)| (o.name.clone(), graph.dequantize(o.node, t)))
        .collect()
}

/// Version of the JSON objects `lucid prove --json` and `lucid verify --json` print.
pub const COMMAND_JSON_VERSION: u32 = 1;

/// Outputs as JSON: `[{"name", "shape", "values"}]`, every value (dequantized) in row-major
/// order.
pub fn outputs_json(outputs: &[(String, Value)]) -> serde_json::Value {
    outputs
        .iter()
        .map(|(name, v)| {
            serde_json::json!({
                "name": name,
                "shape": v.shape(),
                "values": v.to_f64_vec(),
            })
        })
        .collect()
}

/// A short rendering of a value: its shape and up to 10 entries.
pub fn show_value(v: &Value) -> String {
    let vals = v.to_f64_vec();
    let shown: Vec<String> = vals.iter().take(10).map(|x| format!("{x:.4}")).collect();
    let more = if vals.len() > 10 {
        format!(", … ({} values)", vals.len())
    } else {
        String::new()
    };
    format!("{:?} [{}{}]", v.shape(), shown.join(", "), more)
}
