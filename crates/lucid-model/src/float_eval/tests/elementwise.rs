//! Broadcast arithmetic, comparisons, logic, select, unary functions and casts.

use super::{assert_f, b, eval, f, i, try_eval};
use crate::float_eval::elementwise::{apply_unary, erf};
use crate::ir::{BinaryOp, CmpOp, LogicOp, Op, UnaryFn};
use crate::tensor::DType;

#[test]
fn binary_broadcasting() {
    let a = f(&[2, 1], &[10., 20.]);
    let c = f(&[3], &[1., 2., 3.]);
    let y = eval(Op::Binary(BinaryOp::Sub), &[a.clone(), c.clone()]);
    assert_f(&y, &[2, 3], &[9., 8., 7., 19., 18., 17.]);
    let y = eval(Op::Binary(BinaryOp::Div), &[c.clone(), f(&[], &[2.])]);
    assert_f(&y, &[3], &[0.5, 1., 1.5]);
    let y = eval(Op::Binary(BinaryOp::Pow), &[c.clone(), f(&[1], &[2.])]);
    assert_f(&y, &[3], &[1., 4., 9.]);
    let y = eval(Op::Binary(BinaryOp::Max), &[a, c]);
    assert_f(&y, &[2, 3], &[10., 10., 10., 20., 20., 20.]);
    assert!(
        try_eval(
            Op::Binary(BinaryOp::Add),
            &[f(&[2], &[0.; 2]), f(&[3], &[0.; 3])]
        )
        .is_err()
    );
}

#[test]
fn integer_arithmetic_is_checked() {
    let y = eval(
        Op::Binary(BinaryOp::Div),
        &[i(&[2], &[7, -7]), i(&[1], &[2])],
    );
    assert_eq!(y.as_i64().unwrap().data(), &[3, -3]);
    assert!(try_eval(Op::Binary(BinaryOp::Div), &[i(&[1], &[1]), i(&[1], &[0])]).is_err());
    assert!(
        try_eval(
            Op::Binary(BinaryOp::Add),
            &[i(&[1], &[i64::MAX]), i(&[1], &[1])]
        )
        .is_err()
    );
    // Mixed dtypes and Pow on integers are rejected by shape inference.
    assert!(try_eval(Op::Binary(BinaryOp::Add), &[i(&[1], &[1]), f(&[1], &[1.])]).is_err());
    assert!(try_eval(Op::Binary(BinaryOp::Pow), &[i(&[1], &[1]), i(&[1], &[1])]).is_err());
}

#[test]
fn comparisons_logic_and_where() {
    let x = f(&[3], &[1., 2., 3.]);
    let two = f(&[], &[2.]);
    let lt = eval(Op::Compare(CmpOp::Lt), &[x.clone(), two.clone()]);
    assert_eq!(lt.as_bool().unwrap().data(), &[true, false, false]);
    let ge = eval(Op::Compare(CmpOp::Ge), &[x.clone(), two]);
    assert_eq!(ge.as_bool().unwrap().data(), &[false, true, true]);
    let eq = eval(
        Op::Compare(CmpOp::Eq),
        &[b(&[2], &[true, false]), b(&[2], &[true, true])],
    );
    assert_eq!(eq.as_bool().unwrap().data(), &[true, false]);
    assert!(
        try_eval(
            Op::Compare(CmpOp::Lt),
            &[b(&[1], &[true]), b(&[1], &[true])]
        )
        .is_err()
    );
    let p = b(&[2, 1], &[true, false]);
    let q = b(&[2], &[true, false]);
    let xor = eval(Op::Logic(LogicOp::Xor), &[p.clone(), q.clone()]);
    assert_eq!(xor.as_bool().unwrap().data(), &[false, true, true, false]);
    let and = eval(Op::Logic(LogicOp::And), &[p.clone(), q.clone()]);
    assert_eq!(and.as_bool().unwrap().data(), &[true, false, false, false]);
    let not = eval(Op::Not, std::slice::from_ref(&q));
    assert_eq!(not.as_bool().unwrap().data(), &[false, true]);
    let y = eval(Op::Where, &[p, x, f(&[1], &[-1.])]);
    assert_f(&y, &[2, 3], &[1., 2., 3., -1., -1., -1.]);
}

