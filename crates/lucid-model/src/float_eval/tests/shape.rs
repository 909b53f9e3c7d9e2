//! Reshape, transpose, broadcast, concat, slice, pad and upsample.

use super::{assert_f, b, eval, f, i, try_eval};
use crate::ir::{Op, PadMode};

#[test]
fn reshape_transpose_broadcast() {
    let x = f(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let y = eval(Op::Reshape { shape: vec![3, 2] }, std::slice::from_ref(&x));
    assert_f(&y, &[3, 2], &[1., 2., 3., 4., 5., 6.]);
    assert!(try_eval(Op::Reshape { shape: vec![4] }, std::slice::from_ref(&x)).is_err());
    let y = eval(Op::Transpose { perm: vec![1, 0] }, std::slice::from_ref(&x));
    assert_f(&y, &[3, 2], &[1., 4., 2., 5., 3., 6.]);
    let x3 = i(&[2, 1, 3], &[1, 2, 3, 4, 5, 6]);
    let y = eval(
        Op::Transpose {
            perm: vec![2, 0, 1],
        },
        &[x3],
    );
    assert_eq!(y.shape(), &[3, 2, 1]);
    assert_eq!(y.as_i64().unwrap().data(), &[1, 4, 2, 5, 3, 6]);
    assert!(try_eval(Op::Transpose { perm: vec![0, 0] }, &[x]).is_err());
    let y = eval(
        Op::Broadcast { shape: vec![2, 2] },
        &[b(&[2, 1], &[true, false])],
    );
    assert_eq!(y.as_bool().unwrap().data(), &[true, true, false, false]);
}

#[test]
fn concat() {
    let a = f(&[2, 1], &[1., 2.]);
    let c = f(&[2, 2], &[3., 4., 5., 6.]);
    let y = eval(Op::Concat { axis: 1 }, &[a.clone(), c.clone()]);
    assert_f(&y, &[2, 3], &[1., 3., 4., 2., 5., 6.]);
    let y = eval(Op::Concat { axis: 0 }, &[c.clone(), c.clone()]);
    assert_f(&y, &[4, 2], &[3., 4., 5., 6., 3., 4., 5., 6.]);
    assert!(try_eval(Op::Concat { axis: 0 }, &[a, c]).is_err());
}

#[test]
fn slices_with_onnx_semantics() {
    let x = i(&[6], &[0, 1, 2, 3, 4, 5]);
    let sl = |start, end, step| Op::Slice {
        axis: 0,
        start,
        end,
        step,
    };
    let run = |op| {
        eval(op, std::slice::from_ref(&x))
            .as_i64()
            .unwrap()
            .data()
            .to_vec()
    };
    assert_eq!(run(sl(1, 100, 2)), vec![1, 3, 5]);
    assert_eq!(run(sl(-1, -100, -2)), vec![5, 3, 1]);
    assert_eq!(run(sl(-2, i64::MAX, 1)), vec![4, 5]);
    assert_eq!(run(sl(4, 2, 1)), Vec::<i64>::new());
    assert_eq!(run(sl(i64::MAX, i64::MIN, -1)), vec![5, 4, 3, 2, 1, 0]);
    assert!(try_eval(sl(0, 1, 0), std::slice::from_ref(&x)).is_err());
    let m = f(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let op = Op::Slice {
        axis: 1,
        start: 1,
        end: 3,
        step: 1,
    };
    assert_f(&eval(op, &[m]), &[2, 2], &[2., 3., 5., 6.]);
}

#[test]
fn pad_modes() {
    let x = f(&[3], &[1., 2., 3.]);
    let pad = |mode| Op::Pad {
        pads: vec![(2, 1)],
        mode,
        value: 0.5,
    };
    assert_f(
        &eval(pad(PadMode::Constant), std::slice::from_ref(&x)),
        &[6],
        &[0.5, 0.5, 1., 2., 3., 0.5],
    );
    assert_f(
        &eval(pad(PadMode::Reflect), std::slice::from_ref(&x)),
        &[6],
        &[3., 2., 1., 2., 3., 2.],
    );
    assert_f(
        &eval(pad(PadMode::Edge), std::slice::from_ref(&x)),
        &[6],
        &[1., 1., 1., 2., 3., 3.],
    );
    let too_far = Op::Pad {
        pads: vec![(3, 0)],
        mode: PadMode::Reflect,
        value: 0.0,
    };
    assert!(try_eval(too_far, &[x]).is_err());
    let m = i(&[2, 2], &[1, 2, 3, 4]);
    let op = Op::Pad {
        pads: vec![(1, 0), (0, 1)],
        mode: PadMode::Constant,
        value: -1.0,
    };
    let y = eval(op, &[m]);
    assert_eq!(y.shape(), &[3, 3]);
    assert_eq!(
        y.as_i64().unwrap().data(),
        &[-1, -1, -1, 1, 2, -1, 3, 4, -1]
    );
}

#[test]
fn nearest_upsample() {
    let y = eval(
        Op::NearestUpsample {
            factors: vec![1, 2, 2],
        },
        &[f(&[1, 1, 2], &[1., 2.])],
    );
    assert_f(&y, &[1, 2, 4], &[1., 1., 2., 2., 1., 1., 2., 2.]);
}
