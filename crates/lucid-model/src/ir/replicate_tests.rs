//! Replication: block independence checked by evaluation (block `i` of every output of the
//! replicated graph equals the original graph's output on block `i` of the inputs, with
//! different blocks), refusals naming the node, and the block helpers.

use super::*;
use crate::float_eval::run_outputs;
use crate::ir::{BinaryOp, CmpOp, ConvSpec, DType, Op, PoolSpec, ReduceKind, TopKOutput, UnaryFn};
use crate::tensor::Tensor;

const COPIES: usize = 4;

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [-1, 1).
    fn f32(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

fn f32_const(shape: Vec<usize>, rng: &mut Rng) -> Value {
    let n = shape.iter().product();
    Value::F32(Tensor::new(shape, (0..n).map(|_| rng.f32()).collect()).unwrap())
}

/// A random input value; I64 values lie in `0..bound`.
fn random_input(shape: &[usize], dtype: DType, bound: i64, rng: &mut Rng) -> Value {
    let n = shape.iter().product();
    let shape = shape.to_vec();
    match dtype {
        DType::F32 => f32_const(shape, rng),
        DType::I64 => Value::I64(
            Tensor::new(
                shape,
                (0..n).map(|_| (rng.next() % bound as u64) as i64).collect(),
            )
            .unwrap(),
        ),
        DType::Bool => Value::Bool(
            Tensor::new(
                shape,
                (0..n).map(|_| rng.next().is_multiple_of(2)).collect(),
            )
            .unwrap(),
        ),
    }
}

fn close(a: &Value, b: &Value) -> bool {
    a.dtype() == b.dtype()
        && a.shape() == b.shape()
        && a.to_f64_vec()
            .iter()
            .zip(b.to_f64_vec())
            .all(|(x, y)| (x - y).abs() <= 1e-5 * (1.0 + y.abs()))
}

/// Runs `replicated` on `copies` different random blocks per input and checks that block `i`
/// of every output equals `graph` run on block `i` alone.
fn blocks_match(graph: &Graph, replicated: &Graph, copies: usize, bound: i64) -> bool {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let blocks: Vec<Vec<Value>> = (0..copies)
        .map(|_| {
            graph
                .inputs
                .iter()
                .map(|i| random_input(&i.shape, i.dtype, bound, &mut rng))
                .collect()
        })
        .collect();
    let stacked: Vec<Value> = (0..graph.inputs.len())
        .map(|j| stack(&blocks.iter().map(|b| &b[j]).collect::<Vec<_>>()).unwrap())
        .collect();
    let outs = run_outputs(replicated, &stacked).unwrap();
    assert_eq!(outs.len(), graph.outputs.len());
    (0..copies).all(|b| {
        let expect = run_outputs(graph, &blocks[b]).unwrap();
        outs.iter()
            .zip(&expect)
            .all(|(o, e)| close(&block_value(o, copies, b).unwrap(), e))
    })
}

/// Replicates `graph` with [`COPIES`] and checks block independence by evaluation.
fn check(graph: &Graph, bound: i64) -> Graph {
    graph.validate().unwrap();
    let r = replicate(graph, COPIES).unwrap();
    r.validate().unwrap();
    for (old, new) in graph.inputs.iter().zip(&r.inputs) {
        assert_eq!(new.name, old.name);
        assert_eq!(new.shape[0], COPIES * old.shape[0]);
        assert_eq!(new.shape[1..], old.shape[1..]);
    }
    for (old, new) in graph.outputs.iter().zip(&r.outputs) {
        assert_eq!(new.name, old.name);
        let (o, n) = (&graph.nodes[old.node.0].shape, &r.nodes[new.node.0].shape);
        assert_eq!(n[0], COPIES * o[0]);
        assert_eq!(n[1..], o[1..]);
    }
    assert!(blocks_match(graph, &r, COPIES, bound));
    r
}

/// Replication must fail with a node error naming `node`.
fn refused(graph: &Graph, node: &str) -> String {
    graph.validate().unwrap();
    let err = replicate(graph, COPIES).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, ReplicateError::Node { node: n, .. } if n == node),
        "expected a refusal of '{node}', got: {msg}"
    );
    assert!(msg.contains(&format!("'{node}'")), "{msg}");
    msg
}

fn mm() -> Op {
    Op::MatMul {
        transpose_a: false,
        transpose_b: false,
    }
}

