//! The conformance suite (the EZKL example models): every model is imported, its IR graph is
//! evaluated with `lucid_model::float_eval` on the shipped input, and the outputs are compared
//! with tract's own float run. This proves the lowering preserves the model's meaning.

use lucid_model::input::InputFile;
use lucid_model::ir::Value;

/// Models refused on purpose, with the reason (the error must name node and op).
const EXPECTED_UNSUPPORTED: &[&str] = &[];

mod common;
use common::{models, suite_dir};

/// Largest error `|ir - tract| / max(1, |tract|)` over all outputs.
fn max_error(ir: &[Value], tract: &[lucid_model::tensor::Tensor<f32>]) -> Result<f64, String> {
    if ir.len() != tract.len() {
        return Err(format!(
            "{} IR outputs, {} tract outputs",
            ir.len(),
            tract.len()
        ));
    }
    let mut worst = 0.0f64;
    for (k, (a, b)) in ir.iter().zip(tract).enumerate() {
        if a.shape() != b.shape() {
            return Err(format!(
                "output {k}: IR shape {:?}, tract {:?}",
                a.shape(),
                b.shape()
            ));
        }
        for (x, y) in a.to_f64_vec().iter().zip(b.data()) {
            let y = f64::from(*y);
            let e = if x.is_nan() && y.is_nan() {
                0.0
            } else {
                (x - y).abs() / y.abs().max(1.0)
            };
            if e.is_nan() {
                return Err(format!("output {k}: NaN mismatch"));
            }
            worst = worst.max(e);
        }
    }
    Ok(worst)
}

#[test]
fn every_conformance_model_lowers_and_matches_tract() {
    let mut lowered = 0;
    let mut failures = Vec::new();
    let mut report = String::new();
    for dir in models() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let input = InputFile::read(&dir.join("input.json")).expect("input.json parses");
        let result = lucid_onnx::load(&dir.join("network.onnx"), Some(&input));
        let imported = match result {
            Ok(i) => i,
            Err(e) => {
                report.push_str(&format!("{name}: NOT LOWERED: {e}\n"));
                if !EXPECTED_UNSUPPORTED.contains(&name.as_str()) {
                    failures.push(format!("{name}: {e}"));
                }
                continue;
            }
        };
        lowered += 1;
        let values = imported.input_values(&input).expect("input values");
        // (`run` + indexing rather than `run_outputs`, which hands out a node's value once even
        // when two outputs share it, as rnn's do.)
        let ir = lucid_model::float_eval::run(&imported.graph, &values).map(|all| {
            imported
                .graph
                .outputs
                .iter()
                .map(|o| all[o.node.0].clone())
                .collect::<Vec<_>>()
        });
        let reference = imported.reference(&input);
        match (ir, reference) {
            (Ok(ir), Ok(reference)) => match max_error(&ir, &reference) {
                Ok(e) => {
                    report.push_str(&format!(
                        "{name}: lowered, {} nodes, max err {e:.2e}\n",
                        imported.graph.nodes.len()
                    ));
                    if e > 1e-4 {
                        failures.push(format!("{name}: IR differs from tract by {e:.3e}"));
                    }
                }
                Err(e) => failures.push(format!("{name}: {e}")),
            },
            (Err(e), _) => failures.push(format!("{name}: IR evaluation failed: {e}")),
            (_, Err(e)) => {
                report.push_str(&format!("{name}: lowered, tract reference failed: {e}\n"));
                continue;
            }
        }
        // The shipped inputs are weak for several models (constant outputs): also compare on
        // pseudo-random inputs (floats in [-2, 2] (trig: [-0.5, 0.5]), booleans at random; integer inputs, which are
        // indices or token ids, keep their shipped values).
        let shipped = lucid_onnx::front::input_tensors(&imported.inputs, &input).expect("bound");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        // trig chains softplus, cos, sin, tan into acos: beyond ±0.5 the acos argument leaves
        // [-1, 1] and the NaN is then squashed differently by tract's tanh kernel.
        let half_range = if name == "trig" { 0.5 } else { 2.0 };
        let random: Vec<(Vec<usize>, Vec<f64>)> = imported
            .inputs
            .iter()
            .zip(shipped)
            .map(|(i, (shape, values))| {
                let dt = i.datum_type;
                let values = values
                    .iter()
                    .map(|v| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        let u = (seed >> 11) as f64 / (1u64 << 53) as f64;
                        if dt.is_float() {
                            half_range * (2.0 * u - 1.0)
                        } else if dt == tract_onnx::prelude::DatumType::Bool {
                            f64::from(u8::from(u < 0.5))
                        } else {
                            *v
                        }
                    })
                    .collect();
                (shape, values)
            })
            .collect();
        let values = imported.values_on(&random).expect("random values");
        let ir = lucid_model::float_eval::run(&imported.graph, &values).map(|all| {
            imported
                .graph
                .outputs
                .iter()
                .map(|o| all[o.node.0].clone())
                .collect::<Vec<_>>()
        });
        match (ir, imported.reference_on(&random)) {
            (Ok(ir), Ok(reference)) => match max_error(&ir, &reference) {
                Ok(e) => {
                    report.push_str(&format!("    random input: max err {e:.2e}\n"));
                    if e > 1e-4 {
                        failures.push(format!("{name}: on random input IR differs by {e:.3e}"));
                    }
                }
                Err(e) => failures.push(format!("{name} (random input): {e}")),
            },
            (Err(e), _) => {
                failures.push(format!("{name}: IR evaluation failed on random input: {e}"))
            }
            (_, Err(e)) => failures.push(format!("{name}: tract failed on random input: {e}")),
        }
    }
    println!("{report}");
    println!("lowered {lowered} models");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// tract cannot run `boolean` (its `Equal` rejects booleans), so the IR is checked against the
