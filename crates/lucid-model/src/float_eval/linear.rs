//! Contractions: batched MatMul, general Einsum, N-d Conv and Deconv (transposed conv).
//! Sums are accumulated in f64 (i128 for integers); rows/channels run in parallel.

use super::num::Num;
use super::{bad_value, for_each_chunk};
use crate::ir::{ConvSpec, DeconvSpec, EinsumSpec, OpError, TensorFact};
use crate::tensor::{Tensor, Value, broadcast_offsets, numel, unravel};

/// Marks a window tap that falls into padding.
pub(super) const NONE: usize = usize::MAX;

fn narrow_all<T: Num>(shape: &[usize], acc: Vec<T::Acc>) -> Result<Tensor<T>, OpError> {
    let data = acc
        .into_iter()
        .map(T::narrow)
        .collect::<Result<Vec<T>, _>>()?;
    Ok(Tensor::new(shape.to_vec(), data)?)
}

/// [`crate::ir::Op::MatMul`].
pub(super) fn matmul(
    a: &Value,
    b: &Value,
    ta: bool,
    tb: bool,
    out: &TensorFact,
) -> Result<Value, OpError> {
    match (a, b) {
        (Value::F32(a), Value::F32(b)) => Ok(Value::F32(matmul_t(a, b, ta, tb, &out.shape)?)),
        (Value::I64(a), Value::I64(b)) => Ok(Value::I64(matmul_t(a, b, ta, tb, &out.shape)?)),
        _ => Err(bad_value("matmul operands must both be f32 or both i64")),
    }
}

fn matmul_t<T: Num>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    ta: bool,
    tb: bool,
    out_shape: &[usize],
) -> Result<Tensor<T>, OpError> {
    let (ash, bsh) = (a.shape(), b.shape());
    let (ra, rb) = (ash.len(), bsh.len());
    let (m, k) = if ta {
        (ash[ra - 1], ash[ra - 2])
    } else {
        (ash[ra - 2], ash[ra - 1])
    };
    let n = if tb { bsh[rb - 2] } else { bsh[rb - 1] };
    // Element (i, l) of the logical A is at i·a_rs + l·a_cs inside its matrix; same for B.
    let (a_rs, a_cs) = if ta { (1, m) } else { (k, 1) };
    let (b_rs, b_cs) = if tb { (1, k) } else { (n, 1) };
    let batch = &out_shape[..out_shape.len() - 2];
    let a_mat = broadcast_offsets(&ash[..ra - 2], batch)?;
    let b_mat = broadcast_offsets(&bsh[..rb - 2], batch)?;
    let (ad, bd) = (a.data(), b.data());
    let mut acc = vec![T::ZERO; numel(out_shape)];
    for_each_chunk(&mut acc, n, |row, buf| {
        let (bi, i) = (row / m, row % m);
        let a0 = a_mat[bi] * m * k + i * a_rs;
        let b0 = b_mat[bi] * k * n;
        for l in 0..k {
            let av = ad[a0 + l * a_cs];
            let brow = b0 + l * b_rs;
            for (j, slot) in buf.iter_mut().enumerate() {
                *slot = T::mac(*slot, av, bd[brow + j * b_cs]);
            }
        }
    });
    narrow_all(out_shape, acc)
}

/// [`crate::ir::Op::Einsum`].
pub(super) fn einsum(expr: &str, args: &[&Value], out: &TensorFact) -> Result<Value, OpError> {
    if let Ok(ts) = args
        .iter()
        .map(|v| v.as_f32())
        .collect::<Result<Vec<_>, _>>()
    {
        return Ok(Value::F32(einsum_t(expr, &ts, &out.shape)?));
    }
    if let Ok(ts) = args
        .iter()
        .map(|v| v.as_i64())
        .collect::<Result<Vec<_>, _>>()
    {
        return Ok(Value::I64(einsum_t(expr, &ts, &out.shape)?));
    }
    Err(bad_value("einsum operands must all be f32 or all i64"))
}