#[test]
fn mlp_with_constant_weights() {
    let mut rng = Rng(1);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let w = g.add_const("w", f32_const(vec![3, 4], &mut rng));
    let bias = g.add_const("b", f32_const(vec![4], &mut rng));
    let m = g.push("gemm", mm(), vec![x, w]).unwrap();
    let a = g
        .push("add", Op::Binary(BinaryOp::Add), vec![m, bias])
        .unwrap();
    let r = g.push("relu", Op::Unary(UnaryFn::Relu), vec![a]).unwrap();
    g.add_output(r, "y").unwrap();
    let rep = check(&g, 1);
    // Constants stay as they are.
    assert_eq!(rep.nodes[1], g.nodes[1]);
    assert_eq!(rep.nodes.len(), g.nodes.len());
}

#[test]
fn elementwise_with_broadcast_and_full_rank_constants() {
    let mut rng = Rng(2);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 3], DType::F32);
    let row = g.add_const("row", f32_const(vec![1, 3], &mut rng));
    let vec3 = g.add_const("vec", f32_const(vec![3], &mut rng));
    // Same leading dim as x: must be tiled to stay aligned with each block.
    let full = g.add_const("full", f32_const(vec![2, 3], &mut rng));
    let a = g
        .push("add", Op::Binary(BinaryOp::Add), vec![x, row])
        .unwrap();
    let m = g
        .push("mul", Op::Binary(BinaryOp::Mul), vec![a, vec3])
        .unwrap();
    let s = g
        .push("sub", Op::Binary(BinaryOp::Sub), vec![m, full])
        .unwrap();
    let c = g.push("gt", Op::Compare(CmpOp::Gt), vec![s, full]).unwrap();
    let w = g.push("where", Op::Where, vec![c, s, x]).unwrap();
    let t = g.push("tanh", Op::Unary(UnaryFn::Tanh), vec![w]).unwrap();
    g.add_output(t, "y").unwrap();
    g.add_output(c, "mask").unwrap();
    let rep = check(&g, 1);
    assert!(rep.nodes.iter().any(|n| n.name == "full/tiled"));
}

#[test]
fn conv_and_pools() {
    let mut rng = Rng(3);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 2, 4, 4], DType::F32);
    let w = g.add_const("w", f32_const(vec![3, 2, 3, 3], &mut rng));
    let bias = g.add_const("b", f32_const(vec![3], &mut rng));
    let conv = Op::Conv(ConvSpec {
        strides: vec![1, 1],
        pads: vec![(1, 1), (1, 1)],
        dilations: vec![1, 1],
        group: 1,
    });
    let c = g.push("conv", conv, vec![x, w, bias]).unwrap();
    let pool = PoolSpec {
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![(0, 0), (0, 0)],
        dilations: vec![1, 1],
    };
    let avg = Op::SumPool {
        pool: pool.clone(),
        normalize: true,
        count_include_pad: false,
    };
    let p = g.push("avgpool", avg, vec![c]).unwrap();
    let mp = g.push("maxpool", Op::MaxPool(pool), vec![c]).unwrap();
    g.add_output(p, "avg").unwrap();
    g.add_output(mp, "max").unwrap();
    check(&g, 1);
}

#[test]
fn reshape_target_is_rewritten() {
    let mut rng = Rng(4);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3, 2, 2], DType::F32);
    let flat = g
        .push("flatten", Op::Reshape { shape: vec![1, 12] }, vec![x])
        .unwrap();
    let w = g.add_const("w", f32_const(vec![12, 2], &mut rng));
    let m = g.push("fc", mm(), vec![flat, w]).unwrap();
    let u = g
        .push(
            "unsqueeze",
            Op::Reshape {
                shape: vec![1, 1, 2],
            },
            vec![m],
        )
        .unwrap();
    let e = g
        .push(
            "expand",
            Op::Broadcast {
                shape: vec![1, 3, 2],
            },
            vec![u],
        )
        .unwrap();
    g.add_output(e, "y").unwrap();
    let rep = check(&g, 1);
    let flat_new = rep.nodes.iter().find(|n| n.name == "flatten").unwrap();
    assert_eq!(
        flat_new.op,
        Op::Reshape {
            shape: vec![COPIES, 12]
        }
    );
}

