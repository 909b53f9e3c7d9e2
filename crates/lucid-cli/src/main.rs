//! The `lucid` command-line tool: compile an ONNX model, prove an inference, verify a proof,
//! inspect models, run the conformance suite and the demo.

mod commands;
mod io;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use lucid_proof::Visibility;
use tracing_subscriber::EnvFilter;

/// mimalloc keeps freed memory for reuse instead of returning it to the kernel: the prover
/// allocates and drops tables of megabytes per stage, and with the system allocator their
/// page faults and TLB shootdowns (across rayon's threads) cost a sizeable share of the proof.
/// Version 2 of mimalloc (the `v2` feature): as fast as v3 on every benchmark model, with
/// 10–30 % less peak memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Zero-knowledge proofs of machine-learning inference.
#[derive(Debug, Parser)]
#[command(name = "lucid", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum VisibilityArg {
    Public,
    Private,
}

impl From<VisibilityArg> for Visibility {
    fn from(v: VisibilityArg) -> Self {
        match v {
            VisibilityArg::Public => Visibility::Public,
            VisibilityArg::Private => Visibility::Private,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile an ONNX model: writes DIR/model.lucid (prover artifact) and DIR/model.vk.
    Compile {
        /// The ONNX model.
        model: PathBuf,
        /// Output directory.
        #[arg(short, long)]
        out: PathBuf,
        /// Calibration data: EZKL-style input file, samples concatenated per input.
        #[arg(long)]
        calibration: Option<PathBuf>,
        /// An input file (fixes symbolic dimensions; calibration when --calibration is absent).
        /// Defaults to input.json beside the model.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Bit width of activations and weights.
        #[arg(long, default_value_t = 16)]
        bits: u32,
        /// Whether the input is part of the public statement.
        #[arg(long, value_enum, default_value_t = VisibilityArg::Private)]
        input_visibility: VisibilityArg,
        /// Also report the accuracy of every layer.
        #[arg(long)]
        per_layer: bool,
    },
    /// Prove one inference: writes the proof and prints the outputs.
    Prove {
        /// The prover artifact (DIR/model.lucid).
        artifact: PathBuf,
        /// The input file (EZKL-style input.json).
        input: PathBuf,
        /// Where to write the proof.
        #[arg(short, long)]
        out: PathBuf,
        /// Print the time of each prover stage.
        #[arg(long)]
        timings: bool,
        /// Prove without zero knowledge, for fully public use cases: faster and smaller, but the
        /// proof reveals evaluations of the input and of every activation at random points. By
        /// default proofs are zero-knowledge: the input and every activation stay hidden, the
        /// weights are bound to the key's commitment (see docs/ZK.md); a model with an operator
        /// zero-knowledge mode does not support yet is refused by node name.
        #[arg(long)]
        no_zk: bool,
        /// Prove in zero knowledge (the default; kept for scripts that ask for it explicitly).
        #[arg(long, hide = true, conflicts_with = "no_zk")]
        zk: bool,
        /// Print one JSON object instead of text: every output value, the time, the proof's
        /// size and mode (docs/FORMATS.md, "Command output").
        #[arg(long)]
        json: bool,
    },
    /// Verify a proof: prints `verified` and the public outputs, or why not (exit code 1).
    Verify {
        /// The verifying key (DIR/model.vk).
        vk: PathBuf,
        /// The proof.
        proof: PathBuf,
        /// Check that the proof's public input is this input file's.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Print one JSON object instead of text: whether the proof verified (or why not), the
        /// time and every public output value (docs/FORMATS.md, "Command output").
        #[arg(long)]
        json: bool,
    },
    /// List a model's operators, shapes, parameter and MAC counts and unsupported nodes.
    Inspect {
        /// An ONNX model or a compiled DIR/model.lucid.
        model: PathBuf,
        /// An input file to fix symbolic dimensions.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Also list every node.
        #[arg(long)]
        nodes: bool,
    },
    /// Compile, prove and verify the shipped demo model, timing each step.
    Demo {
        /// Working directory (default: a fresh temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Prove without zero knowledge (see `lucid prove --no-zk`).
        #[arg(long)]
        no_zk: bool,
    },
    /// Run the conformance suite: import, quantize, integer run and accuracy per model.
    Conformance {
        /// The suite's folder (one sub-folder per model with network.onnx and input.json).
        #[arg(default_value = "../shared/conformance/ezkl-examples")]
        dir: PathBuf,
        /// Bit width of activations and weights.
        #[arg(long, default_value_t = 16)]
        bits: u32,
        /// Only models whose folder name contains this.
        #[arg(long)]
        only: Option<String>,
        /// Also compile, prove and verify every model the prover supports.
        #[arg(long)]
        prove: bool,
    },
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Compile {
            model,
            out,
            calibration,
            input,
            bits,
            input_visibility,
            per_layer,
        } => {
            let input = input.or_else(|| commands::compile::default_input(&model));
            let c = commands::compile::run(&commands::compile::CompileOptions {
                model,
                out: out.clone(),
                calibration,
                input,
                bits,
                input_visibility: input_visibility.into(),
                per_layer,
            })?;
            println!("model digest {}", c.digest);
            println!(
                "wrote {} ({} B) and {} ({} B)",
                out.join("model.lucid").display(),
                c.sizes.0,
                out.join("model.vk").display(),
                c.sizes.1
            );
            Ok(())
        }
        Command::Prove {
            artifact,
            input,
            out,
            timings,
            no_zk,
            zk: _,
            json,
        } => commands::prove::run(&artifact, &input, &out, timings, !no_zk, json),
        Command::Verify {
            vk,
            proof,
            input,
            json,
        } => commands::verify::run(&vk, &proof, input.as_deref(), json),
        Command::Inspect {
            model,
            input,
            nodes,
        } => commands::inspect::run(&model, input.as_deref(), nodes),
        Command::Demo { dir, no_zk } => commands::demo::run(dir, !no_zk),
        Command::Conformance {
            dir,
            bits,
            only,
            prove,
        } => commands::conformance::run(&dir, bits, only.as_deref(), prove).map(|_| ()),
    }
}

/// Output piped into a program that stopped reading (`lucid … | head`) ends the process
/// quietly, as other command-line tools do, instead of reporting a panic.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("LUCID_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // With `LUCID_LOG=info` (or finer), every prover span reports its time when it closes.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
