//! End-to-end tests: small graphs built by hand, quantized, run exactly, compared with the float
//! interpreter.

use crate::accuracy::{TensorAccuracy, compare, layer_accuracy};
use crate::float_eval;
use crate::int_eval;
use crate::ir::{BinaryOp, ConvSpec, DType, Graph, NodeId, Op, PoolSpec, ReduceKind, UnaryFn};
use crate::quant::{QuantConfig, QuantError, quantize_graph};
use crate::tensor::{Tensor, Value};

/// Deterministic pseudo-random values in `[−scale, scale]`.
fn rand_vec(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
        })
        .collect()
}

fn tensor(shape: &[usize], seed: u64, scale: f32) -> Value {
    let n = shape.iter().product();
    Tensor::new(shape.to_vec(), rand_vec(n, seed, scale))
        .expect("shape")
        .into()
}

fn konst(g: &mut Graph, name: &str, shape: &[usize], seed: u64, scale: f32) -> NodeId {
    g.add_const(name, tensor(shape, seed, scale))
}

fn push(g: &mut Graph, name: &str, op: Op, inputs: Vec<NodeId>) -> NodeId {
    g.push(name, op, inputs).expect("valid node")
}

/// Quantizes with calibration on `calib` inputs, runs on `test` inputs and returns the accuracy
/// of every output.
fn evaluate(
    g: &Graph,
    calib: &[Vec<Value>],
    test: &[Value],
    cfg: &QuantConfig,
) -> Vec<TensorAccuracy> {
    let runs: Vec<Vec<Value>> = calib
        .iter()
        .map(|x| float_eval::run(g, x).expect("float run"))
        .collect();
    let q = quantize_graph(g, &runs, cfg).expect("quantizable");
    let w = int_eval::run(&q, test).expect("integer run");
    let reference = float_eval::run(g, test).expect("float run");
    let acc: Vec<TensorAccuracy> = g
        .outputs
        .iter()
        .zip(&w.outputs)
        .map(|(o, got)| compare(&o.name, &reference[o.node.0], got))
        .collect();
    for a in layer_accuracy(g, &q, &reference, &w) {
        eprintln!(
            "  {:40} max abs {:.2e} rel {:.2e}",
            a.name, a.max_abs_error, a.mean_rel_error
        );
    }
    for a in &acc {
        eprintln!("{a:?}");
    }
    acc
}

fn mlp(widths: &[usize], seed: u64) -> Graph {
    let mut g = Graph::new();
    let mut x = g.add_input("x", vec![1, widths[0]], DType::F32);
    for l in 0..widths.len() - 1 {
        let s = 1.0 / (widths[l] as f32).sqrt();
        let w = konst(
            &mut g,
            &format!("w{l}"),
            &[widths[l], widths[l + 1]],
            seed + l as u64,
            s,
        );
        let b = konst(
            &mut g,
            &format!("b{l}"),
            &[widths[l + 1]],
            seed + 100 + l as u64,
            0.1,
        );
        let y = push(
            &mut g,
            &format!("fc{l}"),
            Op::MatMul {
                transpose_a: false,
                transpose_b: false,
            },
            vec![x, w],
        );
        x = push(
            &mut g,
            &format!("add{l}"),
            Op::Binary(BinaryOp::Add),
            vec![y, b],
        );
        if l + 2 < widths.len() {
            x = push(
                &mut g,
                &format!("relu{l}"),
                Op::Unary(UnaryFn::Relu),
                vec![x],
            );
        }
    }
    g.add_output(x, "y").expect("output");
    g
}