#[test]
fn transpose_keeping_axis_0_and_reductions_off_axis_0() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 2, 3], DType::F32);
    let t = g
        .push(
            "t",
            Op::Transpose {
                perm: vec![0, 2, 1],
            },
            vec![x],
        )
        .unwrap();
    let r = g
        .push(
            "mean",
            Op::Reduce {
                kind: ReduceKind::Mean,
                axes: vec![2],
                keepdims: false,
            },
            vec![t],
        )
        .unwrap();
    let k = g
        .push(
            "topk",
            Op::TopK {
                axis: 1,
                k: 2,
                largest: true,
                output: TopKOutput::Indices,
            },
            vec![r],
        )
        .unwrap();
    let n = g
        .push("rms", Op::RmsNorm { axis: 2, eps: 1e-5 }, vec![t])
        .unwrap();
    g.add_output(t, "t").unwrap();
    g.add_output(k, "k").unwrap();
    g.add_output(n, "n").unwrap();
    check(&g, 1);
}

#[test]
fn softmax_over_the_last_axis() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 5], DType::F32);
    let s = g
        .push("softmax", Op::Softmax { axes: vec![1] }, vec![x])
        .unwrap();
    let l = g
        .push("logsoftmax", Op::LogSoftmax { axes: vec![1] }, vec![x])
        .unwrap();
    g.add_output(s, "s").unwrap();
    g.add_output(l, "l").unwrap();
    check(&g, 1);
}

#[test]
fn gather_from_constant_table_with_batched_indices() {
    let mut rng = Rng(5);
    let mut g = Graph::new();
    let idx = g.add_input("tokens", vec![1, 3], DType::I64);
    let table = g.add_const("embedding", f32_const(vec![10, 4], &mut rng));
    let e = g
        .push("embed", Op::Gather { axis: 0 }, vec![table, idx])
        .unwrap();
    // Batched data, constant indices, off axis 0.
    let pick = g.add_const("pick", Value::I64(Tensor::from_vec(vec![3, 0])));
    let p = g
        .push("pick", Op::Gather { axis: 2 }, vec![e, pick])
        .unwrap();
    g.add_output(e, "emb").unwrap();
    g.add_output(p, "picked").unwrap();
    check(&g, 10);
}

#[test]
fn concat_on_axis_1_tiles_constants() {
    let mut rng = Rng(6);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let r = g.push("relu", Op::Unary(UnaryFn::Relu), vec![x]).unwrap();
    let c = g.add_const("extra", f32_const(vec![1, 2], &mut rng));
    let cat = g
        .push("cat", Op::Concat { axis: 1 }, vec![x, c, r])
        .unwrap();
    g.add_output(cat, "y").unwrap();
    check(&g, 1);
}

#[test]
fn einsum_batched_matmul_and_gather_elements() {
    let mut rng = Rng(7);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 2, 3], DType::F32);
    let y = g.add_input("y", vec![2, 3, 2], DType::F32);
    let w = g.add_const("w", f32_const(vec![3, 4], &mut rng));
    let e = g
        .push(
            "einsum",
            Op::Einsum {
                expr: "bij,jk->bik".into(),
            },
            vec![x, w],
        )
        .unwrap();
    let m = g.push("bmm", mm(), vec![x, y]).unwrap();
    // A constant with the same batch dim is tiled; a rank-2 one broadcasts.
    let cb = g.add_const("cb", f32_const(vec![2, 2, 3], &mut rng));
    let m2 = g.push("bmm_const", mm(), vec![m, cb]).unwrap();
    let c2 = g.add_const("c2", f32_const(vec![3, 2], &mut rng));
    let m3 = g.push("bmm_rank2", mm(), vec![x, c2]).unwrap();
    let idx = g.add_const(
        "idx",
        Value::I64(Tensor::new(vec![2, 2, 2], vec![0, 3, 1, 1, 2, 0, 3, 3]).unwrap()),
    );
    let ge = g
        .push("gather_el", Op::GatherElements { axis: 2 }, vec![e, idx])
        .unwrap();
    for (id, name) in [(e, "e"), (m2, "m2"), (m3, "m3"), (ge, "ge")] {
        g.add_output(id, name).unwrap();
    }
    check(&g, 1);
}

