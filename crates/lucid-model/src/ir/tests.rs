//! Graph construction, validation, serialization and statistics.

use super::*;
use crate::tensor::Tensor;

fn mlp() -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 4], DType::F32);
    let w = g.add_const(
        "w",
        Value::F32(Tensor::new(vec![4, 3], vec![0.5; 12]).unwrap()),
    );
    let bias = g.add_const("b", Value::F32(Tensor::new(vec![3], vec![1.0; 3]).unwrap()));
    let m = g
        .push(
            "gemm",
            Op::MatMul {
                transpose_a: false,
                transpose_b: false,
            },
            vec![x, w],
        )
        .unwrap();
    let a = g
        .push("add", Op::Binary(BinaryOp::Add), vec![m, bias])
        .unwrap();
    let r = g.push("relu", Op::Unary(UnaryFn::Relu), vec![a]).unwrap();
    let rs = g
        .push(
            "rs",
            Op::Reshape {
                shape: vec![1, 1, 3],
            },
            vec![r],
        )
        .unwrap();
    let k = g.add_const(
        "k",
        Value::F32(Tensor::new(vec![2, 1, 3], vec![1.0; 6]).unwrap()),
    );
    let conv = Op::Conv(ConvSpec {
        strides: vec![1],
        pads: vec![(1, 1)],
        dilations: vec![1],
        group: 1,
    });
    let c = g.push("conv", conv, vec![rs, k]).unwrap();
    g.add_output(c, "y").unwrap();
    g
}

#[test]
fn push_infers_and_validate_accepts() {
    let g = mlp();
    g.validate().unwrap();
    let last = g.nodes.last().unwrap();
    assert_eq!(last.shape, vec![1, 2, 3]);
    assert_eq!(last.dtype, DType::F32);
    assert_eq!(g.use_counts()[last_id(&g)], 1);
}

fn last_id(g: &Graph) -> usize {
    g.nodes.len() - 1
}

#[test]
fn push_errors_name_node_and_op() {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2, 3], DType::F32);
    let y = g.add_input("y", vec![4, 3], DType::F32);
    let err = g
        .push("bad_add", Op::Binary(BinaryOp::Add), vec![x, y])
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad_add") && msg.contains("Add"), "{msg}");
    let err = g
        .push("fwd", Op::Unary(UnaryFn::Relu), vec![NodeId(99)])
        .unwrap_err();
    assert!(matches!(err, IrError::BadInputRef { target: 99, .. }));
    let err = g.push("few", Op::Where, vec![x]).unwrap_err();
    assert!(matches!(
        err,
        IrError::Node {
            source: OpError::InputCount { got: 1, .. },
            ..
        }
    ));
    let err = g.push("i", Op::Input { index: 0 }, vec![]).unwrap_err();
    assert!(matches!(err, IrError::BadInput { .. }));
}

#[test]
fn validate_rejects_tampered_graphs() {
    let g = mlp();
    // A stored shape that disagrees with inference.
    let mut bad = g.clone();
    bad.nodes[4].shape = vec![1, 4];
    assert!(matches!(
        bad.validate(),
        Err(IrError::StaleShape { index: 4, .. })
    ));
    // A forward reference (not topological).
    let mut bad = g.clone();
    bad.nodes[3].inputs[0] = NodeId(5);
    assert!(matches!(
        bad.validate(),
        Err(IrError::BadInputRef { index: 3, .. })
    ));
    // An operator parameter made invalid.
    let mut bad = g.clone();
    if let Op::Conv(spec) = &mut bad.nodes.last_mut().unwrap().op {
        spec.group = 0;
    }
    assert!(matches!(
        bad.validate(),
        Err(IrError::Node { op: "Conv", .. })
    ));
    // A missing output node, a duplicated Input node, an unread input.
    let mut bad = g.clone();
    bad.outputs[0].node = NodeId(1000);
    assert!(matches!(bad.validate(), Err(IrError::BadOutput { .. })));
    let mut bad = g.clone();
    bad.nodes[1] = bad.nodes[0].clone();
    assert!(bad.validate().is_err());
    let mut bad = g.clone();
    bad.inputs.push(GraphInput {
        name: "extra".into(),
        shape: vec![1],
        dtype: DType::F32,
    });
    assert!(matches!(
        bad.validate(),
        Err(IrError::BadInput { index: 1, .. })
    ));
    // A constant whose stored type was changed.
    let mut bad = g;
    bad.nodes[1].dtype = DType::I64;
    assert!(bad.validate().is_err());
}

#[test]
fn serde_round_trip_and_checked_tensors() {
    let g = mlp();
    let json = serde_json::to_string(&g).unwrap();
    let back: Graph = serde_json::from_str(&json).unwrap();
    assert_eq!(back, g);
    back.validate().unwrap();
    // A constant whose data length does not match its shape fails to deserialize.
    let broken = json.replacen("[0.5,0.5,0.5,", "[0.5,0.5,", 1);
    assert!(serde_json::from_str::<Graph>(&broken).is_err());
}

#[test]
fn stats_count_ops_params_and_macs() {
    let s = mlp().stats();
    assert_eq!(s.op_counts["Const"], 3);
    assert_eq!(s.op_counts["MatMul"], 1);
    assert_eq!(s.params, 12 + 3 + 6);
    // MatMul 1·3·4 = 12; Conv: 2 channels × 3 positions × 3 taps = 18.
    assert_eq!(s.nodes[3].macs, 12);
    assert_eq!(s.macs, 12 + 18);
    let mut g = Graph::new();
    let a = g.add_input("a", vec![2, 3], DType::F32);
    let b = g.add_input("b", vec![3, 5], DType::F32);
    g.push(
        "e",
        Op::Einsum {
            expr: "ij,jk->ik".into(),
        },
        vec![a, b],
    )
    .unwrap();
    assert_eq!(g.stats().macs, 30);
}

