//! `lucid prove`: one inference of a compiled model, proved.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lucid_proof::graph::prover::ProveObserver;
use lucid_proof::{Proof, ProverKey};

use crate::io;

/// A spinner that names the prover's current stage.
struct Spinner(ProgressBar);

impl ProveObserver for Spinner {
    fn stage(&mut self, name: &str) {
        self.0.set_message(name.to_string());
    }
}

/// Proves `input` on `pk`; returns the proof and the time taken.
pub fn prove(pk: &ProverKey, input: &Path, show_progress: bool) -> Result<(Proof, Duration)> {
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
    let mut spinner = Spinner(bar);
    let result = lucid_proof::prove(pk, &values, &mut spinner);
    spinner.0.finish_and_clear();
    let (proof, _witness) = result?;
    Ok((proof, start.elapsed()))
}

/// Runs `lucid prove`.
pub fn run(artifact: &Path, input: &Path, out: &Path) -> Result<()> {
    let pk = io::read_prover_key(artifact)?;
    let (proof, elapsed) = prove(&pk, input, true)?;
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
