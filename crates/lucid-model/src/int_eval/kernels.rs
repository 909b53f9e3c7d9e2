//! Exact integer kernels of the linear operators (products, convolutions, pooling, reductions).
//!
//! Every kernel computes in `i64` without rounding; the quantizer's interval analysis has proven
//! beforehand that no result or partial sum can exceed `(p − 1)/2 < 2^63`, so the arithmetic never
//! overflows. Products and convolutions run in parallel over output rows/channels with `rayon`
//! (feature `parallel`).

#[cfg(feature = "parallel")]
use rayon::prelude::*;

use crate::ir::EinsumSpec;
use crate::ir::{ConvSpec, DeconvSpec, PoolSpec};
use crate::tensor::{Tensor, broadcast_offsets, broadcast_shapes, strides, unravel};

use super::IntEvalError;

fn shape_err(reason: String) -> IntEvalError {
    IntEvalError::Shape { reason }
}

/// Runs `f(chunk_index, chunk)` over `out.chunks_mut(chunk)`, in parallel when enabled.
fn for_chunks(out: &mut [i64], chunk: usize, f: impl Fn(usize, &mut [i64]) + Sync + Send) {
    if chunk == 0 {
        return;
    }
    #[cfg(feature = "parallel")]
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(i, c)| f(i, c));
    #[cfg(not(feature = "parallel"))]
    out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
}

