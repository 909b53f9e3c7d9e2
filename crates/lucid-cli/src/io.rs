//! Files the CLI reads and writes: artifacts, proofs, input and calibration files.

use std::path::Path;

use anyhow::{Context, Result, bail};
use lucid_model::input::{InputFile, InputSpec};
use lucid_model::quant::QKind;
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

/// The values of an input file for a key's graph inputs: the model's inputs (shapes from the
/// graph, axis 0 divided by the key's replicas), tiled as the key's graph takes them
/// ([`VerifyingKey::tile_inputs`]).
pub fn input_values(vk: &VerifyingKey, file: &InputFile) -> Result<Vec<Value>> {
    let graph = &vk.graph;
    let shapes: Vec<Vec<usize>> = graph
        .inputs
        .iter()
        .map(|i| {
            let mut s = i.shape.clone();
            if let Some(d) = s.first_mut() {
                *d /= vk.replicas.max(1);
            }
            s
        })
        .collect();
    let specs: Vec<InputSpec<'_>> = graph
        .inputs
        .iter()
        .zip(&shapes)
        .map(|(i, shape)| InputSpec {
            name: &i.name,
            shape,
        })
        .collect();
    let lists = file.bind(&specs)?;
    let values = graph
        .inputs
        .iter()
        .zip(lists)
        .zip(shapes)
        .map(|((i, list), shape)| {
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
        .collect::<Result<Vec<Value>>>()?;
    Ok(vk.tile_inputs(&values)?)
}

/// Splits a calibration file (per input one flat list holding `k` samples back to back) into
/// `k` single-sample input files. `shapes[i]` is input `i`'s shape, `names[i]` its name.
///
/// A model compiled for a batch (its leading dimension `B > 1`, e.g. a symbolic batch fixed by
/// the input file) may be calibrated with single examples: a list whose length is a multiple
/// of one example (the input's size divided by `B`) but not of the whole batch is grouped into
/// batches of `B` examples, the last one filled by repeating examples from the start (the
/// quantizer's ranges depend only on the set of examples).
pub fn split_samples(
    file: &InputFile,
    names: &[&str],
    shapes: &[Vec<usize>],
) -> Result<Vec<InputFile>> {
    let lists = file.assign(names)?;
    let mut count = None;
    let mut data: Vec<Vec<f64>> = Vec::with_capacity(lists.len());
    for ((&li, shape), name) in lists.iter().zip(shapes).zip(names) {
        let size: usize = shape.iter().product();
        let list = &file.data[li];
        let len = list.len();
        let batch = shape.first().copied().unwrap_or(1);
        let example = if batch > 1 { size / batch } else { size };
        let k = if size > 0 && len > 0 && len.is_multiple_of(size) {
            data.push(list.clone());
            len / size
        } else if batch > 1 && example > 0 && len > 0 && len.is_multiple_of(example) {
            let examples = len / example;
            let k = examples.div_ceil(batch);
            let filled: Vec<f64> = list.iter().copied().cycle().take(k * size).collect();
            eprintln!(
                "note: calibration for input '{name}': {examples} examples of {example} values grouped into {k} batch(es) of {batch}{}",
                if examples.is_multiple_of(batch) {
                    String::new()
                } else {
                    " (the last one completed by repeating examples)".to_string()
                }
            );
            data.push(filled);
            k
        } else {
            bail!(
                "calibration list for input '{name}' has {len} values, not a positive multiple of the input's {size} elements{}",
                if batch > 1 {
                    format!(" (nor of one example's {example} values in a batch of {batch})")
                } else {
                    String::new()
                }
            );
        };
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
            data: data
                .iter()
                .zip(shapes)
                .map(|(list, shape)| {
                    let size: usize = shape.iter().product();
                    list[s * size..(s + 1) * size].to_vec()
                })
                .collect(),
            boolean: lists
                .iter()
                .map(|&li| file.boolean.get(li).copied().unwrap_or(false))
                .collect(),
            shapes: None,
        })
        .collect())
}

/// Dequantized outputs of a proof — the model's, one of the key's replicas — for printing.
pub fn dequantized_outputs(
    vk: &VerifyingKey,
    outputs: &[Tensor<i64>],
) -> Result<Vec<(String, Value)>> {
    let graph = &vk.graph;
    let outputs = vk.first_copy(outputs)?;
    Ok(graph
        .outputs
        .iter()
        .zip(&outputs)
        .map(|(o, t)| (o.name.clone(), graph.dequantize(o.node, t)))
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(values: usize) -> InputFile {
        InputFile {
            data: vec![(0..values).map(|v| v as f64).collect()],
            boolean: vec![false],
            shapes: None,
        }
    }

    fn split(values: usize, shape: &[usize]) -> Result<Vec<Vec<f64>>> {
        let samples = split_samples(&file(values), &["input"], &[shape.to_vec()])?;
        Ok(samples.into_iter().map(|s| s.data[0].clone()).collect())
    }

    #[test]
    fn calibration_splits_into_whole_samples() {
        let s = split(6, &[1, 3]).expect("two samples");
        assert_eq!(s, vec![vec![0.0, 1.0, 2.0], vec![3.0, 4.0, 5.0]]);
        assert!(split(7, &[1, 3]).is_err(), "a partial sample");
        assert!(split(0, &[1, 3]).is_err(), "no sample");
    }

    #[test]
    fn single_examples_fill_batches() {
        // A batch of 4 examples of 2 values: 3 examples make one batch, the first repeated.
        let s = split(6, &[4, 2]).expect("one batch");
        assert_eq!(s, vec![vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 1.0]]);
        // Whole batches are kept as they are.
        let s = split(16, &[4, 2]).expect("two batches");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1], (8..16).map(|v| v as f64).collect::<Vec<_>>());
        // 5 examples: two batches, the second completed from the start.
        let s = split(10, &[4, 2]).expect("two batches");
        assert_eq!(s[1], vec![8.0, 9.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        // Not a whole number of examples: refused, naming both sizes.
        let e = split(7, &[4, 2]).expect_err("partial example");
        assert!(e.to_string().contains("one example's 2 values"), "{e}");
    }
}
