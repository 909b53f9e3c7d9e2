//! Tests of the arithmetic operators: MatMul, Conv, Add, Sub, Mul, Requant.

use lucid_model::ir::{ConvSpec, DeconvSpec, Op, PoolSpec};
use lucid_model::quant::QOp;
use lucid_model::quant::fixed::Rounding;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{case, rand_tensor};
use crate::layers::LayerError;

fn matmul(seed: u64, a: &[usize], b: &[usize], ta: bool, tb: bool, out: &[usize]) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let op = QOp::MatMul {
        transpose_a: ta,
        transpose_b: tb,
    };
    let c = case(
        op,
        vec![rand_tensor(&mut rng, a), rand_tensor(&mut rng, b)],
        out,
    );
    c.check(seed);
}

#[test]
fn matmul_2d_and_gemm_forms() {
    matmul(1, &[3, 5], &[5, 6], false, false, &[3, 6]);
    matmul(2, &[1, 64], &[64, 32], false, false, &[1, 32]);
    matmul(3, &[1, 5], &[3, 5], false, true, &[1, 3]);
    matmul(4, &[5, 3], &[5, 6], true, false, &[3, 6]);
    matmul(5, &[4, 3], &[2, 4], true, true, &[3, 2]);
    matmul(6, &[1, 1], &[1, 1], false, false, &[1, 1]);
}

#[test]
fn matmul_batched_with_broadcast() {
    matmul(7, &[2, 3, 4], &[2, 4, 5], false, false, &[2, 3, 5]);
    matmul(8, &[2, 1, 3, 5], &[3, 5, 2], false, false, &[2, 3, 3, 2]);
    matmul(9, &[3, 2, 5], &[6, 5], false, true, &[3, 2, 6]);
    matmul(10, &[3, 5], &[2, 5, 3], false, false, &[2, 3, 3]);
}

fn conv(seed: u64, x: &[usize], w: &[usize], bias: bool, spec: ConvSpec, out: &[usize]) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut ops = vec![rand_tensor(&mut rng, x), rand_tensor(&mut rng, w)];
    if bias {
        ops.push(rand_tensor(&mut rng, &[w[0]]));
    }
    case(QOp::Conv(spec), ops, out).check(seed);
}

#[test]
fn conv_1d_and_2d() {
    let spec = ConvSpec {
        strides: vec![2],
        pads: vec![(1, 1)],
        dilations: vec![1],
        group: 1,
    };
    conv(11, &[1, 2, 7], &[3, 2, 3], true, spec, &[1, 3, 4]);
    let spec = ConvSpec {
        strides: vec![1, 1],
        pads: vec![(0, 0); 2],
        dilations: vec![1, 1],
        group: 1,
    };
    conv(12, &[1, 1, 4, 4], &[2, 1, 3, 3], false, spec, &[1, 2, 2, 2]);
    // Stride, asymmetric pads, dilation, batch of 2.
    let spec = ConvSpec {
        strides: vec![1, 2],
        pads: vec![(1, 0), (0, 1)],
        dilations: vec![2, 1],
        group: 1,
    };
    conv(13, &[2, 3, 5, 6], &[4, 3, 3, 2], true, spec, &[2, 4, 2, 3]);
}

#[test]
fn conv_grouped_and_depthwise() {
    let spec = ConvSpec {
        strides: vec![1, 1],
        pads: vec![(1, 1); 2],
        dilations: vec![1, 1],
        group: 2,
    };
    conv(14, &[1, 4, 5, 5], &[6, 2, 3, 3], false, spec, &[1, 6, 5, 5]);
    let spec = ConvSpec {
        strides: vec![2, 2],
        pads: vec![(1, 1); 2],
        dilations: vec![1, 1],
        group: 3,
    };
    conv(15, &[1, 3, 6, 6], &[3, 1, 3, 3], true, spec, &[1, 3, 3, 3]);
}

fn deconv(seed: u64, x: &[usize], w: &[usize], bias: bool, spec: DeconvSpec, out: &[usize]) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let o = w[1] * spec.group;
    let mut ops = vec![rand_tensor(&mut rng, x), rand_tensor(&mut rng, w)];
    if bias {
        ops.push(rand_tensor(&mut rng, &[o]));
    }
    case(QOp::Deconv(spec), ops, out).check(seed);
}