#[test]
fn other_ops_off_axis_0() {
    let mut rng = Rng(10);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 2, 3, 3], DType::F32);
    let tok = g.add_input("tok", vec![2, 2], DType::I64);
    let w = g.add_const("w", f32_const(vec![2, 1, 2, 2], &mut rng));
    let deconv = Op::Deconv(crate::ir::DeconvSpec {
        strides: vec![2, 2],
        pads: vec![(0, 0), (0, 0)],
        dilations: vec![1, 1],
        output_padding: vec![0, 0],
        group: 1,
    });
    let d = g.push("deconv", deconv, vec![x, w]).unwrap();
    let pad = Op::Pad {
        pads: vec![(0, 0), (1, 0), (0, 2), (1, 1)],
        mode: crate::ir::PadMode::Edge,
        value: 0.0,
    };
    let p = g.push("pad", pad, vec![d]).unwrap();
    let slice = Op::Slice {
        axis: 3,
        start: -1,
        end: 0,
        step: -2,
    };
    let s = g.push("slice", slice, vec![p]).unwrap();
    let up = Op::NearestUpsample {
        factors: vec![1, 1, 2, 1],
    };
    let u = g.push("upsample", up, vec![x]).unwrap();
    let one_hot = Op::OneHot {
        axis: 1,
        depth: 4,
        on: 2.0,
        off: -1.0,
        dtype: DType::F32,
    };
    let o = g.push("onehot", one_hot, vec![tok]).unwrap();
    // Scatter constant updates into the batched one-hot rows, off axis 0.
    let idx = g.add_const(
        "idx",
        Value::I64(Tensor::new(vec![2, 1, 2], vec![3, 0, 1, 2]).unwrap()),
    );
    let upd = g.add_const("upd", f32_const(vec![2, 1, 2], &mut rng));
    let scatter = Op::ScatterElements {
        axis: 1,
        reduction: crate::ir::ScatterReduction::Add,
    };
    let sc = g.push("scatter", scatter, vec![o, idx, upd]).unwrap();
    for (id, name) in [(s, "s"), (u, "u"), (sc, "sc")] {
        g.add_output(id, name).unwrap();
    }
    check(&g, 4);
}

#[test]
fn constant_subgraphs_stay_and_constant_outputs_are_tiled() {
    let mut rng = Rng(8);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let c = g.add_const("c", f32_const(vec![1, 3], &mut rng));
    let rc = g.push("relu_c", Op::Unary(UnaryFn::Relu), vec![c]).unwrap();
    let a = g
        .push("add", Op::Binary(BinaryOp::Add), vec![x, rc])
        .unwrap();
    g.add_output(a, "y").unwrap();
    g.add_output(rc, "constant").unwrap();
    g.add_output(c, "raw_constant").unwrap();
    let rep = check(&g, 1);
    let relu_c = rep.nodes.iter().find(|n| n.name == "relu_c").unwrap();
    assert_eq!(relu_c.shape, vec![1, 3]);
    assert_eq!(rep.outputs[1].name, "constant");
    assert_eq!(rep.nodes[rep.outputs[1].node.0].shape, vec![COPIES, 3]);
}

#[test]
fn one_copy_is_a_clone_and_zero_copies_is_refused() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let s = g.push("s", Op::Softmax { axes: vec![0] }, vec![x]).unwrap();
    g.add_output(s, "y").unwrap();
    assert_eq!(replicate(&g, 1).unwrap(), g);
    assert!(matches!(replicate(&g, 0), Err(ReplicateError::Copies(0))));
}

#[test]
fn the_evaluation_check_detects_mixing() {
    // Softmax over axis 0, replicated by hand without the rules: blocks are mixed.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let s = g.push("s", Op::Softmax { axes: vec![0] }, vec![x]).unwrap();
    g.add_output(s, "y").unwrap();
    let mut bad = Graph::new();
    let x = bad.add_input("x", vec![COPIES, 3], DType::F32);
    let s = bad
        .push("s", Op::Softmax { axes: vec![0] }, vec![x])
        .unwrap();
    bad.add_output(s, "y").unwrap();
    assert!(!blocks_match(&g, &bad, COPIES, 1));
}

fn unary_graph(shape: Vec<usize>, name: &str, op: Op) -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", shape, DType::F32);
    let y = g.push(name, op, vec![x]).unwrap();
    g.add_output(y, "y").unwrap();
    g
}

