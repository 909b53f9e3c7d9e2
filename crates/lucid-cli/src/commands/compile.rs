//! `lucid compile`: ONNX model → quantized graph → prover artifact and verifying key, with the
//! accuracy of the quantized model against tract's float run on the calibration samples.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lucid_model::accuracy::{TensorAccuracy, layer_accuracy, output_accuracy};
use lucid_model::input::InputFile;
use lucid_model::int_eval;
use lucid_model::ir::replicate::{replicate, stack, tile};
use lucid_model::quant::{QGraph, QuantConfig, quantize_with_inputs};
use lucid_model::tensor::Value;
use lucid_onnx::Imported;
use lucid_proof::zk::ZkPlan;
use lucid_proof::{ProofError, ProofParams, ProverKey, Visibility, WeightsData};

use crate::io;

/// Most calibration samples used for the accuracy report.
const ACCURACY_SAMPLES: usize = 16;

/// Options of `lucid compile`.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// The ONNX model.
    pub model: PathBuf,
    /// Output directory.
    pub out: PathBuf,
    /// Calibration file (samples concatenated per input); defaults to the input file.
    pub calibration: Option<PathBuf>,
    /// An input file (fixes symbolic dimensions; calibrates when no calibration file is given).
    pub input: Option<PathBuf>,
    /// Activation and weight bit width.
    pub bits: u32,
    /// Input visibility.
    pub input_visibility: Visibility,
    /// Also report the accuracy of every layer (on the first calibration sample).
    pub per_layer: bool,
}

/// What compiling produced.
#[derive(Debug)]
pub struct Compiled {
    /// The prover artifact.
    pub pk: ProverKey,
    /// The key digest.
    pub digest: String,
    /// Sizes of model.lucid and model.vk.
    pub sizes: (usize, usize),
}

/// The model's calibration samples as single-sample input files.
pub fn calibration_samples(imported: &Imported, file: &InputFile) -> Result<Vec<InputFile>> {
    let names: Vec<&str> = imported.inputs.iter().map(|i| i.name.as_str()).collect();
    let shapes: Vec<Vec<usize>> = imported.inputs.iter().map(|i| i.shape.clone()).collect();
    io::split_samples(file, &names, &shapes)
}

/// Quantizes an imported model on calibration samples and measures its accuracy against tract.
pub fn quantize(
    imported: &Imported,
    samples: &[InputFile],
    config: &QuantConfig,
) -> Result<(QGraph, Vec<TensorAccuracy>)> {
    let values: Vec<Vec<Value>> = samples
        .iter()
        .map(|s| imported.input_values(s))
        .collect::<Result<_, _>>()?;
    let q = quantize_with_inputs(&imported.graph, &values, config)?;
    let mut worst: Vec<TensorAccuracy> = Vec::new();
    for (s, v) in samples.iter().zip(&values).take(ACCURACY_SAMPLES) {
        let reference: Vec<Value> = imported.reference(s)?.into_iter().map(Value::F32).collect();
        let run = int_eval::run(&q, v)?;
        let acc = output_accuracy(&q, &reference, &run.outputs);
        if worst.is_empty() {
            worst = acc;
        } else {
            for (w, a) in worst.iter_mut().zip(acc) {
                w.max_abs_error = w.max_abs_error.max(a.max_abs_error);
                w.mean_abs_error = w.mean_abs_error.max(a.mean_abs_error);
                w.mean_rel_error = w.mean_rel_error.max(a.mean_rel_error);
                w.argmax_agreement = match (w.argmax_agreement, a.argmax_agreement) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
            }
        }
    }
    Ok((q, worst))
}

/// Whether a key is the model or stacked copies of it (see [`compile_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replication {
    /// Zero-knowledge mode proves the model itself (or refuses it for another reason).
    NotNeeded,
    /// The key is the model on this many stacked copies of its input.
    Replicated(usize),
    /// Zero-knowledge mode needs copies but the graph mixes them (why).
    Refused(String),
}

/// A compiled key and how it was made.
#[derive(Debug)]
pub struct CompiledKey {
    /// The prover artifact (its verifying key records the replicas).
    pub pk: ProverKey,
    /// The weights commitment's prover data.
    pub weights: Option<WeightsData>,
    /// Whether the key is stacked copies of the model.
    pub replication: Replication,
}

/// Most stacked copies tried for a model too small for zero-knowledge masks.
const MAX_REPLICAS: usize = 16;

