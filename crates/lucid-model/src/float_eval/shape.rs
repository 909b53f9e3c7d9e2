//! Data-movement operators (dtype-generic, exact): reshape, transpose, broadcast, concat,
//! slice, pad and nearest upsampling.

use super::{bad_value, per_dtype};
use crate::ir::{OpError, PadMode, TensorFact, slice_range};
use crate::tensor::{Tensor, Value, numel, strides, unravel};

/// [`crate::ir::Op::Reshape`].
pub(super) fn reshape(x: &Value, shape: &[usize]) -> Result<Value, OpError> {
    Ok(per_dtype!(x, |t| t.clone().reshape(shape.to_vec())))
}

fn transpose_t<T: Clone>(t: &Tensor<T>, perm: &[usize]) -> Result<Tensor<T>, OpError> {
    let in_strides = strides(t.shape());
    let out_shape: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    let src_strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let mut idx = vec![0usize; out_shape.len()];
    let data = (0..t.len())
        .map(|off| {
            unravel(off, &out_shape, &mut idx);
            let src: usize = idx.iter().zip(&src_strides).map(|(i, s)| i * s).sum();
            t.data()[src].clone()
        })
        .collect();
    Ok(Tensor::new(out_shape, data)?)
}

/// [`crate::ir::Op::Transpose`]: output axis `i` is input axis `perm[i]`.
pub(super) fn transpose(x: &Value, perm: &[usize]) -> Result<Value, OpError> {
    Ok(per_dtype!(x, |t| transpose_t(t, perm)))
}

/// [`crate::ir::Op::Broadcast`].
pub(super) fn broadcast(x: &Value, shape: &[usize]) -> Result<Value, OpError> {
    Ok(per_dtype!(x, |t| t.broadcast_to(shape)))
}

fn concat_t<T: Clone>(
    parts: &[&Tensor<T>],
    axis: usize,
    out_shape: &[usize],
) -> Result<Tensor<T>, OpError> {
    let outer = numel(&out_shape[..axis]);
    let inner = numel(&out_shape[axis + 1..]);
    let mut data = Vec::with_capacity(numel(out_shape));
    for o in 0..outer {
        for p in parts {
            let chunk = p.shape()[axis] * inner;
            data.extend_from_slice(&p.data()[o * chunk..(o + 1) * chunk]);
        }
    }
    Ok(Tensor::new(out_shape.to_vec(), data)?)
}

/// [`crate::ir::Op::Concat`].
pub(super) fn concat(args: &[&Value], axis: usize, out: &TensorFact) -> Result<Value, OpError> {
    macro_rules! cat {
        ($variant:ident, $as:ident) => {{
            let parts = args
                .iter()
                .map(|v| v.$as())
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::$variant(concat_t(&parts, axis, &out.shape)?))
        }};
    }
    match args.first() {
        Some(Value::F32(_)) => cat!(F32, as_f32),
        Some(Value::I64(_)) => cat!(I64, as_i64),
        Some(Value::Bool(_)) => cat!(Bool, as_bool),
        None => Err(bad_value("concat of nothing")),
    }
}

fn slice_t<T: Clone>(
    t: &Tensor<T>,
    axis: usize,
    first: i64,
    len: usize,
    step: i64,
) -> Result<Tensor<T>, OpError> {
    let shape = t.shape();
    let (outer, dim, inner) = (
        numel(&shape[..axis]),
        shape[axis],
        numel(&shape[axis + 1..]),
    );
    let mut out_shape = shape.to_vec();
    out_shape[axis] = len;
    let mut data = Vec::with_capacity(outer * len * inner);
    for o in 0..outer {
        for j in 0..len {
            let src = first + j as i64 * step;
            let src = usize::try_from(src)
                .ok()
                .filter(|&s| s < dim)
                .ok_or_else(|| bad_value(format!("slice index {src} outside 0..{dim}")))?;
            let base = (o * dim + src) * inner;
            data.extend_from_slice(&t.data()[base..base + inner]);
        }
    }
    Ok(Tensor::new(out_shape, data)?)
}

/// [`crate::ir::Op::Slice`] (ONNX semantics, see [`slice_range`]).
pub(super) fn slice(
    x: &Value,
    axis: usize,
    start: i64,
    end: i64,
    step: i64,
) -> Result<Value, OpError> {
    let (first, len) = slice_range(x.shape()[axis], start, end, step)?;
    Ok(per_dtype!(x, |t| slice_t(t, axis, first, len, step)))
}

/// Source coordinate of output coordinate `o` on an axis of size `d` padded by `begin`, or
/// `None` for the constant border.
fn pad_source(o: usize, d: usize, begin: usize, mode: PadMode) -> Option<usize> {
    let c = o as i64 - begin as i64;
    let d = d as i64;
    if (0..d).contains(&c) {
        return Some(c as usize);
    }
    match mode {
        PadMode::Constant => None,
        PadMode::Edge => Some(c.clamp(0, d - 1) as usize),
        PadMode::Reflect => {
            // Mirror without repeating the edge; valid because pads < d (checked by infer).
            let r = if c < 0 { -c } else { 2 * (d - 1) - c };
            Some(r.clamp(0, d - 1) as usize)
        }
    }
}

fn pad_t<T: Clone>(
    t: &Tensor<T>,
    pads: &[(usize, usize)],
    mode: PadMode,
    fill: T,
) -> Result<Tensor<T>, OpError> {
    let shape = t.shape();
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(pads)
        .map(|(d, (b, e))| d + b + e)
        .collect();
    let in_strides = strides(shape);
    let mut idx = vec![0usize; shape.len()];
    let data = (0..numel(&out_shape))
        .map(|off| {
            unravel(off, &out_shape, &mut idx);
            let mut src = 0usize;
            for ax in 0..shape.len() {
                match pad_source(idx[ax], shape[ax], pads[ax].0, mode) {
                    Some(c) => src += c * in_strides[ax],
                    None => return fill.clone(),
                }
            }
            t.data()[src].clone()
        })
        .collect();
    Ok(Tensor::new(out_shape, data)?)
}

/// [`crate::ir::Op::Pad`].
pub(super) fn pad(
    x: &Value,
    pads: &[(usize, usize)],
    mode: PadMode,
    value: f32,
) -> Result<Value, OpError> {
    Ok(match x {
        Value::F32(t) => Value::F32(pad_t(t, pads, mode, value)?),
        Value::I64(t) => Value::I64(pad_t(t, pads, mode, value as i64)?),
        Value::Bool(t) => Value::Bool(pad_t(t, pads, mode, value != 0.0)?),
    })
}

fn upsample_t<T: Clone>(t: &Tensor<T>, factors: &[usize]) -> Result<Tensor<T>, OpError> {
    let out_shape: Vec<usize> = t.shape().iter().zip(factors).map(|(d, f)| d * f).collect();
    let in_strides = strides(t.shape());
    Ok(Tensor::from_fn(out_shape, |idx| {
        let src: usize = idx
            .iter()
            .zip(factors)
            .zip(&in_strides)
            .map(|((i, f), s)| (i / f) * s)
            .sum();
        t.data()[src].clone()
    })?)
}

/// [`crate::ir::Op::NearestUpsample`].
pub(super) fn upsample(x: &Value, factors: &[usize]) -> Result<Value, OpError> {
    Ok(per_dtype!(x, |t| upsample_t(t, factors)))
}
