//! Gather, GatherElements, ScatterElements, OneHot and TopK.

use super::{assert_f, eval, f, i, try_eval};
use crate::ir::{Op, ScatterReduction, TopKOutput};
use crate::tensor::DType;

#[test]
fn gather() {
    let data = f(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    let y = eval(
        Op::Gather { axis: 0 },
        &[data.clone(), i(&[2, 2], &[0, 2, -1, 1])],
    );
    assert_f(&y, &[2, 2, 2], &[1., 2., 5., 6., 5., 6., 3., 4.]);
    let y = eval(Op::Gather { axis: 1 }, &[data.clone(), i(&[1], &[1])]);
    assert_f(&y, &[3, 1], &[2., 4., 6.]);
    let y = eval(Op::Gather { axis: 1 }, &[data.clone(), i(&[], &[0])]);
    assert_f(&y, &[3], &[1., 3., 5.]);
    assert!(try_eval(Op::Gather { axis: 0 }, &[data.clone(), i(&[1], &[3])]).is_err());
    assert!(try_eval(Op::Gather { axis: 0 }, &[data, i(&[1], &[-4])]).is_err());
}

#[test]
fn gather_elements() {
    let data = f(&[2, 2], &[1., 2., 3., 4.]);
    let y = eval(
        Op::GatherElements { axis: 1 },
        &[data.clone(), i(&[2, 2], &[0, 0, 1, 0])],
    );
    assert_f(&y, &[2, 2], &[1., 1., 4., 3.]);
    let y = eval(
        Op::GatherElements { axis: 0 },
        &[data.clone(), i(&[1, 2], &[1, 0])],
    );
    assert_f(&y, &[1, 2], &[3., 2.]);
    assert!(try_eval(Op::GatherElements { axis: 0 }, &[data, i(&[1, 2], &[2, 0])]).is_err());
}

#[test]
fn scatter_elements() {
    let op = |axis, reduction| Op::ScatterElements { axis, reduction };
    let data = f(&[3, 3], &[0.; 9]);
    let idx = i(&[2, 3], &[1, 0, 2, 0, 2, 1]);
    let upd = f(&[2, 3], &[1.0, 1.1, 1.2, 2.0, 2.1, 2.2]);
    let y = eval(op(0, ScatterReduction::None), &[data, idx, upd]);
    assert_f(&y, &[3, 3], &[2.0, 1.1, 0.0, 1.0, 0.0, 2.2, 0.0, 2.1, 1.2]);
    let data = f(&[1, 5], &[1., 2., 3., 4., 5.]);
    let y = eval(
        op(1, ScatterReduction::Add),
        &[data.clone(), i(&[1, 2], &[1, 1]), f(&[1, 2], &[1.1, 2.1])],
    );
    assert_f(&y, &[1, 5], &[1., 5.2, 3., 4., 5.]);
    let y = eval(
        op(1, ScatterReduction::Max),
        &[data, i(&[1, 2], &[0, -1]), f(&[1, 2], &[0., 9.])],
    );
    assert_f(&y, &[1, 5], &[1., 2., 3., 4., 9.]);
}

#[test]
fn one_hot() {
    let op = |axis| Op::OneHot {
        axis,
        depth: 3,
        on: 1.0,
        off: 0.0,
        dtype: DType::F32,
    };
    let idx = i(&[3], &[0, 2, -1]);
    let y = eval(op(1), std::slice::from_ref(&idx));
    assert_f(&y, &[3, 3], &[1., 0., 0., 0., 0., 1., 0., 0., 1.]);
    let y = eval(op(0), std::slice::from_ref(&idx));
    assert_f(&y, &[3, 3], &[1., 0., 0., 0., 0., 0., 0., 1., 1.]);
    let y = eval(
        Op::OneHot {
            axis: 1,
            depth: 2,
            on: 5.0,
            off: -1.0,
            dtype: DType::I64,
        },
        &[i(&[2], &[1, 7])],
    );
    assert_eq!(y.as_i64().unwrap().data(), &[-1, 5, -1, -1]);
}

#[test]
fn top_k_sorted_with_ties() {
    let op = |k, largest, output| Op::TopK {
        axis: 1,
        k,
        largest,
        output,
    };
    let x = f(&[2, 4], &[1., 3., 2., 3., 0., -1., 5., 0.]);
    let v = eval(op(2, true, TopKOutput::Values), std::slice::from_ref(&x));
    assert_f(&v, &[2, 2], &[3., 3., 5., 0.]);
    let ix = eval(op(2, true, TopKOutput::Indices), std::slice::from_ref(&x));
    assert_eq!(ix.as_i64().unwrap().data(), &[1, 3, 2, 0]);
    let ix = eval(op(3, false, TopKOutput::Indices), std::slice::from_ref(&x));
    assert_eq!(ix.as_i64().unwrap().data(), &[0, 2, 1, 1, 0, 3]);
    assert!(try_eval(op(5, true, TopKOutput::Values), &[x]).is_err());
    // Along axis 0 of an integer tensor.
    let y = eval(
        Op::TopK {
            axis: 0,
            k: 1,
            largest: true,
            output: TopKOutput::Values,
        },
        &[i(&[2, 2], &[1, 9, 4, 2])],
    );
    assert_eq!(y.as_i64().unwrap().data(), &[4, 9]);
}