#[test]
fn deconv_strided_cropped_grouped() {
    let spec = DeconvSpec {
        strides: vec![2],
        pads: vec![(0, 0)],
        dilations: vec![1],
        output_padding: vec![0],
        group: 1,
    };
    deconv(16, &[1, 2, 3], &[2, 3, 2], true, spec, &[1, 3, 6]);
    let spec = DeconvSpec {
        strides: vec![2, 1],
        pads: vec![(1, 0), (0, 1)],
        dilations: vec![1, 2],
        output_padding: vec![1, 0],
        group: 1,
    };
    deconv(17, &[2, 3, 3, 4], &[3, 2, 3, 2], false, spec, &[2, 2, 7, 5]);
    let spec = DeconvSpec {
        strides: vec![2, 2],
        pads: vec![(1, 1); 2],
        dilations: vec![1, 1],
        output_padding: vec![1, 1],
        group: 2,
    };
    deconv(18, &[1, 4, 3, 3], &[4, 3, 3, 3], true, spec, &[1, 6, 6, 6]);
}

#[test]
fn einsum_products_and_reductions() {
    let mut rng = SmallRng::seed_from_u64(19);
    let mut e = |expr: &str, shapes: &[&[usize]], out: &[usize], seed| {
        let ops = shapes.iter().map(|s| rand_tensor(&mut rng, s)).collect();
        case(QOp::Einsum { expr: expr.into() }, ops, out).check(seed);
    };
    e("ij,jk->ik", &[&[3, 5], &[5, 2]], &[3, 2], 191);
    e("bqd,bkd->bqk", &[&[2, 3, 5], &[2, 4, 5]], &[2, 3, 4], 192);
    e("ij,ij->i", &[&[3, 5], &[3, 5]], &[3], 193);
    e("i,j->ji", &[&[3], &[5]], &[5, 3], 194);
    e("abc,cd->db", &[&[2, 3, 5], &[5, 3]], &[3, 3], 195);
    e("ijk->ki", &[&[3, 2, 5]], &[5, 3], 196);
    e("ij->", &[&[3, 5]], &[], 197);
    assert!(!crate::layers::einsum::supported("ii->i"));
    assert!(!crate::layers::einsum::supported("ij,jk,kl->il"));
}

fn binary(seed: u64, op: QOp, a: &[usize], b: &[usize], out: &[usize]) {
    let mut rng = SmallRng::seed_from_u64(seed);
    case(
        op,
        vec![rand_tensor(&mut rng, a), rand_tensor(&mut rng, b)],
        out,
    )
    .check(seed);
}

#[test]
fn add_sub_with_shifts_and_broadcast() {
    binary(21, QOp::Add { shifts: [0, 0] }, &[3, 5], &[3, 5], &[3, 5]);
    binary(22, QOp::Add { shifts: [0, 2] }, &[2, 3], &[3], &[2, 3]);
    binary(23, QOp::Add { shifts: [3, 0] }, &[1, 5], &[5], &[1, 5]);
    binary(24, QOp::Sub { shifts: [1, 0] }, &[3, 1], &[1, 4], &[3, 4]);
    binary(25, QOp::Sub { shifts: [0, 0] }, &[], &[2, 3], &[2, 3]);
}

#[test]
fn mul_with_broadcast() {
    binary(31, QOp::Mul, &[4], &[4], &[4]);
    binary(32, QOp::Mul, &[2, 3, 5], &[3, 1], &[2, 3, 5]);
    binary(33, QOp::Mul, &[3, 1], &[1, 6], &[3, 6]);
}

#[test]
fn requant_without_rounding() {
    let mut rng = SmallRng::seed_from_u64(41);
    for shift in [0, -3] {
        let op = QOp::Requant {
            shift,
            rounding: Rounding::HalfUp,
            lo: -1 << 40,
            hi: 1 << 40,
        };
        case(op, vec![rand_tensor(&mut rng, &[3, 5])], &[3, 5]).check(41);
    }
}

#[test]
fn non_layer_ops_are_typed_errors() {
    let mut rng = SmallRng::seed_from_u64(42);
    let x = rand_tensor(&mut rng, &[1, 1, 4, 4]);
    let spec = PoolSpec {
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![(0, 0); 2],
        dilations: vec![1, 1],
    };
    let c = case(QOp::Exact(Op::MaxPool(spec)), vec![x], &[1, 1, 2, 2]);
    let claim = c.claim(&mut rng);
    assert!(matches!(
        c.prove(&claim),
        Err(LayerError::Unsupported { op: "MaxPool", .. })
    ));
    let op = QOp::Requant {
        shift: 2,
        rounding: Rounding::HalfUp,
        lo: -100,
        hi: 100,
    };
    let c = case(op, vec![rand_tensor(&mut rng, &[4])], &[4]);
    let claim = c.claim(&mut rng);
    assert!(matches!(
        c.prove(&claim),
        Err(LayerError::Unsupported { .. })
    ));
    // A claim with a wrong point length is an error, not a panic.
    let mut short = claim.clone();
    short.point.pop();
    assert!(c.verify(&short, &crate::layers::LayerProof::Free).is_err());
}
