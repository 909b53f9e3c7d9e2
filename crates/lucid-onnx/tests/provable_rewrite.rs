//! The provable rewrite (`lucid_model::quant::provable::rewrite`) on every conformance model:
//! each model is imported, quantized on its shipped input (split into samples), rewritten, and
//! the integer runs of the original and rewritten graphs must agree exactly on the shipped input
//! and on two perturbed inputs. Prints which models the prover can plan before and after.

use lucid_model::input::InputFile;
use lucid_model::int_eval;
use lucid_model::quant::provable::rewrite;
use lucid_model::quant::{QuantConfig, quantize_with_inputs};
use lucid_model::tensor::Value;
use lucid_proof::Visibility;
use lucid_proof::graph::plan::Plan;

mod common;
use common::models;

/// The samples of an input file whose lists may hold several samples concatenated.
fn samples(imported: &lucid_onnx::Imported, file: &InputFile) -> Option<Vec<InputFile>> {
    let names: Vec<&str> = imported.inputs.iter().map(|i| i.name.as_str()).collect();
    let sizes: Vec<usize> = imported
        .inputs
        .iter()
        .map(|i| i.shape.iter().product())
        .collect();
    let lists = file.assign(&names).ok()?;
    let mut count = None;
    for (&li, &size) in lists.iter().zip(&sizes) {
        let len = file.data[li].len();
        if size == 0 || len == 0 || !len.is_multiple_of(size) {
            return None;
        }
        if *count.get_or_insert(len / size) != len / size {
            return None;
        }
    }
    let k = count.unwrap_or(1);
    Some(
        (0..k)
            .map(|s| InputFile {
                data: lists
                    .iter()
                    .zip(&sizes)
                    .map(|(&li, &size)| file.data[li][s * size..(s + 1) * size].to_vec())
                    .collect(),
                boolean: lists
                    .iter()
                    .map(|&li| file.boolean.get(li).copied().unwrap_or(false))
                    .collect(),
                shapes: None,
            })
            .collect(),
    )
}

/// The shipped input with its float inputs perturbed (integer and boolean inputs unchanged).
fn perturbed(imported: &lucid_onnx::Imported, file: &InputFile, seed: u64) -> Option<Vec<Value>> {
    let lists = lucid_onnx::front::input_tensors(&imported.inputs, file).ok()?;
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let lists: Vec<(Vec<usize>, Vec<f64>)> = imported
        .inputs
        .iter()
        .zip(lists)
        .map(|(i, (shape, values))| {
            let values = values
                .iter()
                .map(|v| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    let u = (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                    if i.datum_type.is_float() {
                        v * (1.0 + 0.5 * u) + 0.25 * u
                    } else {
                        *v
                    }
                })
                .collect();
            (shape, values)
        })
        .collect();
    imported.values_on(&lists).ok()
}

#[test]
fn rewrite_preserves_every_conformance_model() {
    let mut report = String::new();
    let mut failures = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for dir in models() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let Ok(input) = InputFile::read(&dir.join("input.json")) else {
            report.push_str(&format!("{name}: input.json unreadable\n"));
            continue;
        };
        let Ok(imported) = lucid_onnx::load(&dir.join("network.onnx"), Some(&input)) else {
            report.push_str(&format!("{name}: not imported\n"));
            continue;
        };
        let Some(calib) = samples(&imported, &input) else {
            report.push_str(&format!("{name}: input lists do not split into samples\n"));
            continue;
        };
        let Ok(values) = calib
            .iter()
            .map(|s| imported.input_values(s))
            .collect::<Result<Vec<_>, _>>()
        else {
            report.push_str(&format!("{name}: input values unavailable\n"));
            continue;
        };
        let q = match quantize_with_inputs(&imported.graph, &values, &QuantConfig::default()) {
            Ok(q) => q,
            Err(e) => {
                report.push_str(&format!("{name}: not quantized: {e}\n"));
                continue;
            }
        };
        let r = match rewrite(&q) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: rewrite failed: {e}"));
                continue;
            }
        };
        let mut tests = vec![values[0].clone()];
        tests.extend((1..3).filter_map(|k| perturbed(&imported, &calib[0], k)));
        for (k, t) in tests.iter().enumerate() {
            let Ok(a) = int_eval::run(&q, t) else {
                continue;
            };
            match int_eval::run(&r, t) {
                Ok(b) if a.outputs == b.outputs => {}
                Ok(_) => failures.push(format!("{name}: outputs differ on input {k}")),
                Err(e) => failures.push(format!("{name}: rewritten run failed on input {k}: {e}")),
            }
        }
        let plan_q = Plan::new(&q, Visibility::Private);
        let plan_r = Plan::new(&r, Visibility::Private);
        if plan_q.is_ok() {
            before.push(name.clone());
        }
        if plan_r.is_ok() {
            after.push(name.clone());
        }
        report.push_str(&format!(
            "{name}: {} -> {} nodes, plannable before: {}, after: {}\n",
            q.nodes.len(),
            r.nodes.len(),
            plan_q.is_ok(),
            match &plan_r {
                Ok(_) => "yes".to_string(),
                Err(e) => format!("no ({e})"),
            }
        ));
    }
    eprintln!("{report}");
    eprintln!(
        "plannable before the rewrite: {} {:?}\nplannable after the rewrite: {} {:?}",
        before.len(),
        before,
        after.len(),
        after
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        before.iter().all(|m| after.contains(m)),
        "the rewrite made a plannable model unplannable"
    );
}
