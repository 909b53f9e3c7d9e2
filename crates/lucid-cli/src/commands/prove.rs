//! `lucid prove`: one inference of a compiled model, proved.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lucid_proof::graph::prover::ProveObserver;
use lucid_proof::zk::ZkProof;
use lucid_proof::{Proof, ProofError, ProverKey, WeightsData};

use crate::io;

/// A spinner that names the prover's current stage, and records when each stage started.
struct Spinner(ProgressBar, Vec<(String, Instant)>);

impl ProveObserver for Spinner {
    fn stage(&mut self, name: &str) {
        self.0.set_message(name.to_string());
        self.1.push((name.to_string(), Instant::now()));
    }
}

/// Time spent in each prover stage.
pub type StageTimes = Vec<(String, Duration)>;

/// Reads the stored weights codeword beside `artifact` (`model.weights`), if there is one,
/// decoding it as it is read ([`WeightsData::read`]: no buffer of the whole file).
/// A file that does not belong to the artifact or is damaged is an error naming it.
pub fn read_weights(pk: &ProverKey, artifact: &Path) -> Result<Option<WeightsData>> {
    let path = super::compile::weights_file(artifact);
    if !path.exists() {
        return Ok(None);
    }
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let data = WeightsData::read(pk, file).with_context(|| {
        format!(
            "{} is unusable (delete it to prove without it, or recompile the model)",
            path.display()
        )
    })?;
    Ok(Some(data))
}

/// The input file's values for `pk`'s graph, with the file named in errors.
fn input_values(pk: &ProverKey, input: &Path) -> Result<Vec<lucid_model::tensor::Value>> {
    let file = io::read_input(input)?;
    io::input_values(&pk.vk, &file).with_context(|| format!("input file {}", input.display()))
}

/// A steadily ticking spinner with the given template (hidden when `show` is false).
fn spinner(show: bool, template: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new_spinner();
    b.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    b.enable_steady_tick(Duration::from_millis(120));
    b
}

/// The time of each stage from the stages' start times and the end of the last one.
fn stage_times(starts: &[(String, Instant)], end: Instant) -> StageTimes {
    starts
        .iter()
        .enumerate()
        .map(|(i, (name, t))| {
            let next = starts.get(i + 1).map_or(end, |(_, n)| *n);
            (name.clone(), next.duration_since(*t))
        })
        .collect()
}

/// Proves `input` on `pk` without zero knowledge; returns the proof, the time taken and the time
/// of each stage. The weights are opened from `weights`, the stored weights codeword
/// ([`read_weights`]), when given, else committed again.
pub fn prove_with(
    pk: &ProverKey,
    input: &Path,
    weights: Option<WeightsData>,
    show_progress: bool,
) -> Result<(Proof, Duration, StageTimes)> {
    let values = input_values(pk, input)?;
    let start = Instant::now();
    let bar = spinner(show_progress, "{spinner} proving: {msg} [{elapsed}]");
    let mut spinner = Spinner(bar, Vec::new());
    let result = lucid_proof::prove_with_weights(pk, &values, weights, &mut spinner);
    let end = Instant::now();
    spinner.0.finish_and_clear();
    let (proof, _witness) = result?;
    Ok((proof, start.elapsed(), stage_times(&spinner.1, end)))
}

/// Proves `input` on `pk` in zero knowledge (the input and every activation hidden, the weights
/// bound to the key's commitment); returns the proof, the time taken and the time of each stage.
pub fn prove_zk(
    pk: &ProverKey,
    input: &Path,
    weights: Option<WeightsData>,
    show_progress: bool,
) -> Result<(ZkProof, Duration, StageTimes)> {
    let values = input_values(pk, input)?;
    let start = Instant::now();
    let bar = spinner(
        show_progress,
        "{spinner} proving in zero knowledge: {msg} [{elapsed}]",
    );
    let mut spinner = Spinner(bar, Vec::new());
    let result =
        lucid_proof::zk::prove_with_weights(pk, &values, weights, &mut rand::rng(), &mut spinner);
    let end = Instant::now();
    spinner.0.finish_and_clear();
    let (proof, _witness) = result.map_err(|e| match e {
        ProofError::Unsupported { .. } | ProofError::TooSmallForZeroKnowledge { .. } => {
            anyhow::Error::new(e).context(
                "cannot prove this model in zero knowledge yet; `--no-zk` proves it without zero \
             knowledge (the proof then reveals evaluations of the input and activations)",
            )
        }
        e => e.into(),
    })?;
    Ok((proof, start.elapsed(), stage_times(&spinner.1, end)))
}

/// Runs `lucid prove`; with `timings`, prints the time of each prover stage; with `zk` (the
/// command's default), proves in zero knowledge; with `json`, prints one JSON object (every
/// output value, the time, the proof's size and mode, the stage times) instead of text.
pub fn run(
    artifact: &Path,
    input: &Path,
    out: &Path,
    timings: bool,
    zk: bool,
    json: bool,
) -> Result<()> {
    let pk = io::read_prover_key(artifact)?;
    let load = Instant::now();
    let weights = read_weights(&pk, artifact)?;
    let load = load.elapsed();
    if weights.is_none() && pk.vk.weights.is_some() {
        eprintln!(
            "note: no stored weights codeword ({}); committing the weights again (slower; recompile to create it)",
            super::compile::weights_file(artifact).display()
        );
    }
    let mut stages: StageTimes = vec![("load weights".to_string(), load)];
    let (outputs, elapsed, size) = if zk {
        let (proof, elapsed, prover_stages) = prove_zk(&pk, input, weights, !json)?;
        stages.extend(prover_stages);
        let size = io::write_zk_proof(out, &proof)?;
        (proof.outputs, elapsed, size)
    } else {
        let (proof, elapsed, prover_stages) = prove_with(&pk, input, weights, !json)?;
        stages.extend(prover_stages);
        let size = io::write_proof(out, &proof)?;
        (proof.outputs, elapsed, size)
    };
    let outputs = io::dequantized_outputs(&pk.vk, &outputs)?;
    if json {
        let stage_s: serde_json::Map<String, serde_json::Value> = stages
            .iter()
            .map(|(name, d)| (name.clone(), d.as_secs_f64().into()))
            .collect();
        let report = serde_json::json!({
            "version": io::COMMAND_JSON_VERSION,
            "zero_knowledge": zk,
            "prove_s": elapsed.as_secs_f64(),
            "proof": out.display().to_string(),
            "proof_bytes": size,
            "stages_s": stage_s,
            "outputs": io::outputs_json(&outputs),
        });
        println!("{report}");
        return Ok(());
    }
    if timings {
        for (name, d) in &stages {
            println!("  {name:<18} {:>9.2} ms", d.as_secs_f64() * 1e3);
        }
    }
    println!("outputs:");
    for (name, v) in &outputs {
        println!("  {name}: {}", io::show_value(v));
    }
    println!(
        "proved{} in {:.3} s; proof {} ({:.1} KiB) written to {}",
        if zk {
            " in zero knowledge"
        } else {
            " (not zero-knowledge)"
        },
        elapsed.as_secs_f64(),
        size,
        size as f64 / 1024.0,
        out.display()
    );
    Ok(())
}