#[test]
fn mlp_with_relu_is_accurate() {
    let g = mlp(&[32, 64, 32, 10], 1);
    let inputs: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![tensor(&[1, 32], 50 + i, 1.0)])
        .collect();
    for test in &inputs {
        let acc = evaluate(&g, &inputs, test, &QuantConfig::default());
        assert!(acc[0].passes(0.01, 0.01), "{acc:?}");
        assert!(acc[0].mean_rel_error < 1e-3, "{acc:?}");
    }
    // An input never seen in calibration (within the calibrated range).
    let unseen = vec![tensor(&[1, 32], 999, 0.9)];
    let acc = evaluate(&g, &inputs, &unseen, &QuantConfig::default());
    assert!(acc[0].passes(0.01, 0.01), "{acc:?}");
}

#[test]
fn conv_pool_softmax_classifier() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 2, 8, 8], DType::F32);
    let w = konst(&mut g, "w", &[4, 2, 3, 3], 7, 0.3);
    let b = konst(&mut g, "b", &[4], 8, 0.1);
    let spec = ConvSpec {
        strides: vec![1, 1],
        pads: vec![(1, 1); 2],
        dilations: vec![1, 1],
        group: 1,
    };
    let c = push(&mut g, "conv", Op::Conv(spec), vec![x, w, b]);
    let r = push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![c]);
    let pool = PoolSpec {
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![(0, 0); 2],
        dilations: vec![1, 1],
    };
    let m = push(&mut g, "maxpool", Op::MaxPool(pool.clone()), vec![r]);
    let a = push(
        &mut g,
        "avgpool",
        Op::SumPool {
            pool,
            normalize: true,
            count_include_pad: true,
        },
        vec![m],
    );
    let f = push(
        &mut g,
        "flatten",
        Op::Reshape { shape: vec![1, 16] },
        vec![a],
    );
    let w2 = konst(&mut g, "w2", &[16, 5], 9, 0.5);
    let y = push(
        &mut g,
        "fc",
        Op::MatMul {
            transpose_a: false,
            transpose_b: false,
        },
        vec![f, w2],
    );
    let s = push(&mut g, "softmax", Op::Softmax { axes: vec![1] }, vec![y]);
    let ls = push(
        &mut g,
        "logsoftmax",
        Op::LogSoftmax { axes: vec![1] },
        vec![y],
    );
    g.add_output(s, "probs").expect("output");
    g.add_output(ls, "logprobs").expect("output");
    let inputs: Vec<Vec<Value>> = (0..3)
        .map(|i| vec![tensor(&[1, 2, 8, 8], 20 + i, 2.0)])
        .collect();
    for test in &inputs {
        let acc = evaluate(&g, &inputs, test, &QuantConfig::default());
        for a in &acc {
            assert!(a.passes(0.01, 0.01), "{a:?}");
            assert!(a.max_abs_error < 2e-3, "{a:?}");
        }
    }
}

#[test]
fn normalization_tables_and_division() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 16], DType::F32);
    let mean = push(
        &mut g,
        "mean",
        Op::Reduce {
            kind: ReduceKind::Mean,
            axes: vec![1],
            keepdims: true,
        },
        vec![x],
    );
    let d = push(&mut g, "center", Op::Binary(BinaryOp::Sub), vec![x, mean]);
    let n = push(&mut g, "rms", Op::RmsNorm { axis: 1, eps: 1e-5 }, vec![d]);
    let gamma = konst(&mut g, "gamma", &[16], 3, 1.0);
    let y = push(&mut g, "scale", Op::Binary(BinaryOp::Mul), vec![n, gamma]);
    let t = push(&mut g, "tanh", Op::Unary(UnaryFn::Tanh), vec![y]);
    let s = push(&mut g, "sigmoid", Op::Unary(UnaryFn::Sigmoid), vec![y]);
    let ge = push(&mut g, "gelu", Op::Unary(UnaryFn::GeluExact), vec![y]);
    let sum = push(&mut g, "sum", Op::Binary(BinaryOp::Add), vec![t, ge]);
    let one = g.add_const("one", Tensor::scalar(1.0f32).into());
    let den = push(&mut g, "den", Op::Binary(BinaryOp::Add), vec![s, one]);
    let q = push(&mut g, "div", Op::Binary(BinaryOp::Div), vec![sum, den]);
    g.add_output(q, "y").expect("output");
    let inputs: Vec<Vec<Value>> = (0..3)
        .map(|i| vec![tensor(&[2, 16], 40 + i, 3.0)])
        .collect();
    for test in &inputs {
        let acc = evaluate(&g, &inputs, test, &QuantConfig::default());
        assert!(acc[0].passes(0.01, 0.01), "{acc:?}");
    }
}