#[test]
fn inference_edge_cases() {
    let f = |shape: &[usize]| TensorFact::new(shape.to_vec(), DType::F32);
    let op = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![0, 2],
        keepdims: false,
    };
    assert_eq!(op.infer(&[f(&[2, 3, 4])]).unwrap().shape, vec![3]);
    let op = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![3],
        keepdims: false,
    };
    assert!(matches!(
        op.infer(&[f(&[2, 3, 4])]),
        Err(OpError::Axis { axis: 3, .. })
    ));
    let op = Op::Gather { axis: 1 };
    let idx = TensorFact::new(vec![5, 6], DType::I64);
    assert_eq!(
        op.infer(&[f(&[2, 3, 4]), idx]).unwrap().shape,
        vec![2, 5, 6, 4]
    );
    let op = Op::OneHot {
        axis: 1,
        depth: 7,
        on: 1.0,
        off: 0.0,
        dtype: DType::F32,
    };
    let idx = TensorFact::new(vec![2, 3], DType::I64);
    assert_eq!(op.infer(&[idx]).unwrap().shape, vec![2, 7, 3]);
    let op = Op::Deconv(DeconvSpec {
        strides: vec![2, 2],
        pads: vec![(1, 1), (0, 0)],
        dilations: vec![1, 1],
        output_padding: vec![1, 0],
        group: 1,
    });
    let out = op.infer(&[f(&[1, 3, 4, 4]), f(&[3, 5, 3, 3])]).unwrap();
    assert_eq!(out.shape, vec![1, 5, 8, 9]);
    assert_eq!(slice_range(5, 0, -1, 1).unwrap(), (0, 4));
    assert_eq!(window_out(5, 3, 2, 1, (1, 1)).unwrap(), 3);
    assert!(window_out(2, 3, 1, 1, (0, 0)).is_err());
}

#[test]
fn hostile_parameters_are_errors_not_panics() {
    let f = |shape: &[usize]| TensorFact::new(shape.to_vec(), DType::F32);
    let x = f(&[1, 2, 4, 4]);
    let conv = |group, pads, dil| {
        Op::Conv(ConvSpec {
            strides: vec![1, 1],
            pads: vec![pads, (0, 0)],
            dilations: vec![dil, 1],
            group,
        })
    };
    let w = f(&[2, 1, 2, 2]);
    assert!(
        conv(usize::MAX, (0, 0), 1)
            .infer(&[x.clone(), w.clone()])
            .is_err()
    );
    assert!(
        conv(2, (usize::MAX, 1), 1)
            .infer(&[x.clone(), w.clone()])
            .is_err()
    );
    assert!(conv(2, (0, 0), usize::MAX).infer(&[x.clone(), w]).is_err());
    let up = Op::NearestUpsample {
        factors: vec![usize::MAX, 2, 1, 1],
    };
    assert!(up.infer(std::slice::from_ref(&x)).is_err());
    let big = Op::Reshape {
        shape: vec![usize::MAX, 2],
    };
    assert!(big.infer(std::slice::from_ref(&x)).is_err());
    for step in [i64::MIN, i64::MAX, -1, 1] {
        let sl = Op::Slice {
            axis: 2,
            start: i64::MIN,
            end: i64::MAX,
            step,
        };
        let out = sl.infer(std::slice::from_ref(&x)).unwrap();
        assert!(out.shape[2] <= 4);
    }
}

#[test]
fn mutated_serialized_graphs_never_panic() {
    let json = serde_json::to_string(&mlp()).unwrap();
    let bytes = json.as_bytes();
    let mut accepted = 0;
    for (pos, &c) in bytes.iter().enumerate() {
        if !c.is_ascii_digit() {
            continue;
        }
        for replacement in ["0", "7", "99", "1000"] {
            let mutated = format!("{}{}{}", &json[..pos], replacement, &json[pos + 1..]);
            let Ok(g) = serde_json::from_str::<Graph>(&mutated) else {
                continue;
            };
            if g.validate().is_ok() {
                accepted += 1;
                let _ = g.stats();
                let inputs: Vec<Value> = g
                    .inputs
                    .iter()
                    .filter_map(|i| Tensor::zeros(i.shape.clone()).ok().map(Value::F32))
                    .collect();
                let _ = crate::float_eval::run(&g, &inputs);
            }
        }
    }
    assert!(accepted > 0);
}

#[test]
fn prune_keeps_inputs_and_live_nodes() {
    let mut g = mlp();
    let x = NodeId(0);
    // A dead branch and a second, unused input.
    let dead = g.push("dead", Op::Unary(UnaryFn::Exp), vec![x]).unwrap();
    g.push("dead2", Op::Unary(UnaryFn::Neg), vec![dead])
        .unwrap();
    let z = g.add_input("z", vec![2], DType::F32);
    g.add_output(NodeId(5), "relu_out").unwrap();
    let p = g.prune();
    p.validate().unwrap();
    assert_eq!(p.nodes.len(), g.nodes.len() - 2);
    assert_eq!(p.inputs.len(), 2);
    assert!(
        p.nodes
            .iter()
            .all(|n| n.name != "dead" && n.name != "dead2")
    );
    assert_eq!(p.nodes[p.outputs[1].node.0].name, "relu");
    assert_eq!(p.nodes.last().unwrap().op, g.nodes[z.0].op);
    assert_eq!(g.consumers()[0], vec![NodeId(3), dead]);
}
