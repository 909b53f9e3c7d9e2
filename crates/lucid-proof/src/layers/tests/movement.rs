//! Tests of pooling, reductions and data movement.

use lucid_model::ir::{Op, PadMode, PoolSpec};
use lucid_model::quant::QOp;
use lucid_model::tensor::Tensor;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{case, rand_tensor};
use crate::layers::LayerProof;

fn unary(seed: u64, op: QOp, x: &[usize], out: &[usize]) -> LayerProof {
    let mut rng = SmallRng::seed_from_u64(seed);
    let c = case(op, vec![rand_tensor(&mut rng, x)], out);
    c.check(seed);
    let claim = c.claim(&mut rng);
    c.prove(&claim).expect("proves").0
}

fn exact(op: Op) -> QOp {
    QOp::Exact(op)
}

#[test]
fn identity_transpose_reshape() {
    assert_eq!(
        unary(1, exact(Op::Identity), &[3, 5], &[3, 5]),
        LayerProof::Free
    );
    let t = exact(Op::Transpose {
        perm: vec![2, 0, 1],
    });
    assert_eq!(unary(2, t, &[2, 3, 5], &[5, 2, 3]), LayerProof::Free);
    let r = |s: &[usize]| exact(Op::Reshape { shape: s.to_vec() });
    assert_eq!(unary(3, r(&[64]), &[1, 64], &[64]), LayerProof::Free);
    assert_eq!(unary(4, r(&[8]), &[4, 2], &[8]), LayerProof::Free);
    assert!(matches!(
        unary(5, r(&[6, 5]), &[2, 3, 5], &[6, 5]),
        LayerProof::IndexMap(_)
    ));
    assert!(matches!(
        unary(6, r(&[3, 2]), &[2, 3], &[3, 2]),
        LayerProof::IndexMap(_)
    ));
    unary(7, r(&[1, 3, 2, 5]), &[2, 3, 5], &[1, 3, 2, 5]);
}

#[test]
fn broadcast_and_upsample() {
    let b = exact(Op::Broadcast {
        shape: vec![2, 3, 4],
    });
    unary(11, b, &[3, 1], &[2, 3, 4]);
    let u = exact(Op::NearestUpsample {
        factors: vec![1, 1, 2, 3],
    });
    unary(12, u, &[1, 2, 3, 3], &[1, 2, 6, 9]);
}

#[test]
fn sum_pool_and_reduce_sum() {
    let spec = PoolSpec {
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![(0, 1), (0, 1)],
        dilations: vec![1, 1],
    };
    unary(21, QOp::SumPool(spec), &[1, 2, 5, 5], &[1, 2, 3, 3]);
    let spec = PoolSpec {
        kernel: vec![3],
        strides: vec![1],
        pads: vec![(1, 1)],
        dilations: vec![2],
    };
    unary(22, QOp::SumPool(spec), &[2, 3, 7], &[2, 3, 5]);
    let rs = |axes: &[usize], keepdims| QOp::ReduceSum {
        axes: axes.to_vec(),
        keepdims,
    };
    unary(23, rs(&[1], false), &[2, 3, 5], &[2, 5]);
    unary(24, rs(&[0, 2], true), &[2, 3, 5], &[1, 3, 1]);
    unary(25, rs(&[0, 1, 2], false), &[2, 3, 5], &[]);
    assert_eq!(
        unary(26, rs(&[], false), &[2, 3], &[2, 3]),
        LayerProof::Free
    );
}

#[test]
fn slice_pad_concat() {
    let s = |axis, start, end, step| {
        exact(Op::Slice {
            axis,
            start,
            end,
            step,
        })
    };
    unary(31, s(1, 1, 6, 2), &[3, 7], &[3, 3]);
    unary(32, s(0, -1, -5, -1), &[5, 2], &[4, 2]);
    assert_eq!(unary(33, s(0, 0, 9, 1), &[5, 2], &[5, 2]), LayerProof::Free);
    let p = |pads: &[(usize, usize)], mode, value| {
        exact(Op::Pad {
            pads: pads.to_vec(),
            mode,
            value,
        })
    };
    unary(
        34,
        p(&[(1, 0), (0, 2)], PadMode::Constant, 0.0),
        &[2, 3],
        &[3, 5],
    );
    unary(
        35,
        p(&[(0, 0), (2, 1)], PadMode::Constant, 3.0),
        &[2, 3],
        &[2, 6],
    );
    unary(
        36,
        p(&[(1, 1), (1, 2)], PadMode::Edge, 0.0),
        &[2, 3],
        &[4, 6],
    );
    unary(
        37,
        p(&[(0, 0), (0, 0), (1, 1)], PadMode::Reflect, 0.0),
        &[1, 2, 3],
        &[1, 2, 5],
    );
    let mut rng = SmallRng::seed_from_u64(38);
    let parts = vec![
        rand_tensor(&mut rng, &[2, 3]),
        rand_tensor(&mut rng, &[2, 1]),
        rand_tensor(&mut rng, &[2, 4]),
    ];
    case(exact(Op::Concat { axis: 1 }), parts, &[2, 8]).check(38);
    let parts = vec![
        rand_tensor(&mut rng, &[1, 3]),
        rand_tensor(&mut rng, &[2, 3]),
    ];
    case(exact(Op::Concat { axis: 0 }), parts, &[3, 3]).check(39);
}

#[test]
fn gather_with_constant_indices() {
    let mut rng = SmallRng::seed_from_u64(41);
    let idx = |shape: &[usize], v: &[i64]| Tensor::new(shape.to_vec(), v.to_vec()).expect("ok");
    let g = |axis| exact(Op::Gather { axis });
    // Embedding lookup with a repeated and a negative index.
    let c = case(
        g(0),
        vec![rand_tensor(&mut rng, &[5, 3]), idx(&[4], &[4, 0, -1, 2])],
        &[4, 3],
    );
    c.check(41);
    let c = case(
        g(1),
        vec![
            rand_tensor(&mut rng, &[2, 5, 3]),
            idx(&[2, 2], &[1, 0, 3, 3]),
        ],
        &[2, 2, 2, 3],
    );
    c.check(42);
    let c = case(
        g(1),
        vec![rand_tensor(&mut rng, &[3, 6]), idx(&[], &[5])],
        &[3],
    );
    c.check(43);
    let ge = exact(Op::GatherElements { axis: 1 });
    let c = case(
        ge,
        vec![
            rand_tensor(&mut rng, &[3, 4]),
            idx(&[3, 2], &[0, 3, 1, 1, -1, 2]),
        ],
        &[3, 2],
    );
    c.check(44);
    // Without the index constant the verifier refuses.
    let claim = c.claim(&mut rng);
    let (proof, _) = c.prove(&claim).expect("proves");
    let shapes = c.shapes();
    assert!(
        crate::layers::verify_node(
            &c.node,
            &shapes,
            &[],
            &claim,
            &proof,
            &mut super::transcript()
        )
        .is_err()
    );
}