#[test]
fn narrow_bit_widths_still_work() {
    let g = mlp(&[16, 16, 4], 5);
    let inputs: Vec<Vec<Value>> = (0..2)
        .map(|i| vec![tensor(&[1, 16], 70 + i, 1.0)])
        .collect();
    let cfg = QuantConfig {
        act_bits: 10,
        weight_bits: 10,
        table_bits: 10,
        ..QuantConfig::default()
    };
    let acc = evaluate(&g, &inputs, &inputs[0], &cfg);
    assert!(acc[0].mean_rel_error < 0.05, "{acc:?}");
}

#[test]
fn overflowing_widths_are_refused_naming_the_layer() {
    // 32-bit activations and weights with a 4096-long dot product: 2^31 · 2^31 · 2^12 > 2^63.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 4096], DType::F32);
    let w = konst(&mut g, "w", &[4096, 2], 1, 1.0);
    let w_all_big = match &g.nodes[w.0].op {
        Op::Const(Value::F32(t)) => t.map(|v| if *v >= 0.0 { 1.0 } else { -1.0 }),
        _ => unreachable!("constant"),
    };
    g.nodes[w.0].op = Op::Const(w_all_big.into());
    let y = push(
        &mut g,
        "big_layer",
        Op::MatMul {
            transpose_a: false,
            transpose_b: false,
        },
        vec![x, w],
    );
    g.add_output(y, "y").expect("output");
    let input = vec![tensor(&[1, 4096], 3, 1.0)];
    let runs = vec![float_eval::run(&g, &input).expect("float run")];
    let cfg = QuantConfig {
        act_bits: 32,
        weight_bits: 32,
        ..QuantConfig::default()
    };
    match quantize_graph(&g, &runs, &cfg) {
        Err(QuantError::Overflow { node, .. }) => assert!(node.contains("big_layer"), "{node}"),
        other => panic!("expected an overflow error, got {other:?}"),
    }
    // The default widths are fine.
    assert!(quantize_graph(&g, &runs, &QuantConfig::default()).is_ok());
}

#[test]
fn wrong_inputs_are_errors() {
    let g = mlp(&[4, 3], 2);
    let input = vec![tensor(&[1, 4], 1, 1.0)];
    let runs = vec![float_eval::run(&g, &input).expect("float run")];
    let q = quantize_graph(&g, &runs, &QuantConfig::default()).expect("quantizable");
    assert!(matches!(
        int_eval::run(&q, &[]),
        Err(int_eval::IntEvalError::InputCount {
            expected: 1,
            got: 0
        })
    ));
    let wrong = vec![tensor(&[1, 5], 1, 1.0)];
    assert!(matches!(
        int_eval::run(&q, &wrong),
        Err(int_eval::IntEvalError::InputMismatch { .. })
    ));
    let wrong_type: Vec<Value> = vec![Tensor::new(vec![1, 4], vec![1i64; 4]).expect("ok").into()];
    assert!(matches!(
        int_eval::run(&q, &wrong_type),
        Err(int_eval::IntEvalError::InputMismatch { .. })
    ));
    assert!(matches!(
        quantize_graph(&g, &[], &QuantConfig::default()),
        Err(QuantError::Calibration { .. })
    ));
}