/// model's formula, read from the ONNX graph:
/// `y = (input1 ∧ input2) == (input1 ∧ (input2 ∨ (input3 ⊕ input)))`.
/// This also checks that inputs are bound by name: tract orders this model's sources
/// differently from the ONNX inputs.
#[test]
fn boolean_model_matches_its_formula() {
    let dir = suite_dir().join("boolean");
    let input = InputFile::read(&dir.join("input.json")).expect("input.json parses");
    let imported = lucid_onnx::load(&dir.join("network.onnx"), Some(&input)).expect("lowers");
    let names: Vec<&str> = imported
        .graph
        .inputs
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["input", "input1", "input2", "input3"]);
    for case in 0u32..16 {
        // Three positions: the case's bits, shifted per position, cover all 16 combinations.
        let bit = |k: u32, p: u32| f64::from(((case + 5 * p) >> k) & 1);
        let lists: Vec<(Vec<usize>, Vec<f64>)> = (0..4)
            .map(|k| (vec![1, 3], (0..3).map(|p| bit(k, p)).collect()))
            .collect();
        let values = imported.values_on(&lists).expect("values");
        let all = lucid_model::float_eval::run(&imported.graph, &values).expect("IR evaluates");
        let y = all[imported.graph.outputs[0].node.0].to_f64_vec();
        for (p, got) in y.iter().enumerate() {
            let [i0, i1, i2, i3] = [0, 1, 2, 3].map(|k| bit(k, p as u32) != 0.0);
            let expected = (i1 && i2) == (i1 && (i2 || (i3 ^ i0)));
            assert_eq!(*got != 0.0, expected, "case {case} position {p}");
        }
    }
}

/// Integer inputs (token ids, indices) may be written as floats, but must be integral; booleans
/// must be 0/1. The error names the input and the value.
#[test]
fn input_values_must_fit_the_input_type() {
    let dir = suite_dir().join("1l_topk");
    let imported = lucid_onnx::load(&dir.join("network.onnx"), None).expect("lowers");
    assert_eq!(
        imported.inputs[0].datum_type,
        tract_onnx::prelude::DatumType::I64
    );
    let ok = InputFile::parse(r#"{"input_data": [[1.0, 2, 3, 4, 5, 6]]}"#).expect("json");
    assert!(imported.input_values(&ok).is_ok());
    let bad = InputFile::parse(r#"{"input_data": [[1, 2, 3.5, 4, 5, 6]]}"#).expect("json");
    match imported.input_values(&bad) {
        Err(lucid_onnx::ImportError::BadInputValue {
            input, index: 2, ..
        }) => {
            assert_eq!(input, "input")
        }
        other => panic!("expected BadInputValue, got {other:?}"),
    }
    let dir = suite_dir().join("boolean_identity");
    let imported = lucid_onnx::load(&dir.join("network.onnx"), None).expect("lowers");
    let bad = InputFile::parse(r#"{"input_data": [[true, 2, false]]}"#).expect("json");
    assert!(matches!(
        imported.input_values(&bad),
        Err(lucid_onnx::ImportError::BadInputValue { index: 1, .. })
    ));
}
