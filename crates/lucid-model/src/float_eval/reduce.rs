//! Reductions over axes (sum, mean, max, min, product, squares, arg-max/min), softmax,
//! log-softmax and RMS normalization. Sums are accumulated in f64 (i128 for integers).

use super::bad_value;
use super::num::Num;
use crate::ir::{OpError, ReduceKind, TensorFact};
use crate::tensor::{Tensor, Value, numel, strides, unravel};

/// For every element of `shape` (row-major), the index of its reduction group, i.e. its offset
/// in the shape with `axes` set to 1. Also returns the number of groups.
fn groups(shape: &[usize], axes: &[usize]) -> (Vec<usize>, usize) {
    let keep: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let mut ks = strides(&keep);
    for &a in axes {
        ks[a] = 0;
    }
    let mut idx = vec![0usize; shape.len()];
    let map = (0..numel(shape))
        .map(|off| {
            unravel(off, shape, &mut idx);
            idx.iter().zip(&ks).map(|(i, s)| i * s).sum()
        })
        .collect();
    (map, numel(&keep))
}

/// [`crate::ir::Op::Reduce`]; `out` is the inferred output (keepdims already applied).
pub(super) fn reduce(
    kind: ReduceKind,
    x: &Value,
    axes: &[usize],
    out: &TensorFact,
) -> Result<Value, OpError> {
    match (kind, x) {
        (ReduceKind::ArgMax { select_last }, Value::F32(t)) => {
            arg_reduce(t, axes, true, select_last, &out.shape)
        }
        (ReduceKind::ArgMin { select_last }, Value::F32(t)) => {
            arg_reduce(t, axes, false, select_last, &out.shape)
        }
        (ReduceKind::ArgMax { select_last }, Value::I64(t)) => {
            arg_reduce(t, axes, true, select_last, &out.shape)
        }
        (ReduceKind::ArgMin { select_last }, Value::I64(t)) => {
            arg_reduce(t, axes, false, select_last, &out.shape)
        }
        (_, Value::F32(t)) => Ok(Value::F32(reduce_num(kind, t, axes, &out.shape)?)),
        (_, Value::I64(t)) => Ok(Value::I64(reduce_num(kind, t, axes, &out.shape)?)),
        (_, Value::Bool(_)) => Err(bad_value("cannot reduce a bool tensor")),
    }
}

fn reduce_num<T: Num>(
    kind: ReduceKind,
    x: &Tensor<T>,
    axes: &[usize],
    out_shape: &[usize],
) -> Result<Tensor<T>, OpError> {
    let (map, n_groups) = groups(x.shape(), axes);
    let count: usize = axes.iter().map(|&a| x.shape()[a]).product();
    match kind {
        ReduceKind::Max | ReduceKind::Min => {
            let mut best: Vec<Option<T>> = vec![None; n_groups];
            for (&v, &g) in x.data().iter().zip(&map) {
                best[g] = Some(match best[g] {
                    None => v,
                    Some(b)
                        if (kind == ReduceKind::Max && v > b)
                            || (kind == ReduceKind::Min && v < b) =>
                    {
                        v
                    }
                    Some(b) => b,
                });
            }
            let data = best
                .into_iter()
                .map(|b| b.ok_or_else(|| bad_value("max/min over an empty axis")))
                .collect::<Result<Vec<T>, _>>()?;
            Ok(Tensor::new(out_shape.to_vec(), data)?)
        }
        _ => {
            let init = if kind == ReduceKind::Prod {
                T::ONE
            } else {
                T::ZERO
            };
            let mut acc = vec![init; n_groups];
            for (&v, &g) in x.data().iter().zip(&map) {
                acc[g] = match kind {
                    ReduceKind::Prod => T::mul(acc[g], v.widen()),
                    ReduceKind::SumSquare | ReduceKind::MeanSquare => T::mac(acc[g], v, v),
                    _ => T::add(acc[g], v.widen()),
                };
            }
            if matches!(kind, ReduceKind::Mean | ReduceKind::MeanSquare) {
                acc.iter_mut().for_each(|a| *a = T::div_count(*a, count));
            }
            let data = acc
                .into_iter()
                .map(T::narrow)
                .collect::<Result<Vec<T>, _>>()?;
            Ok(Tensor::new(out_shape.to_vec(), data)?)
        }
    }
}

fn arg_reduce<T: PartialOrd + Copy>(
    x: &Tensor<T>,
    axes: &[usize],
    max: bool,
    select_last: bool,
    out_shape: &[usize],
) -> Result<Value, OpError> {
    let axis = *axes
        .first()
        .ok_or_else(|| bad_value("arg reduction needs an axis"))?;
    let (map, n_groups) = groups(x.shape(), axes);
    let (stride, dim) = (strides(x.shape())[axis], x.shape()[axis]);
    let mut best: Vec<Option<(T, usize)>> = vec![None; n_groups];
    for (off, (&v, &g)) in x.data().iter().zip(&map).enumerate() {
        let pos = (off / stride) % dim;
        let better = match best[g] {
            None => true,
            Some((b, _)) => {
                let strictly = if max { v > b } else { v < b };
                strictly || (select_last && v == b)
            }
        };
        if better {
            best[g] = Some((v, pos));
        }
    }
    let data = best
        .into_iter()
        .map(|b| {
            b.map(|(_, p)| p as i64)
                .ok_or_else(|| bad_value("arg reduction over an empty axis or only NaN"))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(Value::I64(Tensor::new(out_shape.to_vec(), data)?))
}

/// [`crate::ir::Op::Softmax`] (`log = false`) and [`crate::ir::Op::LogSoftmax`] (`log = true`).
pub(super) fn softmax(x: &Value, axes: &[usize], log: bool) -> Result<Value, OpError> {
    let t = x.as_f32()?;
    let (map, n_groups) = groups(t.shape(), axes);
    let mut max = vec![f64::NEG_INFINITY; n_groups];
    for (&v, &g) in t.data().iter().zip(&map) {
        max[g] = max[g].max(f64::from(v));
    }
    let mut sum = vec![0f64; n_groups];
    for (&v, &g) in t.data().iter().zip(&map) {
        sum[g] += (f64::from(v) - max[g]).exp();
    }
    let data = t
        .data()
        .iter()
        .zip(&map)
        .map(|(&v, &g)| {
            let z = f64::from(v) - max[g];
            (if log {
                z - sum[g].ln()
            } else {
                z.exp() / sum[g]
            }) as f32
        })
        .collect();
    Ok(Value::F32(Tensor::new(t.shape().to_vec(), data)?))
}

/// [`crate::ir::Op::RmsNorm`]: `x / sqrt(mean(x², axis) + eps)`.
pub(super) fn rms_norm(x: &Value, axis: usize, eps: f32) -> Result<Value, OpError> {
    let t = x.as_f32()?;
    let (map, n_groups) = groups(t.shape(), &[axis]);
    let n = t.shape()[axis] as f64;
    let mut ms = vec![0f64; n_groups];
    for (&v, &g) in t.data().iter().zip(&map) {
        ms[g] += f64::from(v) * f64::from(v);
    }
    let scale: Vec<f64> = ms
        .iter()
        .map(|s| 1.0 / (s / n + f64::from(eps)).sqrt())
        .collect();
    let data = t
        .data()
        .iter()
        .zip(&map)
        .map(|(&v, &g)| (f64::from(v) * scale[g]) as f32)
        .collect();
    Ok(Value::F32(Tensor::new(t.shape().to_vec(), data)?))
}