#[test]
fn refuses_ops_along_axis_0() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let r = g.push("relu", Op::Unary(UnaryFn::Relu), vec![x]).unwrap();
    let c = g.push("cat0", Op::Concat { axis: 0 }, vec![x, r]).unwrap();
    g.add_output(c, "y").unwrap();
    refused(&g, "cat0");

    let sum0 = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0, 1],
        keepdims: true,
    };
    let msg = refused(&unary_graph(vec![2, 3], "sum0", sum0), "sum0");
    assert!(msg.contains("axis 0"), "{msg}");
    refused(
        &unary_graph(vec![2, 3], "sm0", Op::Softmax { axes: vec![0] }),
        "sm0",
    );
    refused(
        &unary_graph(vec![2, 3], "tr", Op::Transpose { perm: vec![1, 0] }),
        "tr",
    );
    // Even a full slice along axis 0 is refused.
    let full = Op::Slice {
        axis: 0,
        start: 0,
        end: 2,
        step: 1,
    };
    refused(&unary_graph(vec![2, 3], "slice0", full), "slice0");
    let pad = Op::Pad {
        pads: vec![(1, 0), (0, 0)],
        mode: crate::ir::PadMode::Constant,
        value: 0.0,
    };
    refused(&unary_graph(vec![2, 3], "pad0", pad), "pad0");
    refused(
        &unary_graph(vec![2, 3], "rms0", Op::RmsNorm { axis: 0, eps: 0.0 }),
        "rms0",
    );
    let topk = Op::TopK {
        axis: 0,
        k: 1,
        largest: true,
        output: TopKOutput::Values,
    };
    refused(&unary_graph(vec![2, 3], "topk0", topk), "topk0");
    let up = Op::NearestUpsample {
        factors: vec![2, 1],
    };
    refused(&unary_graph(vec![2, 3], "up0", up), "up0");
    // Broadcasts repeating the leading dim or moving axis 0.
    let rep = Op::Broadcast { shape: vec![3, 3] };
    refused(&unary_graph(vec![1, 3], "expand_rows", rep), "expand_rows");
    let rank = Op::Broadcast {
        shape: vec![2, 1, 3],
    };
    refused(&unary_graph(vec![1, 3], "expand_rank", rank), "expand_rank");
    let mut g = Graph::new();
    let i = g.add_input("i", vec![2], DType::I64);
    let one_hot = Op::OneHot {
        axis: 0,
        depth: 3,
        on: 1.0,
        off: 0.0,
        dtype: DType::F32,
    };
    let o = g.push("onehot0", one_hot, vec![i]).unwrap();
    g.add_output(o, "y").unwrap();
    refused(&g, "onehot0");
}

#[test]
fn refuses_batched_rank_2_right_matmul_operand() {
    let mut rng = Rng(9);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![3, 2], DType::F32);
    let a = g.add_const("a", f32_const(vec![2, 3], &mut rng));
    let m = g.push("mm_b", mm(), vec![a, x]).unwrap();
    g.add_output(m, "y").unwrap();
    refused(&g, "mm_b");

    let mut g = Graph::new();
    let x = g.add_input("x", vec![3, 2], DType::F32);
    let b = g.add_const("b", f32_const(vec![3, 4], &mut rng));
    let ta = Op::MatMul {
        transpose_a: true,
        transpose_b: false,
    };
    let m = g.push("mm_ta", ta, vec![x, b]).unwrap();
    g.add_output(m, "y").unwrap();
    refused(&g, "mm_ta");
}

#[test]
fn refuses_rank_0_input() {
    let mut g = Graph::new();
    let x = g.add_input("scalar_in", vec![], DType::F32);
    let y = g.push("neg", Op::Unary(UnaryFn::Neg), vec![x]).unwrap();
    g.add_output(y, "y").unwrap();
    refused(&g, "scalar_in");
}

