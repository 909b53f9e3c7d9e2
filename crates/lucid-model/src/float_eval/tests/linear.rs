//! MatMul, Einsum, Conv and Deconv against hand-computed values and a naive reference.

use super::{assert_f, eval, f, i, rnd, try_eval};
use crate::ir::{ConvSpec, DeconvSpec, Op};

fn mm(ta: bool, tb: bool) -> Op {
    Op::MatMul {
        transpose_a: ta,
        transpose_b: tb,
    }
}

#[test]
fn batched_matmul_with_broadcast_and_transposes() {
    let a = f(
        &[2, 2, 3],
        &[1., 2., 3., 4., 5., 6., 1., 0., 0., 0., 1., 0.],
    );
    let b = f(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    let expected = [22., 28., 49., 64., 1., 2., 3., 4.];
    assert_f(&eval(mm(false, false), &[a, b]), &[2, 2, 2], &expected);
    // The same product with A and B stored transposed.
    let at = f(
        &[2, 3, 2],
        &[1., 4., 2., 5., 3., 6., 1., 0., 0., 1., 0., 0.],
    );
    let bt = f(&[2, 3], &[1., 3., 5., 2., 4., 6.]);
    assert_f(&eval(mm(true, true), &[at, bt]), &[2, 2, 2], &expected);
    // Integer matmul is exact; mismatched inner dims are rejected.
    let y = eval(
        mm(false, false),
        &[i(&[1, 2], &[3, 4]), i(&[2, 1], &[5, 6])],
    );
    assert_eq!(y.as_i64().unwrap().data(), &[39]);
    assert!(
        try_eval(
            mm(false, false),
            &[f(&[2, 3], &[0.; 6]), f(&[2, 3], &[0.; 6])]
        )
        .is_err()
    );
}

#[test]
fn einsum_forms() {
    let e = |expr: &str| Op::Einsum { expr: expr.into() };
    let a = f(&[2, 2], &[1., 2., 3., 4.]);
    let b = f(&[2, 2], &[5., 6., 7., 8.]);
    assert_f(
        &eval(e("ij,jk->ik"), &[a.clone(), b.clone()]),
        &[2, 2],
        &[19., 22., 43., 50.],
    );
    assert_f(
        &eval(e("ij,kj->ik"), &[a.clone(), b]),
        &[2, 2],
        &[17., 23., 39., 53.],
    );
    assert_f(&eval(e("ii->i"), std::slice::from_ref(&a)), &[2], &[1., 4.]);
    assert_f(&eval(e("ij->"), std::slice::from_ref(&a)), &[], &[10.]);
    assert_f(&eval(e("ij->ji"), &[a]), &[2, 2], &[1., 3., 2., 4.]);
}

/// Straightforward 2-d convolution for cross-checking.
#[allow(clippy::too_many_arguments)]
fn naive_conv2d(
    x: &[f32],
    xs: [usize; 4],
    w: &[f32],
    ws: [usize; 4],
    s: [usize; 2],
    p: [(usize, usize); 2],
    d: [usize; 2],
    g: usize,
) -> (Vec<usize>, Vec<f32>) {
    let [n, c, h, wd] = xs;
    let [o, cg, kh, kw] = ws;
    let oh = (h + p[0].0 + p[0].1 - d[0] * (kh - 1) - 1) / s[0] + 1;
    let ow = (wd + p[1].0 + p[1].1 - d[1] * (kw - 1) - 1) / s[1] + 1;
    let og = o / g;
    let mut y = vec![0f32; n * o * oh * ow];
    for ni in 0..n {
        for oi in 0..o {
            for yi in 0..oh {
                for xi in 0..ow {
                    let mut acc = 0f64;
                    for ci in 0..cg {
                        let cin = (oi / og) * cg + ci;
                        for a in 0..kh {
                            for bb in 0..kw {
                                let r = (yi * s[0] + a * d[0]) as i64 - p[0].0 as i64;
                                let q = (xi * s[1] + bb * d[1]) as i64 - p[1].0 as i64;
                                if r < 0 || q < 0 || r >= h as i64 || q >= wd as i64 {
                                    continue;
                                }
                                let xv = x[((ni * c + cin) * h + r as usize) * wd + q as usize];
                                let wv = w[((oi * cg + ci) * kh + a) * kw + bb];
                                acc += f64::from(xv) * f64::from(wv);
                            }
                        }
                    }
                    y[((ni * o + oi) * oh + yi) * ow + xi] = acc as f32;
                }
            }
        }
    }
    (vec![n, o, oh, ow], y)
}

#[test]
fn conv1d_stride_pad_dilation_bias() {
    let x = f(&[1, 1, 5], &[1., 2., 3., 4., 5.]);
    let spec = |s, p, d| {
        Op::Conv(ConvSpec {
            strides: vec![s],
            pads: vec![p],
            dilations: vec![d],
            group: 1,
        })
    };
    let w = f(&[1, 1, 2], &[1., 2.]);
    let bias = f(&[1], &[0.5]);
    let y = eval(spec(2, (1, 1), 1), &[x.clone(), w, bias]);
    assert_f(&y, &[1, 1, 3], &[2.5, 8.5, 14.5]);
    let y = eval(spec(1, (0, 0), 2), &[x, f(&[1, 1, 2], &[1., 10.])]);
    assert_f(&y, &[1, 1, 3], &[31., 42., 53.]);
}

#[test]
fn conv2d_groups_by_hand() {
    let x = f(&[1, 2, 2, 2], &[1., 2., 3., 4., 5., 6., 7., 8.]);
    let spec = |g| {
        Op::Conv(ConvSpec {
            strides: vec![1, 1],
            pads: vec![(0, 0), (0, 0)],
            dilations: vec![1, 1],
            group: g,
        })
    };
    let y = eval(spec(2), &[x.clone(), f(&[2, 1, 1, 1], &[2., 3.])]);
    assert_f(&y, &[1, 2, 2, 2], &[2., 4., 6., 8., 15., 18., 21., 24.]);
    let y = eval(spec(1), &[x.clone(), f(&[1, 2, 2, 2], &[1.; 8])]);
    assert_f(&y, &[1, 1, 1, 1], &[36.]);
    // Weight channel count inconsistent with the groups.
    assert!(try_eval(spec(2), &[x, f(&[1, 2, 2, 2], &[1.; 8])]).is_err());
}

#[test]
fn conv2d_matches_naive_reference() {
    let (xs, ws) = ([2, 4, 7, 6], [6, 2, 3, 2]);
    let (s, p, d, g) = ([2, 1], [(1, 2), (0, 1)], [2, 1], 2);
    let x: Vec<f32> = rnd(xs.iter().product(), 1);
    let w: Vec<f32> = rnd(ws.iter().product(), 2);
    let (shape, expected) = naive_conv2d(&x, xs, &w, ws, s, p, d, g);
    let op = Op::Conv(ConvSpec {
        strides: s.to_vec(),
        pads: p.to_vec(),
        dilations: d.to_vec(),
        group: g,
    });
    let y = eval(op, &[f(&xs, &x), f(&ws, &w)]);
    assert_f(&y, &shape, &expected);
}

#[test]
fn deconv1d_by_hand() {
    let spec = |s, p: (usize, usize), op| {
        Op::Deconv(DeconvSpec {
            strides: vec![s],
            pads: vec![p],
            dilations: vec![1],
            output_padding: vec![op],
            group: 1,
        })
    };
    let x = f(&[1, 1, 2], &[1., 2.]);
    let w = f(&[1, 1, 2], &[1., 1.]);
    assert_f(
        &eval(spec(2, (0, 0), 0), &[x.clone(), w.clone()]),
        &[1, 1, 4],
        &[1., 1., 2., 2.],
    );
    assert_f(
        &eval(spec(1, (0, 0), 0), &[x.clone(), w.clone()]),
        &[1, 1, 3],
        &[1., 3., 2.],
    );
    assert_f(
        &eval(spec(1, (1, 0), 0), &[x.clone(), w.clone()]),
        &[1, 1, 2],
        &[3., 2.],
    );
    let y = eval(spec(2, (0, 0), 1), &[x, w, f(&[1], &[10.])]);
    assert_f(&y, &[1, 1, 5], &[11., 11., 12., 12., 10.]);
}

#[test]
fn deconv_is_adjoint_of_conv() {
    // <conv(x, w), y> == <x, deconv(y, w)> for the same geometry (zero bias, group 2).
    let (xs, ws) = ([1, 4, 6, 5], [4, 2, 3, 2]);
    let (s, p, d, g) = (vec![2, 1], vec![(1, 1), (0, 1)], vec![1, 2], 2);
    let x = rnd(xs.iter().product(), 3);
    let w = rnd(ws.iter().product(), 4);
    let conv = Op::Conv(ConvSpec {
        strides: s.clone(),
        pads: p.clone(),
        dilations: d.clone(),
        group: g,
    });
    let cx = eval(conv, &[f(&xs, &x), f(&ws, &w)]);
    let cshape = cx.shape().to_vec();
    let y = rnd(cshape.iter().product(), 5);
    // Conv weight [O, C/g, k] read as deconv weight [C_in = O, O_out/g, k] is the adjoint.
    let dec = Op::Deconv(DeconvSpec {
        strides: s,
        pads: p,
        dilations: d,
        output_padding: vec![1, 0],
        group: g,
    });
    let dy = eval(dec, &[f(&cshape, &y), f(&ws, &w)]);
    assert_eq!(dy.shape(), &xs);
    let dot = |a: &[f32], b: &[f32]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(p, q)| f64::from(*p) * f64::from(*q))
            .sum()
    };
    let lhs = dot(cx.as_f32().unwrap().data(), &y);
    let rhs = dot(&x, dy.as_f32().unwrap().data());
    assert!((lhs - rhs).abs() < 1e-4, "{lhs} vs {rhs}");
}
