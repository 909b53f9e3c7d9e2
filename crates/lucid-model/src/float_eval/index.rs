//! Index operators (exact): Gather, GatherElements, ScatterElements, OneHot and TopK.
//! Out-of-range indices are errors naming the index, never panics.

use std::cmp::Ordering;

use super::{bad_value, per_dtype};
use crate::ir::{OpError, ScatterReduction, TopKOutput};
use crate::tensor::{DType, Tensor, Value, numel, strides, unravel};

/// Resolves a possibly negative index against `dim`.
fn resolve(i: i64, dim: usize) -> Result<usize, OpError> {
    let d = dim as i64;
    let r = if i < 0 { i + d } else { i };
    if (0..d).contains(&r) {
        Ok(r as usize)
    } else {
        Err(bad_value(format!("index {i} out of range for dim {dim}")))
    }
}

fn gather_t<T: Clone>(t: &Tensor<T>, idx: &Tensor<i64>, axis: usize) -> Result<Tensor<T>, OpError> {
    let shape = t.shape();
    let (outer, dim, inner) = (
        numel(&shape[..axis]),
        shape[axis],
        numel(&shape[axis + 1..]),
    );
    let resolved = idx
        .data()
        .iter()
        .map(|&i| resolve(i, dim))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out_shape = shape[..axis].to_vec();
    out_shape.extend_from_slice(idx.shape());
    out_shape.extend_from_slice(&shape[axis + 1..]);
    let mut data = Vec::with_capacity(outer * resolved.len() * inner);
    for o in 0..outer {
        for &r in &resolved {
            let base = (o * dim + r) * inner;
            data.extend_from_slice(&t.data()[base..base + inner]);
        }
    }
    Ok(Tensor::new(out_shape, data)?)
}

/// [`crate::ir::Op::Gather`].
pub(super) fn gather(x: &Value, idx: &Value, axis: usize) -> Result<Value, OpError> {
    let idx = idx.as_i64()?;
    Ok(per_dtype!(x, |t| gather_t(t, idx, axis)))
}

/// For each position of `indices` (row-major), the flat offset in `data` of the element it
/// addresses along `axis`.
fn element_offsets(
    data_shape: &[usize],
    idx: &Tensor<i64>,
    axis: usize,
) -> Result<Vec<usize>, OpError> {
    let ds = strides(data_shape);
    let mut pos = vec![0usize; idx.rank()];
    idx.data()
        .iter()
        .enumerate()
        .map(|(off, &i)| {
            unravel(off, idx.shape(), &mut pos);
            pos[axis] = resolve(i, data_shape[axis])?;
            Ok(pos.iter().zip(&ds).map(|(p, s)| p * s).sum())
        })
        .collect()
}

/// [`crate::ir::Op::GatherElements`].
pub(super) fn gather_elements(x: &Value, idx: &Value, axis: usize) -> Result<Value, OpError> {
    let idx = idx.as_i64()?;
    let offs = element_offsets(x.shape(), idx, axis)?;
    let shape = idx.shape().to_vec();
    Ok(per_dtype!(x, |t| Tensor::new(
        shape.clone(),
        offs.iter().map(|&o| t.data()[o]).collect()
    )))
}

fn scatter_t<T: Clone>(
    t: &Tensor<T>,
    offs: &[usize],
    upd: &Tensor<T>,
    combine: impl Fn(&T, &T) -> Result<T, OpError>,
) -> Result<Tensor<T>, OpError> {
    let mut out = t.clone();
    for (&o, u) in offs.iter().zip(upd.data()) {
        let cur = &mut out.data_mut()[o];
        *cur = combine(cur, u)?;
    }
    Ok(out)
}

/// [`crate::ir::Op::ScatterElements`].
pub(super) fn scatter_elements(
    x: &Value,
    idx: &Value,
    upd: &Value,
    axis: usize,
    reduction: ScatterReduction,
) -> Result<Value, OpError> {
    let offs = element_offsets(x.shape(), idx.as_i64()?, axis)?;
    use ScatterReduction as R;
    Ok(match (x, upd) {
        (Value::F32(t), Value::F32(u)) => Value::F32(scatter_t(t, &offs, u, |a, b| {
            Ok(match reduction {
                R::None => *b,
                R::Add => a + b,
                R::Mul => a * b,
                R::Max => a.max(*b),
                R::Min => a.min(*b),
            })
        })?),
        (Value::I64(t), Value::I64(u)) => Value::I64(scatter_t(t, &offs, u, |a, b| {
            match reduction {
                R::None => Some(*b),
                R::Add => a.checked_add(*b),
                R::Mul => a.checked_mul(*b),
                R::Max => Some(*a.max(b)),
                R::Min => Some(*a.min(b)),
            }
            .ok_or_else(|| bad_value("i64 overflow in scatter reduction"))
        })?),
        (Value::Bool(t), Value::Bool(u)) => Value::Bool(scatter_t(t, &offs, u, |a, b| {
            Ok(match reduction {
                R::None => *b,
                R::Add | R::Max => *a || *b,
                R::Mul | R::Min => *a && *b,
            })
        })?),
        _ => {
            return Err(bad_value(
                "scatter data and updates must have the same dtype",
            ));
        }
    })
}