/// scikit-learn's MLP as tract imports it: `[1, 3]` squeezed to `[3]` (per-copy axis 0 now
/// holds features), a bias of the full shape (tiled), a broadcast scalar, unsqueezed back,
/// and a product reshaped `[1, 5] → [5, 1]` with a full-shape bias: every copy computes the
/// model's function, and a reduction along the squeezed axis 0 is still refused.
#[test]
fn reshapes_changing_the_leading_dim_keep_blocks() {
    let mut rng = Rng(11);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let w1 = g.add_const("w1", f32_const(vec![3, 3], &mut rng));
    let m1 = g.push("mm1", mm(), vec![x, w1]).unwrap();
    let sq = g
        .push("squeeze", Op::Reshape { shape: vec![3] }, vec![m1])
        .unwrap();
    let b1 = g.add_const("b1", f32_const(vec![3], &mut rng));
    let a1 = g
        .push("add1", Op::Binary(BinaryOp::Add), vec![sq, b1])
        .unwrap();
    let zero = g.add_const("zero", f32_const(vec![1], &mut rng));
    let r = g
        .push("relu", Op::Binary(BinaryOp::Max), vec![a1, zero])
        .unwrap();
    let un = g
        .push("unsqueeze", Op::Reshape { shape: vec![1, 3] }, vec![r])
        .unwrap();
    let w2 = g.add_const("w2", f32_const(vec![3, 5], &mut rng));
    let m2 = g.push("mm2", mm(), vec![un, w2]).unwrap();
    let col = g
        .push("column", Op::Reshape { shape: vec![5, 1] }, vec![m2])
        .unwrap();
    let b2 = g.add_const("b2", f32_const(vec![5, 1], &mut rng));
    let out = g
        .push("add2", Op::Binary(BinaryOp::Add), vec![col, b2])
        .unwrap();
    g.add_output(out, "y").unwrap();
    let rep = check(&g, 1);
    let sq_new = rep.nodes.iter().find(|n| n.name == "squeeze").unwrap();
    assert_eq!(
        sq_new.op,
        Op::Reshape {
            shape: vec![3 * COPIES]
        }
    );

    // After the squeeze, axis 0 of a copy holds its 3 features: summing them mixes blocks
    // once stacked, and is refused.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let sq = g
        .push("squeeze", Op::Reshape { shape: vec![3] }, vec![x])
        .unwrap();
    let s = g
        .push(
            "sum",
            Op::Reduce {
                kind: ReduceKind::Sum,
                axes: vec![0],
                keepdims: true,
            },
            vec![sq],
        )
        .unwrap();
    g.add_output(s, "y").unwrap();
    refused(&g, "sum");
}

#[test]
fn refuses_mixing_broadcasts_gathers_and_einsums() {
    // [1, 3] + [2, 3], both batched: block rows would pair wrongly.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 3], DType::F32);
    let y = g.add_input("y", vec![2, 3], DType::F32);
    let a = g
        .push("add_mix", Op::Binary(BinaryOp::Add), vec![x, y])
        .unwrap();
    g.add_output(a, "y").unwrap();
    refused(&g, "add_mix");

    // A rank-1 batched operand against a rank-2 result.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![3], DType::F32);
    let c = g.add_const(
        "c",
        Value::F32(Tensor::new(vec![2, 3], vec![1.0; 6]).unwrap()),
    );
    let a = g
        .push("add_rank", Op::Binary(BinaryOp::Add), vec![x, c])
        .unwrap();
    g.add_output(a, "y").unwrap();
    refused(&g, "add_rank");

    let mut g = Graph::new();
    let x = g.add_input("x", vec![4, 2], DType::F32);
    let i = g.add_const("i", Value::I64(Tensor::from_vec(vec![0, 1])));
    let ga = g
        .push("gather0", Op::Gather { axis: 0 }, vec![x, i])
        .unwrap();
    g.add_output(ga, "y").unwrap();
    refused(&g, "gather0");

    let mut g = Graph::new();
    let x = g.add_input("x", vec![3, 2], DType::F32);
    let c = g.add_const(
        "c",
        Value::F32(Tensor::new(vec![2, 3], vec![1.0; 6]).unwrap()),
    );
    let e = g
        .push(
            "ein",
            Op::Einsum {
                expr: "ij,jk->ik".into(),
            },
            vec![c, x],
        )
        .unwrap();
    g.add_output(e, "y").unwrap();
    refused(&g, "ein");

    // GatherElements whose indices have fewer rows than the data: rows would shift.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 3], DType::F32);
    let i = g.add_const(
        "i",
        Value::I64(Tensor::new(vec![1, 3], vec![0, 1, 2]).unwrap()),
    );
    let ge = g
        .push("ge_rows", Op::GatherElements { axis: 1 }, vec![x, i])
        .unwrap();
    g.add_output(ge, "y").unwrap();
    refused(&g, "ge_rows");

    // A batched convolution weight.
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 1, 3, 3], DType::F32);
    let conv = Op::Conv(ConvSpec {
        strides: vec![1, 1],
        pads: vec![(0, 0), (0, 0)],
        dilations: vec![1, 1],
        group: 1,
    });
    let c = g.push("conv_xx", conv, vec![x, x]).unwrap();
    g.add_output(c, "y").unwrap();
    refused(&g, "conv_xx");
}