/// Compiles the quantized model `q` into a key. When zero-knowledge mode refuses the key only
/// because its tensors are too small to hide, the model is compiled again as `k` stacked copies
/// of itself along axis 0 (`k` = 2, 4, …, 16, the fewest that zero-knowledge mode accepts):
/// [`replicate`] refuses graphs that mix the copies, the copies are quantized on the
/// calibration samples tiled `k` times (so with the model's own scales), and the copies'
/// integer run must equal the model's on every sample, copy by copy.
pub fn compile_key(
    imported: &Imported,
    samples: &[InputFile],
    q: QGraph,
    config: &QuantConfig,
    input_visibility: Visibility,
    params: ProofParams,
) -> Result<CompiledKey> {
    let (pk, weights) = lucid_proof::compile_with_weights(q.clone(), input_visibility, params)?;
    if !matches!(
        ZkPlan::new(&pk.vk),
        Err(ProofError::TooSmallForZeroKnowledge { .. })
    ) {
        return Ok(CompiledKey {
            pk,
            weights,
            replication: Replication::NotNeeded,
        });
    }
    let refused = |why: String, pk: ProverKey, weights: Option<WeightsData>| CompiledKey {
        pk,
        weights,
        replication: Replication::Refused(why),
    };
    let values: Vec<Vec<Value>> = samples
        .iter()
        .map(|s| imported.input_values(s))
        .collect::<Result<_, _>>()?;
    let mut copies = 2;
    while copies <= MAX_REPLICAS {
        let graph = match replicate(&imported.graph, copies) {
            Ok(g) => g,
            Err(e) => return Ok(refused(e.to_string(), pk, weights)),
        };
        let tiled: Vec<Vec<Value>> = values
            .iter()
            .map(|v| v.iter().map(|x| tile(x, copies)).collect::<Result<_, _>>())
            .collect::<Result<_, _>>()?;
        let qk = quantize_with_inputs(&graph, &tiled, config)?;
        check_copies(&q, &qk, &values, copies)?;
        let (pk_k, weights_k) =
            lucid_proof::compile_replicated_with_weights(qk, copies, input_visibility, params)?;
        match ZkPlan::new(&pk_k.vk) {
            Err(ProofError::TooSmallForZeroKnowledge { .. }) => copies *= 2,
            Ok(_) => {
                return Ok(CompiledKey {
                    pk: pk_k,
                    weights: weights_k,
                    replication: Replication::Replicated(copies),
                });
            }
            // Another refusal: the copies gain nothing; keep the model itself.
            Err(e) => return Ok(refused(e.to_string(), pk, weights)),
        }
    }
    Ok(refused(
        format!("{MAX_REPLICAS} copies are still too small"),
        pk,
        weights,
    ))
}

/// Checks that the integer run of `copies` (the model stacked `copies` times) is the model's
/// own run, copy by copy: copy `i` runs sample `i mod S` of the `S` calibration samples.
fn check_copies(
    model: &QGraph,
    copies_graph: &QGraph,
    samples: &[Vec<Value>],
    copies: usize,
) -> Result<()> {
    if samples.is_empty() {
        bail!("no calibration sample to check the stacked copies on");
    }
    let runs = samples
        .iter()
        .map(|s| int_eval::run(model, s).map(|w| w.outputs))
        .collect::<Result<Vec<_>, _>>()?;
    // The copies' inputs: copy i holds sample i mod S.
    let stacked: Vec<Value> = (0..model.inputs.len())
        .map(|k| {
            stack(
                &(0..copies)
                    .map(|i| &samples[i % samples.len()][k])
                    .collect::<Vec<_>>(),
            )
        })
        .collect::<Result<_, _>>()?;
    let out = int_eval::run(copies_graph, &stacked)?.outputs;
    for (k, o) in out.iter().enumerate() {
        let got = o.to_f64_vec();
        let block = got.len() / copies;
        for i in 0..copies {
            let want = runs[i % runs.len()][k].to_f64_vec();
            if want.len() != block || got[i * block..(i + 1) * block] != want[..] {
                bail!(
                    "the stacked copies of the model do not compute the model copy by copy (output {k}, copy {i})"
                );
            }
        }
    }
    Ok(())
}

/// Prints an accuracy table.
pub fn print_accuracy(acc: &[TensorAccuracy], samples: usize) {
    println!(
        "accuracy vs float (worst of {} sample(s)):",
        samples.min(ACCURACY_SAMPLES)
    );
    for a in acc {
        let argmax = a
            .argmax_agreement
            .map(|x| format!(", argmax agreement {:.1}%", 100.0 * x))
            .unwrap_or_default();
        println!(
            "  {:<20} max abs err {:.3e}, mean rel err {:.3}%{}",
            a.name,
            a.max_abs_error,
            100.0 * a.mean_rel_error,
            argmax
        );
    }
}