/// [`crate::ir::Op::OneHot`].
pub(super) fn one_hot(
    idx: &Value,
    axis: usize,
    depth: usize,
    on: f32,
    off: f32,
    dtype: DType,
) -> Result<Value, OpError> {
    let idx = idx.as_i64()?;
    let mut shape = idx.shape().to_vec();
    shape.insert(axis, depth);
    let is = strides(idx.shape());
    let d = depth as i64;
    let hot = Tensor::from_fn(shape, |pos| {
        let src: usize = pos
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != axis)
            .zip(&is)
            .map(|((_, p), s)| p * s)
            .sum();
        let i = idx.data()[src];
        let i = if i < 0 { i + d } else { i };
        i == pos[axis] as i64
    })?;
    Ok(match dtype {
        DType::F32 => Value::F32(hot.map(|&h| if h { on } else { off })),
        DType::I64 => Value::I64(hot.map(|&h| if h { on as i64 } else { off as i64 })),
        DType::Bool => Value::Bool(hot.map(|&h| if h { on != 0.0 } else { off != 0.0 })),
    })
}

fn top_k_t<T: Clone>(
    t: &Tensor<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
    axis: usize,
    k: usize,
    largest: bool,
) -> Result<(Tensor<T>, Tensor<i64>), OpError> {
    let shape = t.shape();
    let (outer, dim, inner) = (
        numel(&shape[..axis]),
        shape[axis],
        numel(&shape[axis + 1..]),
    );
    let mut out_shape = shape.to_vec();
    out_shape[axis] = k;
    let at = |o: usize, j: usize, i: usize| &t.data()[(o * dim + j) * inner + i];
    let mut idxs = vec![0usize; outer * k * inner];
    let mut lane: Vec<usize> = Vec::with_capacity(dim);
    for o in 0..outer {
        for i in 0..inner {
            lane.clear();
            lane.extend(0..dim);
            // Stable sort: ties keep the lower index first.
            lane.sort_by(|&a, &b| {
                let c = cmp(at(o, a, i), at(o, b, i));
                if largest { c.reverse() } else { c }
            });
            for (r, &j) in lane.iter().take(k).enumerate() {
                idxs[(o * k + r) * inner + i] = j;
            }
        }
    }
    let mut data = Vec::with_capacity(idxs.len());
    for o in 0..outer {
        for r in 0..k {
            for i in 0..inner {
                data.push(at(o, idxs[(o * k + r) * inner + i], i).clone());
            }
        }
    }
    let idxs = idxs.into_iter().map(|j| j as i64).collect();
    Ok((
        Tensor::new(out_shape.clone(), data)?,
        Tensor::new(out_shape, idxs)?,
    ))
}

/// Total order of f32 for TopK: −0 equals +0, NaN is the largest value.
fn cmp_f32(a: &f32, b: &f32) -> Ordering {
    let key = |v: f32| {
        if v.is_nan() {
            f32::INFINITY
        } else if v == 0.0 {
            0.0
        } else {
            v
        }
    };
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => key(*a).total_cmp(&key(*b)),
    }
}

/// [`crate::ir::Op::TopK`].
pub(super) fn top_k(
    x: &Value,
    axis: usize,
    k: usize,
    largest: bool,
    output: TopKOutput,
) -> Result<Value, OpError> {
    let (v, i) = match x {
        Value::F32(t) => {
            let (v, i) = top_k_t(t, cmp_f32, axis, k, largest)?;
            (Value::F32(v), i)
        }
        Value::I64(t) => {
            let (v, i) = top_k_t(t, i64::cmp, axis, k, largest)?;
            (Value::I64(v), i)
        }
        Value::Bool(_) => return Err(bad_value("TopK of a bool tensor")),
    };
    Ok(match output {
        TopKOutput::Values => v,
        TopKOutput::Indices => Value::I64(i),
    })
}