/// `Σ_l a[l]·b[l]` over four independent accumulators (the sums are exact, see the module doc).
fn dot(a: &[i64], b: &[i64]) -> i64 {
    let mut acc = [0i64; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: i64 = a4
        .remainder()
        .iter()
        .zip(b4.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a4.zip(b4) {
        for ((s, x), y) in acc.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    acc.iter().sum::<i64>() + tail
}

/// Batched matrix product with numpy broadcasting of the batch axes (see `Op::MatMul`).
pub fn matmul(
    a: &Tensor<i64>,
    b: &Tensor<i64>,
    transpose_a: bool,
    transpose_b: bool,
) -> Result<Tensor<i64>, IntEvalError> {
    let (ra, rb) = (a.rank(), b.rank());
    if ra < 2 || rb < 2 {
        return Err(shape_err(format!(
            "matmul needs rank ≥ 2, got {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let (sa, sb) = (a.shape(), b.shape());
    let (m, k) = if transpose_a {
        (sa[ra - 1], sa[ra - 2])
    } else {
        (sa[ra - 2], sa[ra - 1])
    };
    let (k2, n) = if transpose_b {
        (sb[rb - 1], sb[rb - 2])
    } else {
        (sb[rb - 2], sb[rb - 1])
    };
    if k != k2 {
        return Err(shape_err(format!("matmul inner dims {k} and {k2} differ")));
    }
    let batch =
        broadcast_shapes(&sa[..ra - 2], &sb[..rb - 2]).map_err(|e| shape_err(e.to_string()))?;
    let off_a = broadcast_offsets(&sa[..ra - 2], &batch).map_err(|e| shape_err(e.to_string()))?;
    let off_b = broadcast_offsets(&sb[..rb - 2], &batch).map_err(|e| shape_err(e.to_string()))?;
    let (ad, bd) = (a.data(), b.data());
    let mut out = vec![0i64; off_a.len() * m * n];
    for_chunks(&mut out, n.max(1), |row, out_row| {
        let (bi, i) = (row / m.max(1), row % m.max(1));
        let (ba, bb) = (off_a[bi], off_b[bi]);
        // Row `i` of a's matrix `ba`, gathered when a is stored transposed.
        let gathered: Vec<i64>;
        let arow: &[i64] = if transpose_a {
            gathered = (0..k).map(|l| ad[ba * m * k + l * m + i]).collect();
            &gathered
        } else {
            &ad[ba * m * k + i * k..][..k]
        };
        let bmat = &bd[bb * k * n..][..k * n];
        if transpose_b {
            // b's rows are the output columns: one contiguous dot product per entry.
            for (o, brow) in out_row.iter_mut().zip(bmat.chunks_exact(k.max(1))) {
                *o = dot(arow, brow);
            }
        } else {
            for (&x, brow) in arow.iter().zip(bmat.chunks_exact(n.max(1))) {
                if x != 0 {
                    for (o, &y) in out_row.iter_mut().zip(brow) {
                        *o += x * y;
                    }
                }
            }
        }
    });
    let mut shape = batch;
    shape.extend([m, n]);
    Tensor::new(shape, out).map_err(|e| shape_err(e.to_string()))
}

/// General einsum over integers (see `Op::Einsum`).
pub fn einsum(expr: &str, inputs: &[&Tensor<i64>]) -> Result<Tensor<i64>, IntEvalError> {
    let spec = EinsumSpec::parse(expr).map_err(|e| shape_err(e.to_string()))?;
    let shapes: Vec<&[usize]> = inputs.iter().map(|t| t.shape()).collect();
    let sizes = spec
        .label_sizes(&shapes)
        .map_err(|e| shape_err(e.to_string()))?;
    let labels = spec.all_labels();
    let dims: Vec<usize> = labels
        .iter()
        .map(|&l| sizes[l as usize].unwrap_or(1))
        .collect();
    let n_out = spec.output.len();
    let out_shape: Vec<usize> = dims[..n_out].to_vec();
    let sum_shape: Vec<usize> = dims[n_out..].to_vec();
    let sum_len: usize = sum_shape.iter().product();
    // Stride of every label in every operand (summed over repeated labels: diagonals).
    let op_strides: Vec<Vec<usize>> = spec
        .inputs
        .iter()
        .zip(inputs)
        .map(|(ls, t)| {
            let st = strides(t.shape());
            labels
                .iter()
                .map(|l| {
                    ls.iter()
                        .zip(&st)
                        .filter(|(x, _)| *x == l)
                        .map(|(_, s)| *s)
                        .sum()
                })
                .collect()
        })
        .collect();
    let out_len: usize = out_shape.iter().product();
    let mut out = vec![0i64; out_len];
    for_chunks(&mut out, 1, |o, cell| {
        let mut idx = vec![0usize; labels.len()];
        unravel(o, &out_shape, &mut idx[..n_out]);
        let mut acc = 0i64;
        for s in 0..sum_len {
            unravel(s, &sum_shape, &mut idx[n_out..]);
            let mut p = 1i64;
            for (t, st) in inputs.iter().zip(&op_strides) {
                let off: usize = idx.iter().zip(st).map(|(i, s)| i * s).sum();
                p *= t.data()[off];
            }
            acc += p;
        }
        cell[0] = acc;
    });
    Tensor::new(out_shape, out).map_err(|e| shape_err(e.to_string()))
}

/// For each output position of a sliding window and each kernel tap, the input offset read (or
/// `None` in the padding): `taps[p · K + q]`.
fn window_taps(
    in_dims: &[usize],
    kernel: &[usize],
    strides_: &[usize],
    dilations: &[usize],
    pads: &[(usize, usize)],
) -> Result<(Vec<usize>, Vec<Option<usize>>), IntEvalError> {
    let k = in_dims.len();
    if kernel.len() != k || strides_.len() != k || dilations.len() != k || pads.len() != k {
        return Err(shape_err(format!(
            "window parameters do not match {k} spatial axes"
        )));
    }
    let mut out_dims = Vec::with_capacity(k);
    for i in 0..k {
        let padded = in_dims[i] + pads[i].0 + pads[i].1;
        let span = dilations[i] * (kernel[i].max(1) - 1) + 1;
        if padded < span || strides_[i] == 0 {
            return Err(shape_err(format!(
                "window of span {span} does not fit size {padded}"
            )));
        }
        out_dims.push((padded - span) / strides_[i] + 1);
    }
    let p_len: usize = out_dims.iter().product();
    let k_len: usize = kernel.iter().product();
    let in_strides = strides(in_dims);
    let mut taps = Vec::with_capacity(p_len * k_len);
    let (mut pi, mut qi) = (vec![0usize; k], vec![0usize; k]);
    for p in 0..p_len {
        unravel(p, &out_dims, &mut pi);
        for q in 0..k_len {
            unravel(q, kernel, &mut qi);
            let mut off = Some(0usize);
            for ax in 0..k {
                let pos =
                    (pi[ax] * strides_[ax] + qi[ax] * dilations[ax]) as i64 - pads[ax].0 as i64;
                if pos < 0 || pos >= in_dims[ax] as i64 {
                    off = None;
                    break;
                }
                off = off.map(|o| o + pos as usize * in_strides[ax]);
            }
            taps.push(off);
        }
    }
    Ok((out_dims, taps))
}

/// N-d convolution (see `Op::Conv`), with an optional bias already at the accumulator scale.
pub fn conv(
    x: &Tensor<i64>,
    w: &Tensor<i64>,
    bias: Option<&Tensor<i64>>,
    spec: &ConvSpec,
) -> Result<Tensor<i64>, IntEvalError> {
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() < 3 || ws.len() != xs.len() {
        return Err(shape_err(format!("conv input {xs:?} and weight {ws:?}")));
    }
    let (n, c, o, cg) = (xs[0], xs[1], ws[0], ws[1]);
    let g = spec.group.max(1);
    if c != cg * g || o % g != 0 {
        return Err(shape_err(format!(
            "conv channels {c} vs weight {ws:?}, group {g}"
        )));
    }
    let (out_dims, taps) = window_taps(
        &xs[2..],
        &ws[2..],
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    )?;
    let (p_len, k_len): (usize, usize) = (out_dims.iter().product(), ws[2..].iter().product());
    let in_len: usize = xs[2..].iter().product();
    let og = o / g;
    let (xd, wd) = (x.data(), w.data());
    let mut out = vec![0i64; n * o * p_len];
    for_chunks(&mut out, p_len, |no, out_ch| {
        let (ni, oi) = (no / o, no % o);
        let grp = oi / og;
        let b = bias.map_or(0, |b| b.data()[oi]);
        out_ch.iter_mut().for_each(|v| *v = b);
        for ci in 0..cg {
            let xc = &xd[(ni * c + grp * cg + ci) * in_len..][..in_len];
            let wk = &wd[(oi * cg + ci) * k_len..][..k_len];
            for (p, v) in out_ch.iter_mut().enumerate() {
                let mut acc = 0i64;
                for (t, &wv) in taps[p * k_len..(p + 1) * k_len].iter().zip(wk) {
                    if let Some(off) = t {
                        acc += xc[*off] * wv;
                    }
                }
                *v += acc;
            }
        }
    });
    let mut shape = vec![n, o];
    shape.extend(out_dims);
    Tensor::new(shape, out).map_err(|e| shape_err(e.to_string()))
}

/// N-d transposed convolution (see `Op::Deconv`), with an optional bias at the accumulator scale.
pub fn deconv(
    x: &Tensor<i64>,
    w: &Tensor<i64>,
    bias: Option<&Tensor<i64>>,
    spec: &DeconvSpec,
) -> Result<Tensor<i64>, IntEvalError> {
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() < 3 || ws.len() != xs.len() {
        return Err(shape_err(format!("deconv input {xs:?} and weight {ws:?}")));
    }
    let sp = xs.len() - 2;
    let (n, c, og) = (xs[0], xs[1], ws[1]);
    let g = spec.group.max(1);
    if ws[0] != c || c % g != 0 {
        return Err(shape_err(format!(
            "deconv channels {c} vs weight {ws:?}, group {g}"
        )));
    }
    let o = og * g;
    let cg = c / g;
    let kern = &ws[2..];
    let mut out_dims = Vec::with_capacity(sp);
    for i in 0..sp {
        let full = spec.strides[i] * (xs[2 + i] - 1)
            + spec.output_padding.get(i).copied().unwrap_or(0)
            + spec.dilations[i] * (kern[i] - 1)
            + 1;
        let crop = spec.pads[i].0 + spec.pads[i].1;
        if full < crop {
            return Err(shape_err("deconv crops more than its output".into()));
        }
        out_dims.push(full - crop);
    }
    let in_len: usize = xs[2..].iter().product();
    let k_len: usize = kern.iter().product();
    let p_len: usize = out_dims.iter().product();
    let out_strides = strides(&out_dims);
    // Scatter map: input position × tap → output offset.
    let mut map = Vec::with_capacity(in_len * k_len);
    let (mut pi, mut qi) = (vec![0usize; sp], vec![0usize; sp]);
    for p in 0..in_len {
        unravel(p, &xs[2..], &mut pi);
        for q in 0..k_len {
            unravel(q, kern, &mut qi);
            let mut off = Some(0usize);
            for ax in 0..sp {
                let pos = (pi[ax] * spec.strides[ax] + qi[ax] * spec.dilations[ax]) as i64
                    - spec.pads[ax].0 as i64;
                if pos < 0 || pos >= out_dims[ax] as i64 {
                    off = None;
                    break;
                }
                off = off.map(|v| v + pos as usize * out_strides[ax]);
            }
            map.push(off);
        }
    }
    let (xd, wd) = (x.data(), w.data());
    let mut out = vec![0i64; n * o * p_len];
    for_chunks(&mut out, p_len, |no, out_ch| {
        let (ni, oi) = (no / o, no % o);
        let (grp, oj) = (oi / og, oi % og);
        let b = bias.map_or(0, |b| b.data()[oi]);
        out_ch.iter_mut().for_each(|v| *v = b);
        for ci in grp * cg..(grp + 1) * cg {
            let xc = &xd[(ni * c + ci) * in_len..][..in_len];
            let wk = &wd[(ci * og + oj) * k_len..][..k_len];
            for (p, &xv) in xc.iter().enumerate() {
                for (t, &wv) in map[p * k_len..(p + 1) * k_len].iter().zip(wk) {
                    if let Some(off) = t {
                        out_ch[*off] += xv * wv;
                    }
                }
            }
        }
    });
    let mut shape = vec![n, o];
    shape.extend(out_dims);
    Tensor::new(shape, out).map_err(|e| shape_err(e.to_string()))
}

/// Sum (`is_max == false`, padding reads 0) or max (padding never wins) pooling over windows.
pub fn pool(x: &Tensor<i64>, spec: &PoolSpec, is_max: bool) -> Result<Tensor<i64>, IntEvalError> {
    let xs = x.shape();
    if xs.len() < 3 {
        return Err(shape_err(format!("pooling input {xs:?}")));
    }
    let (out_dims, taps) = window_taps(
        &xs[2..],
        &spec.kernel,
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    )?;
    let (p_len, k_len): (usize, usize) = (out_dims.iter().product(), spec.kernel.iter().product());
    let in_len: usize = xs[2..].iter().product();
    let xd = x.data();
    let mut out = vec![0i64; xs[0] * xs[1] * p_len];
    for_chunks(&mut out, p_len, |nc, out_ch| {
        let xc = &xd[nc * in_len..][..in_len];
        for (p, v) in out_ch.iter_mut().enumerate() {
            let vals = taps[p * k_len..(p + 1) * k_len]
                .iter()
                .flatten()
                .map(|&o| xc[o]);
            *v = if is_max {
                vals.max().unwrap_or(0)
            } else {
                vals.sum()
            };
        }
    });
    let mut shape = xs[..2].to_vec();
    shape.extend(out_dims);
    Tensor::new(shape, out).map_err(|e| shape_err(e.to_string()))
}

/// The number of real (non-padding) elements in every pooling window, shaped like the spatial
/// output `[1, 1, o1..ok]`.
pub fn pool_counts(in_spatial: &[usize], spec: &PoolSpec) -> Result<Tensor<i64>, IntEvalError> {
    let (out_dims, taps) = window_taps(
        in_spatial,
        &spec.kernel,
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    )?;
    let k_len: usize = spec.kernel.iter().product();
    let counts: Vec<i64> = taps
        .chunks(k_len.max(1))
        .map(|c| c.iter().flatten().count() as i64)
        .collect();
    let mut shape = vec![1, 1];
    shape.extend(out_dims);
    Tensor::new(shape, counts).map_err(|e| shape_err(e.to_string()))
}

/// How [`reduce`] combines elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntReduce {
    /// Exact sum.
    Sum,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
    /// Index of the first (or last) maximum (one axis).
    ArgMax {
        /// Last index on ties.
        select_last: bool,
    },
    /// Index of the first (or last) minimum (one axis).
    ArgMin {
        /// Last index on ties.
        select_last: bool,
    },
}

/// Reduces over `axes` (sorted), keeping them as 1 or removing them.
pub fn reduce(
    x: &Tensor<i64>,
    axes: &[usize],
    keepdims: bool,
    kind: IntReduce,
) -> Result<Tensor<i64>, IntEvalError> {
    let xs = x.shape();
    if let Some(&a) = axes.iter().find(|&&a| a >= xs.len()) {
        return Err(shape_err(format!("reduce axis {a} of shape {xs:?}")));
    }
    let kept: Vec<usize> = (0..xs.len()).filter(|a| !axes.contains(a)).collect();
    let kept_dims: Vec<usize> = kept.iter().map(|&a| xs[a]).collect();
    let red_dims: Vec<usize> = axes.iter().map(|&a| xs[a]).collect();
    let st = strides(xs);
    let out_len: usize = kept_dims.iter().product();
    let red_len: usize = red_dims.iter().product();
    let mut out = vec![0i64; out_len];
    let (mut ki, mut ri) = (vec![0usize; kept.len()], vec![0usize; axes.len()]);
    for (o, v) in out.iter_mut().enumerate() {
        unravel(o, &kept_dims, &mut ki);
        let base: usize = kept.iter().zip(&ki).map(|(&a, &i)| i * st[a]).sum();
        let mut best: Option<(i64, usize)> = None;
        let mut sum = 0i64;
        for r in 0..red_len {
            unravel(r, &red_dims, &mut ri);
            let off = base
                + axes
                    .iter()
                    .zip(&ri)
                    .map(|(&a, &i)| i * st[a])
                    .sum::<usize>();
            let e = x.data()[off];
            sum += e;
            let better = match (kind, best) {
                (_, None) => true,
                (IntReduce::Max, Some((b, _))) => e > b,
                (IntReduce::Min, Some((b, _))) => e < b,
                (IntReduce::ArgMax { select_last }, Some((b, _))) => {
                    e > b || (select_last && e == b)
                }
                (IntReduce::ArgMin { select_last }, Some((b, _))) => {
                    e < b || (select_last && e == b)
                }
                (IntReduce::Sum, _) => false,
            };
            if better {
                best = Some((e, r));
            }
        }
        *v = match kind {
            IntReduce::Sum => sum,
            IntReduce::Max | IntReduce::Min => best.map_or(0, |b| b.0),
            IntReduce::ArgMax { .. } | IntReduce::ArgMin { .. } => best.map_or(0, |b| b.1 as i64),
        };
    }
    let shape: Vec<usize> = if keepdims {
        xs.iter()
            .enumerate()
            .map(|(a, &d)| if axes.contains(&a) { 1 } else { d })
            .collect()
    } else {
        kept_dims
    };
    Tensor::new(shape, out).map_err(|e| shape_err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], data: &[i64]) -> Tensor<i64> {
        Tensor::new(shape.to_vec(), data.to_vec()).expect("valid")
    }

    #[test]
    fn matmul_with_transposes_and_batch() {
        let a = t(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let b = t(&[3, 2], &[1, 0, 0, 1, 1, 1]);
        let y = matmul(&a, &b, false, false).expect("ok");
        assert_eq!(y.data(), &[4, 5, 10, 11]);
        let bt = t(&[2, 3], &[1, 0, 1, 0, 1, 1]);
        assert_eq!(
            matmul(&a, &bt, false, true).expect("ok").data(),
            &[4, 5, 10, 11]
        );
        let at = t(&[3, 2], &[1, 4, 2, 5, 3, 6]);
        assert_eq!(
            matmul(&at, &b, true, false).expect("ok").data(),
            &[4, 5, 10, 11]
        );
        let a3 = t(&[2, 1, 2], &[1, 2, 3, 4]);
        let b2 = t(&[2, 1], &[10, 1]);
        assert_eq!(
            matmul(&a3, &b2, false, false).expect("ok").data(),
            &[12, 34]
        );
        assert_eq!(
            einsum("ij,jk->ik", &[&a, &b]).expect("ok").data(),
            &[4, 5, 10, 11]
        );
        assert_eq!(
            einsum("ii->i", &[&t(&[2, 2], &[1, 2, 3, 4])])
                .expect("ok")
                .data(),
            &[1, 4]
        );
    }

    /// Every transpose combination, a broadcast batch axis and inner sizes around the dot
    /// product's blocks of four, against a plain triple loop.
    #[test]
    fn matmul_matches_the_definition() {
        let val = |s: usize| ((s * 7919 + 13) % 201) as i64 - 100;
        for k in [0usize, 1, 3, 4, 5, 9] {
            let (m, n) = (3usize, 2usize);
            let a: Vec<i64> = (0..2 * m * k).map(val).collect();
            let b: Vec<i64> = (0..k * n).map(|i| val(i + 1000)).collect();
            let expect: Vec<i64> = (0..2 * m * n)
                .map(|o| {
                    let (ba, i, j) = (o / (m * n), (o / n) % m, o % n);
                    (0..k)
                        .map(|l| a[ba * m * k + i * k + l] * b[l * n + j])
                        .sum()
                })
                .collect();
            let at: Vec<i64> = (0..2 * m * k)
                .map(|o| {
                    let (ba, l, i) = (o / (m * k), (o / m) % k, o % m);
                    a[ba * m * k + i * k + l]
                })
                .collect();
            let bt: Vec<i64> = (0..k * n).map(|o| b[(o % k) * n + o / k]).collect();
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let x = if ta {
                    t(&[2, k, m], &at)
                } else {
                    t(&[2, m, k], &a)
                };
                let y = if tb { t(&[n, k], &bt) } else { t(&[k, n], &b) };
                let got = matmul(&x, &y, ta, tb).expect("shapes agree");
                assert_eq!(got.shape(), &[2, m, n]);
                assert_eq!(got.data(), &expect[..], "k = {k}, transposes {ta} {tb}");
            }
        }
    }

    #[test]
    fn conv_and_pools() {
        // 1×1×3×3 input, 1×1×2×2 kernel of ones, stride 1, no padding: window sums.
        let x = t(&[1, 1, 3, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let w = t(&[1, 1, 2, 2], &[1, 1, 1, 1]);
        let spec = ConvSpec {
            strides: vec![1, 1],
            pads: vec![(0, 0); 2],
            dilations: vec![1, 1],
            group: 1,
        };
        let y = conv(&x, &w, Some(&t(&[1], &[100])), &spec).expect("ok");
        assert_eq!(y.shape(), &[1, 1, 2, 2]);
        assert_eq!(y.data(), &[112, 116, 124, 128]);
        let pool_spec = PoolSpec {
            kernel: vec![2, 2],
            strides: vec![1, 1],
            pads: vec![(0, 1); 2],
            dilations: vec![1, 1],
        };
        let s = pool(&x, &pool_spec, false).expect("ok");
        assert_eq!(s.data(), &[12, 16, 9, 24, 28, 15, 15, 17, 9]);
        let m = pool(&x, &pool_spec, true).expect("ok");
        assert_eq!(m.data(), &[5, 6, 6, 8, 9, 9, 8, 9, 9]);
        assert_eq!(
            pool_counts(&[3, 3], &pool_spec).expect("ok").data(),
            &[4, 4, 2, 4, 4, 2, 2, 2, 1]
        );
        // Deconv with stride 2 of a 1×1×2 input and kernel [1, 1]: [a a b b].
        let dspec = DeconvSpec {
            strides: vec![2],
            pads: vec![(0, 0)],
            dilations: vec![1],
            output_padding: vec![0],
            group: 1,
        };
        let d = deconv(
            &t(&[1, 1, 2], &[3, 5]),
            &t(&[1, 1, 2], &[1, 1]),
            None,
            &dspec,
        )
        .expect("ok");
        assert_eq!(d.data(), &[3, 3, 5, 5]);
    }

    #[test]
    fn reductions() {
        let x = t(&[2, 3], &[1, 5, 5, -2, 0, -7]);
        assert_eq!(
            reduce(&x, &[1], false, IntReduce::Sum).expect("ok").data(),
            &[11, -9]
        );
        assert_eq!(
            reduce(&x, &[0], true, IntReduce::Max).expect("ok").data(),
            &[1, 5, 5]
        );
        assert_eq!(
            reduce(&x, &[1], false, IntReduce::ArgMax { select_last: false })
                .expect("ok")
                .data(),
            &[1, 1]
        );
        assert_eq!(
            reduce(&x, &[1], false, IntReduce::ArgMax { select_last: true })
                .expect("ok")
                .data(),
            &[2, 1]
        );
        assert_eq!(
            reduce(&x, &[0, 1], false, IntReduce::Min)
                .expect("ok")
                .data(),
            &[-7]
        );
    }
}
