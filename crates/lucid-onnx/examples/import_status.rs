//! Prints a markdown table of the import status of every model under a directory (default: the
//! conformance suite): lowered or refused (and why), IR size, IR operators used, and the largest
//! difference between the IR's float evaluation and tract's run on the shipped input.
//!
//! `cargo run -p lucid-onnx --example import_status [-- <models dir>]`

use lucid_model::input::InputFile;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/conformance/ezkl-examples")
        });
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable models directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("network.onnx").is_file())
        .collect();
    dirs.sort();
    println!("| model | status | IR nodes | IR ops | max err vs tract |");
    println!("|---|---|---|---|---|");
    let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
    for d in dirs {
        let name = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let input = InputFile::read(&d.join("input.json")).ok();
        let imported = match lucid_onnx::load(&d.join("network.onnx"), input.as_ref()) {
            Ok(i) => i,
            Err(e) => {
                println!("| {name} | refused: {e} | | | |");
                continue;
            }
        };
        let mut ops: BTreeMap<&'static str, usize> = BTreeMap::new();
        for n in &imported.graph.nodes {
            *ops.entry(n.op.name()).or_insert(0) += 1;
            *totals.entry(n.op.name()).or_insert(0) += 1;
        }
        let ops: Vec<String> = ops.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        let err = match input
            .as_ref()
            .map(|i| (imported.input_values(i), imported.reference(i)))
        {
            Some((Ok(values), Ok(reference))) => {
                match lucid_model::float_eval::run(&imported.graph, &values) {
                    Ok(all) => {
                        let mut worst = 0.0f64;
                        for (o, r) in imported.graph.outputs.iter().zip(&reference) {
                            for (a, b) in all[o.node.0].to_f64_vec().iter().zip(r.data()) {
                                let b = f64::from(*b);
                                worst = worst.max((a - b).abs() / b.abs().max(1.0));
                            }
                        }
                        format!("{worst:.1e}")
                    }
                    Err(e) => format!("IR eval failed: {e}"),
                }
            }
            Some((_, Err(e))) => format!("no tract reference: {e}"),
            Some((Err(e), _)) => format!("input: {e}"),
            None => "no input".into(),
        };
        println!(
            "| {name} | lowered | {} | {} | {err} |",
            imported.graph.nodes.len(),
            ops.join(" ")
        );
    }
    let totals: Vec<String> = totals.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    println!("\nIR operators over the suite: {}", totals.join(" "));
}