fn einsum_t<T: Num>(
    expr: &str,
    ops: &[&Tensor<T>],
    out_shape: &[usize],
) -> Result<Tensor<T>, OpError> {
    let spec = EinsumSpec::parse(expr)?;
    let shapes: Vec<&[usize]> = ops.iter().map(|t| t.shape()).collect();
    let sizes = spec.label_sizes(&shapes)?;
    let labels = spec.all_labels();
    let size_of = |l: u8| sizes[l as usize].unwrap_or(1);
    let n_out_labels = spec.output.len();
    let out_dims: Vec<usize> = labels[..n_out_labels].iter().map(|&l| size_of(l)).collect();
    let sum_dims: Vec<usize> = labels[n_out_labels..].iter().map(|&l| size_of(l)).collect();
    // Stride of each label in each operand (a repeated label adds its strides: the diagonal).
    let label_strides: Vec<Vec<usize>> = spec
        .inputs
        .iter()
        .zip(&shapes)
        .map(|(op_labels, shape)| {
            let st = crate::tensor::strides(shape);
            labels
                .iter()
                .map(|&l| {
                    op_labels
                        .iter()
                        .zip(&st)
                        .filter(|(ol, _)| **ol == l)
                        .map(|(_, s)| s)
                        .sum()
                })
                .collect()
        })
        .collect();
    // For every summed position, the offset it contributes in each operand.
    let n_sum = numel(&sum_dims);
    let mut idx = vec![0usize; sum_dims.len()];
    let sum_offsets: Vec<Vec<usize>> = (0..n_sum)
        .map(|s| {
            unravel(s, &sum_dims, &mut idx);
            label_strides
                .iter()
                .map(|st| {
                    idx.iter()
                        .zip(&st[n_out_labels..])
                        .map(|(i, s)| i * s)
                        .sum()
                })
                .collect()
        })
        .collect();
    let n_out = numel(&out_dims);
    let mut acc = vec![T::ZERO; n_out];
    let chunk = n_out.div_ceil(64).max(1);
    for_each_chunk(&mut acc, chunk, |c, buf| {
        let mut oidx = vec![0usize; out_dims.len()];
        let mut bases = vec![0usize; ops.len()];
        for (j, slot) in buf.iter_mut().enumerate() {
            unravel(c * chunk + j, &out_dims, &mut oidx);
            for (base, st) in bases.iter_mut().zip(&label_strides) {
                *base = oidx.iter().zip(st).map(|(i, s)| i * s).sum();
            }
            let mut total = T::ZERO;
            for offs in &sum_offsets {
                let mut prod = T::ONE;
                for ((op, base), off) in ops.iter().zip(&bases).zip(offs) {
                    prod = T::mul(prod, op.data()[base + off].widen());
                }
                total = T::add(total, prod);
            }
            *slot = total;
        }
    });
    narrow_all(out_shape, acc)
}

/// For every kernel tap `q` and every position `p` of the "from" grid, the flat offset in the
/// "to" grid of coordinate `p·stride + q·dilation − pad` (per axis), or [`NONE`] when outside.
/// Conv maps output positions to input positions this way; Deconv maps input to output.
pub(super) fn taps(
    from: &[usize],
    to: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
    pads: &[(usize, usize)],
) -> Vec<usize> {
    let (n_from, n_k) = (numel(from), numel(kernel));
    let to_strides = crate::tensor::strides(to);
    let mut table = vec![NONE; n_k * n_from];
    let (mut pi, mut qi) = (vec![0usize; from.len()], vec![0usize; kernel.len()]);
    for q in 0..n_k {
        unravel(q, kernel, &mut qi);
        for p in 0..n_from {
            unravel(p, from, &mut pi);
            let mut off = 0usize;
            let mut inside = true;
            for ax in 0..from.len() {
                let c = (pi[ax] * strides[ax] + qi[ax] * dilations[ax]) as i64 - pads[ax].0 as i64;
                if c < 0 || c >= to[ax] as i64 {
                    inside = false;
                    break;
                }
                off += c as usize * to_strides[ax];
            }
            if inside {
                table[q * n_from + p] = off;
            }
        }
    }
    table
}