#[test]
fn erf_reference_values() {
    let cases = [
        (0.0, 0.0),
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (2.9, 0.999_958_902_121_900_2),
        (3.5, 0.999_999_256_901_627_7),
        (-1.0, -0.842_700_792_949_714_9),
        (6.0, 1.0),
    ];
    for (x, y) in cases {
        assert!((erf(x) - y).abs() < 1e-14, "erf({x}) = {} vs {y}", erf(x));
    }
}

#[test]
fn unary_functions() {
    let cases: &[(UnaryFn, f64, f64)] = &[
        (UnaryFn::Relu, -2.0, 0.0),
        (UnaryFn::LeakyRelu { alpha: 0.1 }, -2.0, -0.2),
        (UnaryFn::Sigmoid, 0.0, 0.5),
        (UnaryFn::Sigmoid, -800.0, 0.0),
        (
            UnaryFn::HardSigmoid {
                alpha: 0.2,
                beta: 0.5,
            },
            1.0,
            0.7,
        ),
        (UnaryFn::Tanh, 0.5, 0.462_117_157_260_009_8),
        (UnaryFn::Rsqrt, 4.0, 0.5),
        (UnaryFn::Recip, 4.0, 0.25),
        (UnaryFn::GeluExact, 1.0, 0.841_344_746_068_542_9),
        (UnaryFn::GeluTanh, 1.0, 0.841_191_990_607_477_2),
        (UnaryFn::Softplus, 0.0, std::f64::consts::LN_2),
        (UnaryFn::Softplus, 100.0, 100.0),
        (UnaryFn::Softsign, 1.0, 0.5),
        (UnaryFn::Elu { alpha: 2.0 }, -1.0, 2.0 * (-1f64).exp_m1()),
        (UnaryFn::Sign, -3.0, -1.0),
        (UnaryFn::Round, 0.5, 0.0),
        (UnaryFn::Round, 1.5, 2.0),
        (UnaryFn::Round, 2.5, 2.0),
        (UnaryFn::Round, -2.5, -2.0),
        (UnaryFn::Floor, -0.5, -1.0),
        (UnaryFn::Ceil, -0.5, 0.0),
        (
            UnaryFn::Clip {
                min: Some(-1.0),
                max: None,
            },
            -3.0,
            -1.0,
        ),
        (
            UnaryFn::Clip {
                min: Some(-1.0),
                max: Some(1.0),
            },
            3.0,
            1.0,
        ),
        (UnaryFn::Atanh, 0.5, 0.549_306_144_334_054_9),
    ];
    for &(fun, x, y) in cases {
        let got = apply_unary(fun, x);
        // Parameters are f32, so compare at f32 precision.
        assert!(
            (got - y).abs() < 1e-7 * (1.0 + y.abs()),
            "{fun:?}({x}) = {got}, expected {y}"
        );
    }
    let y = eval(Op::Unary(UnaryFn::Exp), &[f(&[2], &[0., 1.])]);
    assert_f(&y, &[2], &[1., std::f32::consts::E]);
    let y = eval(Op::Unary(UnaryFn::Abs), &[i(&[2], &[-3, 4])]);
    assert_eq!(y.as_i64().unwrap().data(), &[3, 4]);
    let y = eval(
        Op::Unary(UnaryFn::Clip {
            min: Some(-1.5),
            max: Some(2.5),
        }),
        &[i(&[3], &[-5, 0, 5])],
    );
    assert_eq!(y.as_i64().unwrap().data(), &[-1, 0, 2]);
    assert!(try_eval(Op::Unary(UnaryFn::Exp), &[i(&[1], &[1])]).is_err());
    assert!(try_eval(Op::Unary(UnaryFn::Neg), &[i(&[1], &[i64::MIN])]).is_err());
}

#[test]
fn casts() {
    let y = eval(Op::Cast { to: DType::I64 }, &[f(&[3], &[-1.7, 2.9, 0.0])]);
    assert_eq!(y.as_i64().unwrap().data(), &[-1, 2, 0]);
    let y = eval(Op::Cast { to: DType::Bool }, &[f(&[2], &[0.0, 0.1])]);
    assert_eq!(y.as_bool().unwrap().data(), &[false, true]);
    let y = eval(Op::Cast { to: DType::F32 }, &[b(&[2], &[true, false])]);
    assert_f(&y, &[2], &[1., 0.]);
    let y = eval(Op::Identity, &[i(&[1], &[7])]);
    assert_eq!(y.as_i64().unwrap().data(), &[7]);
}