/// Prints the error of every IR node's dequantized integer value against its float value.
fn print_layer_accuracy(imported: &Imported, q: &QGraph, sample: &InputFile) -> Result<()> {
    let inputs = imported.input_values(sample)?;
    let float_values = lucid_model::float_eval::run(&imported.graph, &inputs)?;
    let witness = int_eval::run(q, &inputs)?;
    println!("per-layer accuracy vs float (first sample):");
    for a in layer_accuracy(&imported.graph, q, &float_values, &witness) {
        println!(
            "  {:<48} max abs err {:.3e}, mean rel err {:.3}%",
            a.name,
            a.max_abs_error,
            100.0 * a.mean_rel_error
        );
    }
    Ok(())
}

/// Runs `lucid compile`.
pub fn run(opts: &CompileOptions) -> Result<Compiled> {
    let start = Instant::now();
    let input = opts.input.as_deref().map(io::read_input).transpose()?;
    let calibration = opts
        .calibration
        .as_deref()
        .map(io::read_input)
        .transpose()?;
    let shapes_from = input.as_ref().or(calibration.as_ref());
    let imported = lucid_onnx::load(&opts.model, shapes_from)
        .with_context(|| format!("importing {}", opts.model.display()))?;
    let calib_file = calibration.as_ref().or(input.as_ref()).context(
        "no calibration data: give --calibration FILE.json or --input FILE.json (or put input.json beside the model)",
    )?;
    let samples = calibration_samples(&imported, calib_file)?;
    let config = QuantConfig {
        act_bits: opts.bits,
        weight_bits: opts.bits,
        ..QuantConfig::default()
    };
    let (q, accuracy) = quantize(&imported, &samples, &config)?;
    if opts.per_layer {
        print_layer_accuracy(&imported, &q, &samples[0])?;
    }
    let key = compile_key(
        &imported,
        &samples,
        q,
        &config,
        opts.input_visibility,
        ProofParams::default(),
    )?;
    let (pk, weights) = (key.pk, key.weights);
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create {}", opts.out.display()))?;
    let pk_size = io::write_prover_key(&opts.out.join("model.lucid"), &pk)?;
    let vk_size = io::write_verifying_key(&opts.out.join("model.vk"), &pk.vk)?;
    let weights_path = weights_file(&opts.out.join("model.lucid"));
    match &weights {
        Some(w) => io::write_bytes(&weights_path, &w.to_bytes(&pk.vk)?)?,
        // A stale file of an earlier compile would be refused anyway; remove it.
        None if weights_path.exists() => std::fs::remove_file(&weights_path)
            .with_context(|| format!("cannot remove {}", weights_path.display()))?,
        None => {}
    }
    let digest = pk.vk.digest_hex()?;
    tracing::info!(elapsed = ?start.elapsed(), "compiled");
    print_accuracy(&accuracy, samples.len());
    match &key.replication {
        Replication::NotNeeded => {}
        Replication::Replicated(k) => println!(
            "zero-knowledge mode: the model's tensors are too small for zero-knowledge masks, so \
             the key is the model on {k} stacked copies of its input (a proof shows {k} equal \
             copies of the output)"
        ),
        Replication::Refused(why) => println!(
            "zero-knowledge mode: the model's tensors are too small for zero-knowledge masks and \
             the model cannot be proved as stacked copies of itself ({why}); prove it with --no-zk"
        ),
    }
    if let Some(w) = &pk.vk.weights {
        let lens: Vec<usize> = w.table_lens().iter().map(|&l| l as usize).collect();
        let report = pk.vk.weights_scheme().security(&lens, lens.len())?;
        println!(
            "security: {:.1} bits per commitment opening (WHIR, conjectured capacity bound, {} grinding bits)",
            report.bits, report.max_pow_bits
        );
    }
    Ok(Compiled {
        pk,
        digest,
        sizes: (pk_size, vk_size),
    })
}

/// The stored weights codeword beside a prover artifact: `model.weights` next to
/// `model.lucid` (`lucid_proof::WeightsData`).
pub fn weights_file(artifact: &Path) -> PathBuf {
    artifact.with_extension("weights")
}

/// The default input file beside a model (`input.json` in the same folder), if any.
pub fn default_input(model: &Path) -> Option<PathBuf> {
    let p = model.parent()?.join("input.json");
    p.exists().then_some(p)
}
