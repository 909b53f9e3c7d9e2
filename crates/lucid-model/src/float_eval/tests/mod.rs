//! Hand-computed cases for every operator family of the float interpreter.

mod elementwise;
mod index;
mod linear;
mod pool_reduce;
mod shape;

use super::{EvalError, run, run_outputs};
use crate::ir::{Graph, Op};
use crate::tensor::{Tensor, Value};

/// An f32 tensor.
pub(super) fn f(shape: &[usize], data: &[f32]) -> Value {
    Value::F32(Tensor::new(shape.to_vec(), data.to_vec()).unwrap())
}

/// An i64 tensor.
pub(super) fn i(shape: &[usize], data: &[i64]) -> Value {
    Value::I64(Tensor::new(shape.to_vec(), data.to_vec()).unwrap())
}

/// A bool tensor.
pub(super) fn b(shape: &[usize], data: &[bool]) -> Value {
    Value::Bool(Tensor::new(shape.to_vec(), data.to_vec()).unwrap())
}

/// Evaluates `op` on graph inputs carrying `args`; the error if construction or evaluation
/// fails.
pub(super) fn try_eval(op: Op, args: &[Value]) -> Result<Value, EvalError> {
    let mut g = Graph::new();
    let ids: Vec<_> = args
        .iter()
        .enumerate()
        .map(|(k, v)| g.add_input(format!("in{k}"), v.shape().to_vec(), v.dtype()))
        .collect();
    let y = g.push("the_node", op, ids)?;
    g.add_output(y, "y")?;
    let mut out = run_outputs(&g, args)?;
    Ok(out.remove(0))
}

/// Evaluates `op` and unwraps.
pub(super) fn eval(op: Op, args: &[Value]) -> Value {
    try_eval(op, args).unwrap()
}

/// Asserts an f32 result has this shape and data (to 1e-5 relative).
pub(super) fn assert_f(v: &Value, shape: &[usize], data: &[f32]) {
    let t = v.as_f32().unwrap();
    assert_eq!(t.shape(), shape, "shape");
    assert_eq!(t.len(), data.len(), "len");
    for (k, (x, y)) in t.data().iter().zip(data).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
            "element {k}: got {x}, expected {y}\nall: {:?}",
            t.data()
        );
    }
}

/// A deterministic pseudo-random f32 vector in [-1, 1).
pub(super) fn rnd(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn run_returns_every_tensor_and_checks_inputs() {
    use crate::ir::{BinaryOp, UnaryFn};
    use crate::tensor::DType;
    let mut g = Graph::new();
    let x = g.add_input("x", vec![2], DType::F32);
    let c = g.add_const("c", f(&[2], &[1.0, -5.0]));
    let s = g
        .push("add", Op::Binary(BinaryOp::Add), vec![x, c])
        .unwrap();
    let r = g.push("relu", Op::Unary(UnaryFn::Relu), vec![s]).unwrap();
    g.add_output(r, "y").unwrap();
    let all = run(&g, &[f(&[2], &[1.0, 2.0])]).unwrap();
    assert_eq!(all.len(), 4);
    assert_f(&all[2], &[2], &[2.0, -3.0]);
    assert_f(&all[3], &[2], &[2.0, 0.0]);
    // Wrong shape, dtype and count of input values.
    assert!(matches!(
        run(&g, &[f(&[3], &[1.0, 2.0, 3.0])]),
        Err(EvalError::InputMismatch { index: 0, .. })
    ));
    assert!(matches!(
        run(&g, &[i(&[2], &[1, 2])]),
        Err(EvalError::InputMismatch { .. })
    ));
    assert!(matches!(run(&g, &[]), Err(EvalError::InputCount { .. })));
}

#[test]
fn value_errors_name_the_node() {
    let err = try_eval(
        Op::Gather { axis: 0 },
        &[f(&[2], &[1.0, 2.0]), i(&[1], &[5])],
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("the_node") && msg.contains("Gather"), "{msg}");
}

#[test]
fn constant_folding_preserves_outputs() {
    use super::fold_constants;
    use crate::ir::{BinaryOp, UnaryFn};
    use crate::tensor::DType;
    let mut g = Graph::new();
    let x = g.add_input("x", vec![3], DType::F32);
    let c = g.add_const("c", f(&[3], &[1.0, 4.0, 9.0]));
    let s = g.push("sqrt", Op::Unary(UnaryFn::Sqrt), vec![c]).unwrap();
    let k = g.add_const("k", i(&[], &[2]));
    let kf = g
        .push("cast", Op::Cast { to: DType::F32 }, vec![k])
        .unwrap();
    let m = g
        .push("mul", Op::Binary(BinaryOp::Mul), vec![s, kf])
        .unwrap();
    let y = g
        .push("add", Op::Binary(BinaryOp::Add), vec![x, m])
        .unwrap();
    // A large broadcast of a scalar is not folded.
    let one = g.add_const("one", f(&[], &[1.0]));
    let big = g
        .push(
            "big",
            Op::Broadcast {
                shape: vec![100, 100],
            },
            vec![one],
        )
        .unwrap();
    let red = Op::Reduce {
        kind: crate::ir::ReduceKind::Sum,
        axes: vec![0, 1],
        keepdims: false,
    };
    let total = g.push("total", red, vec![big]).unwrap();
    g.add_output(y, "y").unwrap();
    g.add_output(total, "total").unwrap();
    let folded = fold_constants(&g).unwrap();
    let stats = folded.stats();
    assert_eq!(stats.op_counts.get("Sqrt"), None);
    assert_eq!(stats.op_counts.get("Cast"), None);
    assert_eq!(stats.op_counts["Broadcast"], 1);
    let input = [f(&[3], &[0.5, 0.5, 0.5])];
    let before = run_outputs(&g, &input).unwrap();
    let after = run_outputs(&folded, &input).unwrap();
    assert_eq!(before, after);
    assert_f(&after[0], &[3], &[2.5, 4.5, 6.5]);
    assert_f(&after[1], &[], &[10000.0]);
}