#[test]
fn tile_blocks_and_first_block() {
    let t = Tensor::new(vec![2, 2], vec![1i64, 2, 3, 4]).unwrap();
    let s = tile_tensor(&t, 3).unwrap();
    assert_eq!(s.shape(), &[6, 2]);
    assert_eq!(s.data(), &[1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    assert!(blocks_equal(&s, 3));
    assert!(blocks_equal(&s, 1));
    assert_eq!(first_block(&s, 3).unwrap(), t);
    assert_eq!(block(&s, 3, 2).unwrap(), t);
    assert!(matches!(
        block(&s, 3, 3),
        Err(ReplicateError::BlockIndex {
            index: 3,
            copies: 3
        })
    ));

    // Unequal blocks, non-multiples, rank 0, zero copies.
    let u = Tensor::new(vec![4, 1], vec![1.0f32, 2.0, 1.0, 2.5]).unwrap();
    assert!(blocks_equal(&u, 1));
    assert!(!blocks_equal(&u, 2));
    assert!(!blocks_equal(&u, 4));
    assert!(!blocks_equal(&u, 3));
    assert!(!blocks_equal(&u, 0));
    assert_eq!(block(&u, 2, 1).unwrap().data(), &[1.0, 2.5]);
    assert!(matches!(
        first_block(&u, 3),
        Err(ReplicateError::NotMultiple { copies: 3, .. })
    ));
    let scalar = Tensor::scalar(true);
    assert!(!blocks_equal(&scalar, 1));
    assert!(matches!(
        first_block(&scalar, 1),
        Err(ReplicateError::Scalar)
    ));
    assert!(matches!(
        tile_tensor(&scalar, 2),
        Err(ReplicateError::Scalar)
    ));
    assert!(matches!(tile_tensor(&t, 0), Err(ReplicateError::Copies(0))));

    // Empty tensors split fine.
    let empty = Tensor::<f32>::new(vec![2, 0], vec![]).unwrap();
    assert!(blocks_equal(&empty, 2));
    assert_eq!(first_block(&empty, 2).unwrap().shape(), &[1, 0]);

    // Values.
    let v = Value::Bool(Tensor::new(vec![1, 2], vec![true, false]).unwrap());
    let tv = tile(&v, 4).unwrap();
    assert_eq!(tv.shape(), &[4, 2]);
    assert!(value_blocks_equal(&tv, 4));
    assert_eq!(first_block_value(&tv, 4).unwrap(), v);
    assert!(tile(&Value::F32(Tensor::scalar(1.0)), 2).is_err());
}

/// A model on one example that reduces or normalizes over "everything", axis 0 (of size 1)
/// included, is replicated over the other axes; without keepdims (axis 0 dropped) or over an
/// axis 0 of size 2 it is refused.
#[test]
fn reductions_over_a_unit_axis_0_act_on_the_other_axes() {
    for kind in [ReduceKind::Sum, ReduceKind::Max, ReduceKind::Mean] {
        let op = Op::Reduce {
            kind,
            axes: vec![0, 1, 2],
            keepdims: true,
        };
        let r = check(&unary_graph(vec![1, 2, 3], "all", op), 0);
        assert_eq!(r.nodes[1].shape, vec![COPIES, 1, 1]);
    }
    check(
        &unary_graph(vec![1, 4], "sm", Op::Softmax { axes: vec![0, 1] }),
        0,
    );
    check(
        &unary_graph(vec![1, 4], "lsm", Op::LogSoftmax { axes: vec![0, 1] }),
        0,
    );
    let dropped = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0, 1],
        keepdims: false,
    };
    refused(&unary_graph(vec![1, 3], "flat", dropped), "flat");
    let only0 = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0],
        keepdims: true,
    };
    refused(&unary_graph(vec![1, 3], "only0", only0), "only0");
    let two = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0, 1],
        keepdims: true,
    };
    refused(&unary_graph(vec![2, 3], "two", two), "two");
}