#[test]
fn quantized_graph_round_trips_through_json_and_is_deterministic() {
    let g = mlp(&[8, 8, 3], 4);
    let input = vec![tensor(&[1, 8], 11, 1.0)];
    let runs = vec![float_eval::run(&g, &input).expect("float run")];
    let q = quantize_graph(&g, &runs, &QuantConfig::default()).expect("quantizable");
    let json = serde_json::to_string(&q).expect("serialize");
    let back: crate::quant::QGraph = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, q);
    let a = int_eval::run(&q, &input).expect("run");
    let b = int_eval::run(&back, &input).expect("run");
    assert_eq!(a, b);
}

#[test]
fn extreme_inputs_stay_in_the_proven_ranges() {
    // The interpreter checks every value against the node's proven range and errors otherwise:
    // inputs far outside the calibration data (clamped at the input) must still run.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 16], DType::F32);
    let w = konst(&mut g, "w", &[16, 16], 1, 0.5);
    let y = push(
        &mut g,
        "fc",
        Op::MatMul {
            transpose_a: false,
            transpose_b: false,
        },
        vec![x, w],
    );
    let n = push(&mut g, "rms", Op::RmsNorm { axis: 1, eps: 1e-5 }, vec![y]);
    let e = push(&mut g, "exp", Op::Unary(UnaryFn::Exp), vec![n]);
    let d = push(&mut g, "div", Op::Binary(BinaryOp::Div), vec![n, e]);
    let s = push(&mut g, "softmax", Op::Softmax { axes: vec![1] }, vec![d]);
    g.add_output(s, "y").expect("output");
    let calib = vec![tensor(&[2, 16], 5, 1.0)];
    let runs = vec![float_eval::run(&g, &calib).expect("float run")];
    let q = quantize_graph(&g, &runs, &QuantConfig::default()).expect("quantizable");
    for v in [1e6f32, -1e6, 0.0, 1e-6] {
        let input: Vec<Value> = vec![Tensor::full(vec![2, 16], v).expect("shape").into()];
        int_eval::run(&q, &input).expect("values inside the proven ranges");
    }
    let alternating: Vec<f32> = (0..32)
        .map(|i| if i % 2 == 0 { 1e9 } else { -1e9 })
        .collect();
    let input: Vec<Value> = vec![Tensor::new(vec![2, 16], alternating).expect("shape").into()];
    int_eval::run(&q, &input).expect("values inside the proven ranges");
}

#[test]
fn comparisons_selection_argmax_and_gather_are_exact() {
    use crate::ir::CmpOp;
    let mut g = Graph::new();
    let x = g.add_input("x", vec![3, 4], DType::F32);
    let half = g.add_const("half", Tensor::scalar(0.25f32).into());
    let lt = push(&mut g, "lt", Op::Compare(CmpOp::Lt), vec![x, half]);
    let zero = g.add_const("zero", Tensor::scalar(-0.5f32).into());
    let sel = push(&mut g, "where", Op::Where, vec![lt, x, zero]);
    let am = push(
        &mut g,
        "argmax",
        Op::Reduce {
            kind: ReduceKind::ArgMax { select_last: false },
            axes: vec![1],
            keepdims: false,
        },
        vec![sel],
    );
    let table = g.add_const("table", tensor(&[4, 2], 77, 3.0));
    let picked = push(&mut g, "gather", Op::Gather { axis: 0 }, vec![table, am]);
    g.add_output(lt, "mask").expect("output");
    g.add_output(am, "class").expect("output");
    g.add_output(picked, "picked").expect("output");
    let input = vec![tensor(&[3, 4], 31, 1.0)];
    let runs = vec![float_eval::run(&g, &input).expect("float run")];
    let q = quantize_graph(&g, &runs, &QuantConfig::default()).expect("quantizable");
    let w = int_eval::run(&q, &input).expect("integer run");
    let reference = crate::float_eval::run_outputs(&g, &input).expect("float run");
    assert_eq!(w.outputs[0], reference[0]);
    assert_eq!(w.outputs[1], reference[1]);
    let a = compare("picked", &reference[2], &w.outputs[2]);
    assert!(a.max_abs_error < 1e-3, "{a:?}");
}
