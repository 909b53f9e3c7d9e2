//! Import tests on small ONNX models built here with tract-onnx's protobuf types: recurrent
//! nets over several time steps (the scan unrolling), unsupported operators (every one is
//! reported, by node and op), malformed files, and input-file mismatches.

use lucid_model::input::InputFile;
use lucid_model::ir::{Op, Value};
use lucid_onnx::ImportError;
use prost::Message;
use std::path::PathBuf;
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, attribute_proto::AttributeType,
    tensor_proto::DataType, tensor_shape_proto, type_proto,
};

fn value_info(name: &str, shape: &[i64]) -> ValueInfoProto {
    let dims = shape
        .iter()
        .map(|d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(*d)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim: dims }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tensor(name: &str, shape: &[i64], seed: u64) -> TensorProto {
    let n: i64 = shape.iter().product();
    // A small deterministic pseudo-random fill in [-0.5, 0.5).
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let data = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect();
    TensorProto {
        name: name.into(),
        dims: shape.to_vec(),
        data_type: DataType::Float as i32,
        float_data: data,
        ..Default::default()
    }
}

fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

fn attr_str(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: v.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn node(
    op: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

/// Writes a model to a unique file under the target's temporary directory.
fn write_model(tag: &str, graph: GraphProto) -> PathBuf {
    let model = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(graph),
        ..Default::default()
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("lucid-onnx-test-{tag}.onnx"));
    std::fs::write(&path, model.encode_to_vec()).expect("write test model");
    path
}

fn input_json(lists: &[Vec<f32>]) -> InputFile {
    let body: Vec<String> = lists
        .iter()
        .map(|l| {
            format!(
                "[{}]",
                l.iter()
                    .map(|v| format!("{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    InputFile::parse(&format!("{{\"input_data\": [{}]}}", body.join(","))).expect("valid input")
}

fn ramp(n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 * 0.37).sin()) * scale).collect()
}

/// Imports, evaluates the IR and compares every output with tract's float run.
fn check_against_tract(path: &std::path::Path, input: &InputFile) -> lucid_onnx::Imported {
    let imported = lucid_onnx::load(path, Some(input)).expect("model lowers");
    let values = imported.input_values(input).expect("input values");
    let all = lucid_model::float_eval::run(&imported.graph, &values).expect("IR evaluates");
    let reference = imported.reference(input).expect("tract runs");
    assert_eq!(imported.graph.outputs.len(), reference.len());
    for (o, r) in imported.graph.outputs.iter().zip(&reference) {
        let v: &Value = &all[o.node.0];
        assert_eq!(v.shape(), r.shape(), "output {}", o.name);
        for (a, b) in v.to_f64_vec().iter().zip(r.data()) {
            let b = f64::from(*b);
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "output {}: {a} vs {b}",
                o.name
            );
        }
    }
    imported
}

fn lstm_graph(direction: &str, seq: i64, batch: i64, input: i64, hidden: i64) -> GraphProto {
    let dirs = if direction == "bidirectional" { 2 } else { 1 };
    GraphProto {
        name: "lstm".into(),
        node: vec![node(
            "LSTM",
            "lstm",
            &["X", "W", "R", "B"],
            &["Y", "Y_h", "Y_c"],
            vec![
                attr_int("hidden_size", hidden),
                attr_str("direction", direction),
            ],
        )],
        initializer: vec![
            tensor("W", &[dirs, 4 * hidden, input], 1),
            tensor("R", &[dirs, 4 * hidden, hidden], 2),
            tensor("B", &[dirs, 8 * hidden], 3),
        ],
        input: vec![value_info("X", &[seq, batch, input])],
        output: vec![
            value_info("Y", &[seq, dirs, batch, hidden]),
            value_info("Y_h", &[dirs, batch, hidden]),
            value_info("Y_c", &[dirs, batch, hidden]),
        ],
        ..Default::default()
    }
}

#[test]
fn lstm_over_several_steps_is_unrolled() {
    let path = write_model("lstm_fwd", lstm_graph("forward", 5, 1, 3, 4));
    let input = input_json(&[ramp(5 * 3, 1.5)]);
    let imported = check_against_tract(&path, &input);
    // No loop is left: each of the 5 steps has its own gates.
    let sigmoids = imported
        .graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Unary(lucid_model::ir::UnaryFn::Sigmoid)))
        .count();
    assert!(
        sigmoids >= 5 * 3,
        "expected unrolled gates, found {sigmoids} sigmoids"
    );
}

/// tract 0.23.9 cannot run this LSTM with a batch of 2 ("Clashing resolution for expression"),
/// so the batched IR is checked row by row against tract's batch-1 runs of the same weights.
#[test]
fn batched_lstm_matches_tract_row_by_row() {
    let (seq, batch, inp, hid) = (3usize, 2usize, 2usize, 3usize);
    let path2 = write_model(
        "lstm_b2",
        lstm_graph("forward", seq as i64, 2, inp as i64, hid as i64),
    );
    let path1 = write_model(
        "lstm_b1",
        lstm_graph("forward", seq as i64, 1, inp as i64, hid as i64),
    );
    let x = ramp(seq * batch * inp, 1.2);
    let input2 = input_json(std::slice::from_ref(&x));
    let imported = lucid_onnx::load(&path2, Some(&input2)).expect("batched LSTM lowers");
    let values = imported.input_values(&input2).expect("values");
    let all = lucid_model::float_eval::run(&imported.graph, &values).expect("IR evaluates");
    let y = all[imported.graph.outputs[0].node.0].to_f64_vec(); // [seq, 1, batch, hid]
    let single = lucid_onnx::load(&path1, None).expect("batch-1 LSTM lowers");
    for b in 0..batch {
        let row: Vec<f32> = (0..seq)
            .flat_map(|t| x[(t * batch + b) * inp..][..inp].to_vec())
            .collect();
        let r = single
            .reference(&input_json(&[row]))
            .expect("tract runs batch 1");
        for t in 0..seq {
            for h in 0..hid {
                let a = y[(t * batch + b) * hid + h];
                let e = f64::from(r[0].data()[t * hid + h]);
                assert!(
                    (a - e).abs() < 1e-5,
                    "step {t} row {b} unit {h}: {a} vs {e}"
                );
            }
        }
    }
}

#[test]
fn reverse_and_bidirectional_lstm_match_tract() {
    for dir in ["reverse", "bidirectional"] {
        let path = write_model(&format!("lstm_{dir}"), lstm_graph(dir, 4, 1, 2, 3));
        let input = input_json(&[ramp(4 * 2, 2.0)]);
        check_against_tract(&path, &input);
    }
}

#[test]
fn rnn_and_gru_over_several_steps_match_tract() {
    for (op, gates) in [("RNN", 1), ("GRU", 3)] {
        let (seq, input, hidden) = (4, 3, 2);
        let graph = GraphProto {
            name: op.into(),
            node: vec![node(
                op,
                "rec",
                &["X", "W", "R", "B"],
                &["Y", "Y_h"],
                vec![attr_int("hidden_size", hidden)],
            )],
            initializer: vec![
                tensor("W", &[1, gates * hidden, input], 4),
                tensor("R", &[1, gates * hidden, hidden], 5),
                tensor("B", &[1, 2 * gates * hidden], 6),
            ],
            input: vec![value_info("X", &[seq, 1, input])],
            output: vec![
                value_info("Y", &[seq, 1, 1, hidden]),
                value_info("Y_h", &[1, 1, hidden]),
            ],
            ..Default::default()
        };
        let path = write_model(&format!("rec_{op}"), graph);
        let input = input_json(&[ramp((seq * input) as usize, 1.0)]);
        check_against_tract(&path, &input);
    }
}

#[test]
fn every_unsupported_node_is_reported_by_name_and_op() {
    let graph = GraphProto {
        name: "unsupported".into(),
        node: vec![
            node("IsNaN", "first_isnan", &["x"], &["a"], vec![]),
            node("Not", "not", &["a"], &["b"], vec![]),
            node("IsInf", "second_isinf", &["x"], &["c"], vec![]),
            node("Or", "or", &["b", "c"], &["y"], vec![]),
        ],
        input: vec![value_info("x", &[2, 3])],
        output: vec![ValueInfoProto {
            name: "y".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let path = write_model("unsupported", graph);
    match lucid_onnx::load(&path, None) {
        Err(ImportError::Unsupported(list)) => {
            let nodes: Vec<&str> = list.iter().map(|u| u.node.as_str()).collect();
            assert_eq!(nodes, vec!["first_isnan", "second_isinf"], "{list:?}");
            assert!(
                list.iter()
                    .all(|u| !u.op.is_empty() && !u.reason.is_empty())
            );
            let msg = ImportError::Unsupported(list).to_string();
            assert!(
                msg.contains("first_isnan") && msg.contains("second_isinf"),
                "{msg}"
            );
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let inspection = lucid_onnx::inspect(&path, None).expect("inspect does not fail");
    assert_eq!(inspection.unsupported.len(), 2);
    assert!(inspection.graph.is_none());
}

#[test]
fn malformed_files_give_errors_not_panics() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let garbage = dir.join("lucid-onnx-test-garbage.onnx");
    std::fs::write(&garbage, b"this is not a protobuf \xff\xfe\x00\x01").expect("write");
    assert!(matches!(
        lucid_onnx::load(&garbage, None),
        Err(ImportError::Tract { .. })
    ));

    let good = write_model("lstm_for_truncation", lstm_graph("forward", 2, 1, 2, 2));
    let bytes = std::fs::read(&good).expect("read");
    for cut in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 3] {
        let truncated = dir.join(format!("lucid-onnx-test-truncated-{cut}.onnx"));
        std::fs::write(&truncated, &bytes[..cut]).expect("write");
        let r = lucid_onnx::load(&truncated, None);
        assert!(r.is_err(), "a file truncated at {cut} bytes was accepted");
    }
    let empty = dir.join("lucid-onnx-test-empty.onnx");
    std::fs::write(&empty, b"").expect("write");
    assert!(lucid_onnx::load(&empty, None).is_err());
    assert!(matches!(
        lucid_onnx::load(&dir.join("does-not-exist.onnx"), None),
        Err(ImportError::NotFound { .. })
    ));
}

#[test]
fn input_files_are_checked_against_the_model() {
    let path = write_model("lstm_inputs", lstm_graph("forward", 2, 1, 3, 2));
    let imported = lucid_onnx::load(&path, None).expect("lowers");
    let short = input_json(&[vec![1.0; 5]]);
    match imported.input_values(&short) {
        Err(ImportError::Input(lucid_model::input::InputError::WrongLength {
            name,
            expected: 6,
            got: 5,
            ..
        })) => assert_eq!(name, "X"),
        other => panic!("expected WrongLength, got {other:?}"),
    }
    let none = InputFile::parse(r#"{"input_data": []}"#).expect("valid json");
    assert!(matches!(
        imported.input_values(&none),
        Err(ImportError::Input(
            lucid_model::input::InputError::TooFewLists { .. }
        ))
    ));
}

fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn int_tensor(name: &str, v: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![v.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: v.to_vec(),
        ..Default::default()
    }
}

/// One-node models for the geometry and slicing cases the conformance suite does not reach
/// (backward strided slices, reflect/edge padding, ceil-mode pools, padded average pools,
/// grouped/dilated/same-padded convolutions, strided grouped transposed convolutions).
#[test]
fn geometry_and_slicing_edge_cases_match_tract() {
    let x_shape = [1i64, 4, 7, 6];
    let n = x_shape.iter().product::<i64>() as usize;
    let cases: Vec<(&str, NodeProto, Vec<TensorProto>)> = vec![
        (
            "slice_backward",
            node("Slice", "s", &["x", "st", "en", "ax", "sp"], &["y"], vec![]),
            vec![
                int_tensor("st", &[-1, 5]),
                int_tensor("en", &[-100, 0]),
                int_tensor("ax", &[2, 3]),
                int_tensor("sp", &[-2, -3]),
            ],
        ),
        (
            "slice_forward_steps",
            node("Slice", "s", &["x", "st", "en", "ax", "sp"], &["y"], vec![]),
            vec![
                int_tensor("st", &[1, 0]),
                int_tensor("en", &[100, 5]),
                int_tensor("ax", &[1, 3]),
                int_tensor("sp", &[2, 2]),
            ],
        ),
        (
            "pad_reflect",
            node(
                "Pad",
                "p",
                &["x", "pads"],
                &["y"],
                vec![attr_str("mode", "reflect")],
            ),
            vec![int_tensor("pads", &[0, 0, 2, 1, 0, 0, 1, 3])],
        ),
        (
            "pad_edge",
            node(
                "Pad",
                "p",
                &["x", "pads"],
                &["y"],
                vec![attr_str("mode", "edge")],
            ),
            vec![int_tensor("pads", &[0, 1, 2, 0, 0, 0, 1, 2])],
        ),
        (
            "maxpool_ceil",
            node(
                "MaxPool",
                "m",
                &["x"],
                &["y"],
                vec![
                    attr_ints("kernel_shape", &[2, 2]),
                    attr_ints("strides", &[2, 2]),
                    attr_int("ceil_mode", 1),
                ],
            ),
            vec![],
        ),
        (
            "avgpool_pads_exclusive",
            node(
                "AveragePool",
                "a",
                &["x"],
                &["y"],
                vec![
                    attr_ints("kernel_shape", &[3, 2]),
                    attr_ints("strides", &[2, 1]),
                    attr_ints("pads", &[1, 1, 1, 0]),
                    attr_int("count_include_pad", 0),
                ],
            ),
            vec![],
        ),
        (
            "conv_group_dilation_same",
            node(
                "Conv",
                "c",
                &["x", "w", "b"],
                &["y"],
                vec![
                    attr_int("group", 2),
                    attr_ints("dilations", &[2, 1]),
                    attr_str("auto_pad", "SAME_UPPER"),
                ],
            ),
            vec![tensor("w", &[6, 2, 3, 2], 11), tensor("b", &[6], 12)],
        ),
        (
            "conv_transpose_strided_group",
            node(
                "ConvTranspose",
                "d",
                &["x", "w", "b"],
                &["y"],
                vec![
                    attr_int("group", 2),
                    attr_ints("strides", &[2, 3]),
                    attr_ints("pads", &[1, 0, 0, 1]),
                    attr_ints("output_padding", &[1, 0]),
                ],
            ),
            vec![tensor("w", &[4, 3, 3, 2], 13), tensor("b", &[6], 14)],
        ),
    ];
    for (tag, n_proto, inits) in cases {
        let graph = GraphProto {
            name: tag.into(),
            node: vec![n_proto],
            initializer: inits,
            input: vec![value_info("x", &x_shape)],
            output: vec![ValueInfoProto {
                name: "y".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let path = write_model(tag, graph);
        let input = input_json(&[ramp(n, 3.0)]);
        let imported = lucid_onnx::load(&path, Some(&input))
            .unwrap_or_else(|e| panic!("{tag} does not lower: {e}"));
        let values = imported.input_values(&input).expect("values");
        let all = lucid_model::float_eval::run(&imported.graph, &values)
            .unwrap_or_else(|e| panic!("{tag}: IR evaluation failed: {e}"));
        let reference = imported.reference(&input).expect("tract runs");
        let y = &all[imported.graph.outputs[0].node.0];
        assert_eq!(y.shape(), reference[0].shape(), "{tag}");
        for (a, b) in y.to_f64_vec().iter().zip(reference[0].data()) {
            let b = f64::from(*b);
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "{tag}: {a} vs {b}"
            );
        }
    }
}
