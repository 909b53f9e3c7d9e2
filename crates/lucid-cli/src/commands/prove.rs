//! `lucid prove`: one inference of a compiled model, proved.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lucid_proof::graph::prover::ProveObserver;
use lucid_proof::{Proof, ProverKey};

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

/// Proves `input` on `pk`; returns the proof, the time taken and the time of each stage.
pub fn prove(
    pk: &ProverKey,
    input: &Path,
    show_progress: bool,
) -> Result<(Proof, Duration, StageTimes)> {
    let file = io::read_input(input)?;
    let values = io::input_values(&pk.graph, &file)
        .with_context(|| format!("input file {}", input.display()))?;
    let start = Instant::now();
    let bar = if show_progress {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} proving: {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        // Only shown once proving takes longer than a second.
        b.enable_steady_tick(Duration::from_millis(120));
        b
    } else {
        ProgressBar::hidden()
    };
    let mut spinner = Spinner(bar, Vec::new());
    let result = lucid_proof::prove(pk, &values, &mut spinner);
    let end = Instant::now();
    spinner.0.finish_and_clear();
    let (proof, _witness) = result?;
    let starts = &spinner.1;
    let stages = starts
        .iter()
        .enumerate()
        .map(|(i, (name, t))| {
            let next = starts.get(i + 1).map_or(end, |(_, n)| *n);
            (name.clone(), next.duration_since(*t))
        })
        .collect();
    Ok((proof, start.elapsed(), stages))
}

/// Runs `lucid prove`; with `timings`, prints the time of each prover stage.
pub fn run(artifact: &Path, input: &Path, out: &Path, timings: bool) -> Result<()> {
    let pk = io::read_prover_key(artifact)?;
    let (proof, elapsed, stages) = prove(&pk, input, true)?;
    if timings {
        for (name, d) in &stages {
            println!("  {name:<18} {:>9.2} ms", d.as_secs_f64() * 1e3);
        }
    }
    let size = io::write_proof(out, &proof)?;
    println!("outputs:");
    for (name, v) in io::dequantized_outputs(&pk.graph, &proof.outputs) {
        println!("  {name}: {}", io::show_value(&v));
    }
    println!(
        "proved in {:.3} s; proof {} ({:.1} KiB) written to {}",
        elapsed.as_secs_f64(),
        size,
        size as f64 / 1024.0,
        out.display()
    );
    Ok(())
}