fn bias_of<'a>(args: &[&'a Value]) -> Result<Option<&'a [f32]>, OpError> {
    Ok(match args.get(2) {
        Some(b) => Some(b.as_f32()?.data()),
        None => None,
    })
}

/// [`crate::ir::Op::Conv`].
pub(super) fn conv(spec: &ConvSpec, args: &[&Value], out: &TensorFact) -> Result<Value, OpError> {
    let (x, w) = (args[0].as_f32()?, args[1].as_f32()?);
    let bias = bias_of(args)?;
    let (xs, ws, os) = (x.shape(), w.shape(), out.shape.as_slice());
    let (c, o, g) = (xs[1], ws[0], spec.group);
    let (cg, og) = (c / g, o / g);
    let (p_in, p_out, kk) = (numel(&xs[2..]), numel(&os[2..]), numel(&ws[2..]));
    let table = taps(
        &os[2..],
        &xs[2..],
        &ws[2..],
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    );
    let (xd, wd) = (x.data(), w.data());
    let mut acc = vec![0f64; numel(os)];
    for_each_chunk(&mut acc, p_out, |ch, buf| {
        let (ni, oi) = (ch / o, ch % o);
        let gi = oi / og;
        for ci in 0..cg {
            let xbase = (ni * c + gi * cg + ci) * p_in;
            let wbase = (oi * cg + ci) * kk;
            for q in 0..kk {
                let wv = f64::from(wd[wbase + q]);
                let row = &table[q * p_out..(q + 1) * p_out];
                for (slot, &src) in buf.iter_mut().zip(row) {
                    if src != NONE {
                        *slot += f64::from(xd[xbase + src]) * wv;
                    }
                }
            }
        }
        if let Some(b) = bias {
            let bv = f64::from(b[oi]);
            buf.iter_mut().for_each(|v| *v += bv);
        }
    });
    Ok(Value::F32(narrow_all(os, acc)?))
}

/// [`crate::ir::Op::Deconv`].
pub(super) fn deconv(
    spec: &DeconvSpec,
    args: &[&Value],
    out: &TensorFact,
) -> Result<Value, OpError> {
    let (x, w) = (args[0].as_f32()?, args[1].as_f32()?);
    let bias = bias_of(args)?;
    let (xs, ws, os) = (x.shape(), w.shape(), out.shape.as_slice());
    let (c, o, g) = (xs[1], os[1], spec.group);
    let (cg, og) = (c / g, o / g);
    let (p_in, p_out, kk) = (numel(&xs[2..]), numel(&os[2..]), numel(&ws[2..]));
    let table = taps(
        &xs[2..],
        &os[2..],
        &ws[2..],
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    );
    let (xd, wd) = (x.data(), w.data());
    let mut acc = vec![0f64; numel(os)];
    for_each_chunk(&mut acc, p_out, |ch, buf| {
        let (ni, oi) = (ch / o, ch % o);
        let (gi, ol) = (oi / og, oi % og);
        for ci in 0..cg {
            let cin = gi * cg + ci;
            let xbase = (ni * c + cin) * p_in;
            let wbase = (cin * og + ol) * kk;
            for q in 0..kk {
                let wv = f64::from(wd[wbase + q]);
                let row = &table[q * p_in..(q + 1) * p_in];
                for (p, &dst) in row.iter().enumerate() {
                    if dst != NONE {
                        buf[dst] += f64::from(xd[xbase + p]) * wv;
                    }
                }
            }
        }
        if let Some(b) = bias {
            let bv = f64::from(b[oi]);
            buf.iter_mut().for_each(|v| *v += bv);
        }
    });
    Ok(Value::F32(narrow_all(os, acc)?))
}