#[test]
fn stack_puts_each_part_in_its_block() {
    let a = Value::I64(Tensor::new(vec![1, 2], vec![1, 2]).unwrap());
    let b = Value::I64(Tensor::new(vec![1, 2], vec![3, 4]).unwrap());
    let s = stack(&[&a, &b, &a]).unwrap();
    assert_eq!(s.shape(), &[3, 2]);
    assert_eq!(block_value(&s, 3, 1).unwrap(), b);
    assert_eq!(stack(&[&a, &a]).unwrap(), tile(&a, 2).unwrap());
    let other = Value::F32(Tensor::new(vec![1, 2], vec![0.0, 1.0]).unwrap());
    assert!(matches!(
        stack(&[&a, &other]),
        Err(ReplicateError::Stack(_))
    ));
    let longer = Value::I64(Tensor::new(vec![1, 3], vec![1, 2, 3]).unwrap());
    assert!(matches!(
        stack(&[&a, &longer]),
        Err(ReplicateError::Stack(_))
    ));
    assert!(matches!(stack(&[]), Err(ReplicateError::Stack(_))));
}

/// A model reducing everything to one number (keepdims, then a reshape to a scalar, then an
/// element-wise step) is stacked as one element per copy; its output `[]` becomes `[copies]`.
/// A scalar from another operator, or a scalar batched operand of a rank-1 result, is refused.
#[test]
fn scalar_results_are_one_element_per_copy() {
    let mut rng = Rng(5);
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 2, 3], DType::F32);
    let sum = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0, 1, 2],
        keepdims: true,
    };
    let s = g.push("sum", sum, vec![x]).unwrap();
    let flat = g
        .push("flat", Op::Reshape { shape: vec![] }, vec![s])
        .unwrap();
    let half = g.add_const("half", f32_const(vec![], &mut rng));
    let y = g
        .push("scale", Op::Binary(BinaryOp::Mul), vec![flat, half])
        .unwrap();
    let z = g.push("act", Op::Unary(UnaryFn::Tanh), vec![y]).unwrap();
    g.add_output(z, "y").unwrap();
    let r = replicate(&g, COPIES).unwrap();
    let out = &r.nodes[r.outputs[0].node.0];
    assert_eq!(out.shape, vec![COPIES]);
    // Block `i` of the stacked output is the model's scalar on block `i` (as a `[1]` block).
    let mut rng = Rng(6);
    let blocks: Vec<Value> = (0..COPIES)
        .map(|_| random_input(&[1, 2, 3], DType::F32, 0, &mut rng))
        .collect();
    let stacked = stack(&blocks.iter().collect::<Vec<_>>()).unwrap();
    let outs = run_outputs(&r, &[stacked]).unwrap();
    for (b, block) in blocks.iter().enumerate() {
        let want = run_outputs(&g, std::slice::from_ref(block)).unwrap();
        let got = block_value(&outs[0], COPIES, b).unwrap();
        assert_eq!(got.shape(), &[1]);
        assert!((got.to_f64_vec()[0] - want[0].to_f64_vec()[0]).abs() < 1e-5);
    }
    // Back from a scalar to one element: `[] → [1, 1]` stacks as `[copies, 1]`.
    let mut g2 = g.clone();
    let back = g2
        .push("back", Op::Reshape { shape: vec![1, 1] }, vec![z])
        .unwrap();
    g2.outputs[0].node = back;
    let r2 = replicate(&g2, COPIES).unwrap();
    assert_eq!(r2.nodes[r2.outputs[0].node.0].shape, vec![COPIES, 1]);
    assert!(blocks_match(&g2, &r2, COPIES, 0));

    // A scalar from an operator that cannot keep one element per copy.
    let mut g3 = Graph::new();
    let x = g3.add_input("x", vec![1, 3], DType::F32);
    let all = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0, 1],
        keepdims: false,
    };
    let s = g3.push("all", all, vec![x]).unwrap();
    g3.add_output(s, "y").unwrap();
    refused(&g3, "all");
    // A batched scalar against a rank-1 constant.
    let mut g4 = g.clone();
    let row = g4.add_const("row", f32_const(vec![3], &mut Rng(7)));
    let wide = g4
        .push("wide", Op::Binary(BinaryOp::Add), vec![z, row])
        .unwrap();
    g4.outputs[0].node = wide;
    refused(&g4, "wide");
}
