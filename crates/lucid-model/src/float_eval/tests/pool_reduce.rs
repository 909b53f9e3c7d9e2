//! Pooling with padding, reductions, softmax and RMS norm.

use super::{assert_f, eval, f, i, try_eval};
use crate::ir::{Op, PoolSpec, ReduceKind};

fn pool3x3() -> PoolSpec {
    PoolSpec {
        kernel: vec![2, 2],
        strides: vec![1, 1],
        pads: vec![(1, 0), (1, 0)],
        dilations: vec![1, 1],
    }
}

fn grid() -> crate::tensor::Value {
    f(&[1, 1, 3, 3], &[1., 2., 3., 4., 5., 6., 7., 8., 9.])
}

#[test]
fn max_pool_with_padding() {
    let y = eval(Op::MaxPool(pool3x3()), &[grid()]);
    assert_f(&y, &[1, 1, 3, 3], &[1., 2., 3., 4., 5., 6., 7., 8., 9.]);
    let spec = PoolSpec {
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![(0, 1), (0, 1)],
        dilations: vec![1, 1],
    };
    let y = eval(Op::MaxPool(spec), &[grid()]);
    assert_f(&y, &[1, 1, 2, 2], &[5., 6., 8., 9.]);
}

#[test]
fn sum_and_average_pool_with_padding() {
    let pool = |normalize, count_include_pad| Op::SumPool {
        pool: pool3x3(),
        normalize,
        count_include_pad,
    };
    let y = eval(pool(false, false), &[grid()]);
    assert_f(
        &y,
        &[1, 1, 3, 3],
        &[1., 3., 5., 5., 12., 16., 11., 24., 28.],
    );
    let y = eval(pool(true, false), &[grid()]);
    assert_f(&y, &[1, 1, 3, 3], &[1., 1.5, 2.5, 2.5, 3., 4., 5.5, 6., 7.]);
    let y = eval(pool(true, true), &[grid()]);
    assert_f(
        &y,
        &[1, 1, 3, 3],
        &[0.25, 0.75, 1.25, 1.25, 3., 4., 2.75, 6., 7.],
    );
}

#[test]
fn pool_rejects_bad_geometry() {
    let spec = PoolSpec {
        kernel: vec![2],
        strides: vec![1, 1],
        pads: vec![(0, 0), (0, 0)],
        dilations: vec![1, 1],
    };
    assert!(try_eval(Op::MaxPool(spec), &[grid()]).is_err());
}

fn red(kind: ReduceKind, axes: &[usize], keepdims: bool) -> Op {
    Op::Reduce {
        kind,
        axes: axes.to_vec(),
        keepdims,
    }
}

#[test]
fn reductions() {
    let x = f(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    assert_f(
        &eval(red(ReduceKind::Sum, &[1], false), std::slice::from_ref(&x)),
        &[2],
        &[6., 15.],
    );
    assert_f(
        &eval(red(ReduceKind::Mean, &[0], true), std::slice::from_ref(&x)),
        &[1, 3],
        &[2.5, 3.5, 4.5],
    );
    assert_f(
        &eval(
            red(ReduceKind::Max, &[0, 1], false),
            std::slice::from_ref(&x),
        ),
        &[],
        &[6.],
    );
    assert_f(
        &eval(red(ReduceKind::Min, &[1], true), std::slice::from_ref(&x)),
        &[2, 1],
        &[1., 4.],
    );
    assert_f(
        &eval(red(ReduceKind::Prod, &[1], false), std::slice::from_ref(&x)),
        &[2],
        &[6., 120.],
    );
    assert_f(
        &eval(
            red(ReduceKind::MeanSquare, &[1], false),
            std::slice::from_ref(&x),
        ),
        &[2],
        &[14. / 3., 77. / 3.],
    );
    assert_f(
        &eval(red(ReduceKind::SumSquare, &[0], false), &[x]),
        &[3],
        &[17., 29., 45.],
    );
    let y = eval(
        red(ReduceKind::Sum, &[0], false),
        &[i(&[2, 2], &[1, 2, 3, 4])],
    );
    assert_eq!(y.as_i64().unwrap().data(), &[4, 6]);
}

#[test]
fn arg_reductions_and_ties() {
    let x = f(&[2, 3], &[1., 3., 3., 2., 1., 0.]);
    let am = |last| ReduceKind::ArgMax { select_last: last };
    let y = eval(red(am(false), &[1], false), std::slice::from_ref(&x));
    assert_eq!(y.as_i64().unwrap().data(), &[1, 0]);
    let y = eval(red(am(true), &[1], true), std::slice::from_ref(&x));
    assert_eq!(y.shape(), &[2, 1]);
    assert_eq!(y.as_i64().unwrap().data(), &[2, 0]);
    let y = eval(
        red(ReduceKind::ArgMin { select_last: false }, &[0], false),
        std::slice::from_ref(&x),
    );
    assert_eq!(y.as_i64().unwrap().data(), &[0, 1, 1]);
    assert!(try_eval(red(am(false), &[0, 1], false), &[x]).is_err());
}

#[test]
fn softmax_and_log_softmax() {
    let x = f(&[2, 3], &[1., 2., 3., 0., 0., 0.]);
    let z: f64 = [-2f64, -1., 0.].iter().map(|v| v.exp()).sum();
    let p: Vec<f32> = [-2f64, -1., 0.]
        .iter()
        .map(|v| (v.exp() / z) as f32)
        .collect();
    let y = eval(Op::Softmax { axes: vec![1] }, std::slice::from_ref(&x));
    let third = 1.0 / 3.0;
    assert_f(&y, &[2, 3], &[p[0], p[1], p[2], third, third, third]);
    let y = eval(Op::LogSoftmax { axes: vec![1] }, std::slice::from_ref(&x));
    let lp: Vec<f32> = p.iter().map(|v| v.ln()).collect();
    let l3 = third.ln();
    assert_f(&y, &[2, 3], &[lp[0], lp[1], lp[2], l3, l3, l3]);
    // Over axis 0: columns [1, 0], [2, 0], [3, 0].
    let y = eval(Op::Softmax { axes: vec![0] }, &[x]);
    let s = |d: f64| (1.0 / (1.0 + (-d).exp())) as f32;
    assert_f(
        &y,
        &[2, 3],
        &[s(1.), s(2.), s(3.), 1. - s(1.), 1. - s(2.), 1. - s(3.)],
    );
}

#[test]
fn rms_norm() {
    let y = eval(Op::RmsNorm { axis: 1, eps: 0.0 }, &[f(&[1, 2], &[3., 4.])]);
    let r = 12.5f32.sqrt();
    assert_f(&y, &[1, 2], &[3. / r, 4. / r]);
    let y = eval(Op::RmsNorm { axis: 0, eps: 1.0 }, &[f(&[2, 1], &[1., 1.])]);
    let r = 2f32.sqrt();
    assert_f(&y, &[2, 1], &[1. / r, 1. / r]);
}
