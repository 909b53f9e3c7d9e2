//! Shape and dtype inference for every operator: the single source of truth for what an op
//! accepts. [`Op::infer`] is used by graph construction, validation and the interpreters.

use super::einsum::EinsumSpec;
use super::error::OpError;
use super::op::{ConvSpec, DeconvSpec, Op, PadMode, PoolSpec, ReduceKind, TopKOutput};
use crate::tensor::{DType, broadcast_all, checked_numel};

/// Static type of a tensor: shape and element type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TensorFact {
    /// The shape.
    pub shape: Vec<usize>,
    /// The element type.
    pub dtype: DType,
}

impl TensorFact {
    /// A fact from shape and dtype.
    pub fn new(shape: Vec<usize>, dtype: DType) -> Self {
        Self { shape, dtype }
    }
}

fn count(inputs: &[TensorFact], min: usize, max: usize) -> Result<(), OpError> {
    if inputs.len() < min || inputs.len() > max {
        let expected = if min == max {
            min.to_string()
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(OpError::InputCount {
            expected,
            got: inputs.len(),
        });
    }
    Ok(())
}

fn dtype_in(inputs: &[TensorFact], i: usize, allowed: &[DType]) -> Result<DType, OpError> {
    let got = inputs[i].dtype;
    if !allowed.contains(&got) {
        let names: Vec<String> = allowed.iter().map(|d| d.to_string()).collect();
        return Err(OpError::DType {
            input: i,
            expected: names.join(" or "),
            got,
        });
    }
    Ok(got)
}

fn same_dtype(inputs: &[TensorFact], first: usize) -> Result<DType, OpError> {
    let d = inputs[first].dtype;
    for (i, f) in inputs.iter().enumerate().skip(first + 1) {
        if f.dtype != d {
            return Err(OpError::DType {
                input: i,
                expected: d.to_string(),
                got: f.dtype,
            });
        }
    }
    Ok(d)
}

/// `a + b`, or a shape error on overflow (graphs may come from untrusted files).
fn add(a: usize, b: usize) -> Result<usize, OpError> {
    a.checked_add(b)
        .ok_or_else(|| shape_err("size overflows usize"))
}

/// `a · b`, or a shape error on overflow.
fn mul(a: usize, b: usize) -> Result<usize, OpError> {
    a.checked_mul(b)
        .ok_or_else(|| shape_err("size overflows usize"))
}

fn axis_ok(axis: usize, rank: usize) -> Result<(), OpError> {
    if axis >= rank {
        return Err(OpError::Axis { axis, rank });
    }
    Ok(())
}

fn param(reason: impl Into<String>) -> OpError {
    OpError::Param {
        reason: reason.into(),
    }
}

fn shape_err(reason: impl Into<String>) -> OpError {
    OpError::Shape {
        reason: reason.into(),
    }
}

/// Output length and first index of an ONNX slice of a dim (see [`Op::Slice`]).
pub fn slice_range(dim: usize, start: i64, end: i64, step: i64) -> Result<(i64, usize), OpError> {
    if step == 0 {
        return Err(param("slice step is 0"));
    }
    let d = i64::try_from(dim).map_err(|_| param("dim too large"))?;
    let norm = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
    let (s, e) = (norm(start), norm(end));
    // Lengths in i128: no overflow for any i64 step.
    let (first, len) = if step > 0 {
        let (s, e) = (s.clamp(0, d), e.clamp(0, d));
        let len = if e > s {
            (i128::from(e - s) + i128::from(step) - 1) / i128::from(step)
        } else {
            0
        };
        (s, len)
    } else {
        let (s, e) = (s.clamp(-1, d - 1), e.clamp(-1, d - 1));
        let st = -i128::from(step);
        let len = if s > e {
            (i128::from(s - e) + st - 1) / st
        } else {
            0
        };
        (s, len)
    };
    // 0 ≤ len ≤ dim, so the conversion cannot fail.
    Ok((first, usize::try_from(len).unwrap_or(0)))
}

/// Output size of one spatial axis of a convolution or pooling window; errors when the window
/// does not fit.
pub fn window_out(
    dim: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    pads: (usize, usize),
) -> Result<usize, OpError> {
    if kernel == 0 || stride == 0 || dilation == 0 {
        return Err(param("kernel, stride and dilation must be ≥ 1"));
    }
    let padded = add(add(dim, pads.0)?, pads.1)?;
    let span = add(mul(dilation, kernel - 1)?, 1)?;
    if padded < span {
        return Err(shape_err(format!(
            "window of span {span} does not fit padded size {padded}"
        )));
    }
    Ok((padded - span) / stride + 1)
}

fn check_spatial(name: &str, v_len: usize, k: usize) -> Result<(), OpError> {
    if v_len != k {
        return Err(param(format!(
            "{name} has {v_len} entries for {k} spatial axes"
        )));
    }
    Ok(())
}

fn conv_shape(spec: &ConvSpec, inputs: &[TensorFact]) -> Result<Vec<usize>, OpError> {
    count(inputs, 2, 3)?;
    for i in 0..inputs.len() {
        dtype_in(inputs, i, &[DType::F32])?;
    }
    let (x, w) = (&inputs[0].shape, &inputs[1].shape);
    if x.len() < 3 {
        return Err(OpError::Rank {
            input: 0,
            expected: "≥ 3 ([N, C, spatial..])".into(),
            got: x.clone(),
        });
    }
    let k = x.len() - 2;
    if w.len() != x.len() {
        return Err(OpError::Rank {
            input: 1,
            expected: x.len().to_string(),
            got: w.clone(),
        });
    }
    check_spatial("strides", spec.strides.len(), k)?;
    check_spatial("pads", spec.pads.len(), k)?;
    check_spatial("dilations", spec.dilations.len(), k)?;
    let g = spec.group;
    if g == 0 || x[1] % g != 0 || w[0] % g != 0 {
        return Err(shape_err(format!(
            "group {g} must divide input channels {} and output channels {}",
            x[1], w[0]
        )));
    }
    if mul(w[1], g)? != x[1] {
        return Err(shape_err(format!(
            "weight has {} input channels per group, input has {} channels in {g} groups",
            w[1], x[1]
        )));
    }
    if let Some(b) = inputs.get(2)
        && b.shape != [w[0]]
    {
        return Err(shape_err(format!(
            "bias shape {:?}, expected [{}]",
            b.shape, w[0]
        )));
    }
    let mut out = vec![x[0], w[0]];
    for i in 0..k {
        out.push(window_out(
            x[i + 2],
            w[i + 2],
            spec.strides[i],
            spec.dilations[i],
            spec.pads[i],
        )?);
    }
    Ok(out)
}

fn deconv_shape(spec: &DeconvSpec, inputs: &[TensorFact]) -> Result<Vec<usize>, OpError> {
    count(inputs, 2, 3)?;
    for i in 0..inputs.len() {
        dtype_in(inputs, i, &[DType::F32])?;
    }
    let (x, w) = (&inputs[0].shape, &inputs[1].shape);
    if x.len() < 3 || w.len() != x.len() {
        return Err(OpError::Rank {
            input: if x.len() < 3 { 0 } else { 1 },
            expected: "x [N, C, spatial..] and w of the same rank".into(),
            got: if x.len() < 3 { x.clone() } else { w.clone() },
        });
    }
    let k = x.len() - 2;
    check_spatial("strides", spec.strides.len(), k)?;
    check_spatial("pads", spec.pads.len(), k)?;
    check_spatial("dilations", spec.dilations.len(), k)?;
    check_spatial("output_padding", spec.output_padding.len(), k)?;
    let g = spec.group;
    if g == 0 || x[1] % g != 0 || w[0] != x[1] {
        return Err(shape_err(format!(
            "weight dim 0 ({}) must equal input channels ({}) divisible by group {g}",
            w[0], x[1]
        )));
    }
    let o = mul(w[1], g)?;
    if let Some(b) = inputs.get(2)
        && b.shape != [o]
    {
        return Err(shape_err(format!(
            "bias shape {:?}, expected [{o}]",
            b.shape
        )));
    }
    let mut out = vec![x[0], o];
    for i in 0..k {
        let (s, d) = (spec.strides[i], spec.dilations[i]);
        if s == 0 || d == 0 || w[i + 2] == 0 || x[i + 2] == 0 {
            return Err(param(
                "strides, dilations, kernel and input sizes must be ≥ 1",
            ));
        }
        let full = add(
            add(mul(s, x[i + 2] - 1)?, spec.output_padding[i])?,
            add(mul(d, w[i + 2] - 1)?, 1)?,
        )?;
        let crop = add(spec.pads[i].0, spec.pads[i].1)?;
        if crop >= full {
            return Err(shape_err(format!("pads {crop} crop all of size {full}")));
        }
        out.push(full - crop);
    }
    Ok(out)
}

fn pool_shape(spec: &PoolSpec, inputs: &[TensorFact]) -> Result<Vec<usize>, OpError> {
    count(inputs, 1, 1)?;
    dtype_in(inputs, 0, &[DType::F32])?;
    let x = &inputs[0].shape;
    if x.len() < 3 {
        return Err(OpError::Rank {
            input: 0,
            expected: "≥ 3 ([N, C, spatial..])".into(),
            got: x.clone(),
        });
    }
    let k = x.len() - 2;
    check_spatial("kernel", spec.kernel.len(), k)?;
    check_spatial("strides", spec.strides.len(), k)?;
    check_spatial("pads", spec.pads.len(), k)?;
    check_spatial("dilations", spec.dilations.len(), k)?;
    let mut out = vec![x[0], x[1]];
    for i in 0..k {
        let window = mul(spec.kernel[i], spec.dilations[i].max(1))?;
        if spec.pads[i].0 >= window || spec.pads[i].1 >= window {
            return Err(param("pool padding must be smaller than the window"));
        }
        out.push(window_out(
            x[i + 2],
            spec.kernel[i],
            spec.strides[i],
            spec.dilations[i],
            spec.pads[i],
        )?);
    }
    Ok(out)
}

fn axes_ok(axes: &[usize], rank: usize) -> Result<(), OpError> {
    for (i, &a) in axes.iter().enumerate() {
        axis_ok(a, rank)?;
        if axes[..i].contains(&a) {
            return Err(param(format!("axis {a} repeated")));
        }
    }
    Ok(())
}

impl Op {
    /// The output fact of this operator for the given input facts, or why the inputs are
    /// rejected. `Input` nodes are typed by the graph and rejected here. Never panics, also on
    /// graphs deserialized from untrusted files (sizes are checked for overflow).
    pub fn infer(&self, inputs: &[TensorFact]) -> Result<TensorFact, OpError> {
        let fact = self.infer_unchecked(inputs)?;
        checked_numel(&fact.shape)?;
        Ok(fact)
    }

    fn infer_unchecked(&self, inputs: &[TensorFact]) -> Result<TensorFact, OpError> {
        use DType::{Bool, F32, I64};
        let out = |shape, dtype| Ok(TensorFact { shape, dtype });
        match self {
            Op::Input { .. } => Err(param("Input nodes are typed by Graph::inputs")),
            Op::Const(v) => {
                count(inputs, 0, 0)?;
                out(v.shape().to_vec(), v.dtype())
            }
            Op::MatMul {
                transpose_a,
                transpose_b,
            } => {
                count(inputs, 2, 2)?;
                dtype_in(inputs, 0, &[F32, I64])?;
                let dt = same_dtype(inputs, 0)?;
                let (a, b) = (&inputs[0].shape, &inputs[1].shape);
                for (i, s) in [a, b].into_iter().enumerate() {
                    if s.len() < 2 {
                        return Err(OpError::Rank {
                            input: i,
                            expected: "≥ 2".into(),
                            got: s.clone(),
                        });
                    }
                }
                let (ra, rb) = (a.len(), b.len());
                let (m, ka) = if *transpose_a {
                    (a[ra - 1], a[ra - 2])
                } else {
                    (a[ra - 2], a[ra - 1])
                };
                let (kb, n) = if *transpose_b {
                    (b[rb - 1], b[rb - 2])
                } else {
                    (b[rb - 2], b[rb - 1])
                };
                if ka != kb {
                    return Err(shape_err(format!(
                        "matmul inner dims differ: {a:?} and {b:?} (k {ka} vs {kb})"
                    )));
                }
                let mut shape = broadcast_all(&[&a[..ra - 2], &b[..rb - 2]])?;
                shape.extend([m, n]);
                out(shape, dt)
            }
            Op::Einsum { expr } => {
                let spec = EinsumSpec::parse(expr)?;
                count(inputs, spec.inputs.len(), spec.inputs.len())?;
                dtype_in(inputs, 0, &[F32, I64])?;
                let dt = same_dtype(inputs, 0)?;
                let shapes: Vec<&[usize]> = inputs.iter().map(|f| f.shape.as_slice()).collect();
                out(spec.output_shape(&shapes)?, dt)
            }
            Op::Conv(spec) => out(conv_shape(spec, inputs)?, F32),
            Op::Deconv(spec) => out(deconv_shape(spec, inputs)?, F32),
            Op::Binary(b) => {
                count(inputs, 2, 2)?;
                let allowed: &[DType] = if *b == super::op::BinaryOp::Pow {
                    &[F32]
                } else {
                    &[F32, I64]
                };
                dtype_in(inputs, 0, allowed)?;
                let dt = same_dtype(inputs, 0)?;
                out(broadcast_all(&[&inputs[0].shape, &inputs[1].shape])?, dt)
            }
            Op::Compare(c) => {
                count(inputs, 2, 2)?;
                if !matches!(c, super::op::CmpOp::Eq | super::op::CmpOp::Ne) {
                    dtype_in(inputs, 0, &[F32, I64])?;
                }
                same_dtype(inputs, 0)?;
                out(broadcast_all(&[&inputs[0].shape, &inputs[1].shape])?, Bool)
            }
            Op::Logic(_) => {
                count(inputs, 2, 2)?;
                dtype_in(inputs, 0, &[Bool])?;
                dtype_in(inputs, 1, &[Bool])?;
                out(broadcast_all(&[&inputs[0].shape, &inputs[1].shape])?, Bool)
            }
            Op::Not => {
                count(inputs, 1, 1)?;
                dtype_in(inputs, 0, &[Bool])?;
                out(inputs[0].shape.clone(), Bool)
            }
            Op::Where => {
                count(inputs, 3, 3)?;
                dtype_in(inputs, 0, &[Bool])?;
                let dt = same_dtype(inputs, 1)?;
                let shape = broadcast_all(&[&inputs[0].shape, &inputs[1].shape, &inputs[2].shape])?;
                out(shape, dt)
            }
            Op::Unary(f) => {
                count(inputs, 1, 1)?;
                let allowed: &[DType] = if f.accepts_i64() { &[F32, I64] } else { &[F32] };
                let dt = dtype_in(inputs, 0, allowed)?;
                out(inputs[0].shape.clone(), dt)
            }
            Op::Softmax { axes } | Op::LogSoftmax { axes } => {
                count(inputs, 1, 1)?;
                dtype_in(inputs, 0, &[F32])?;
                if axes.is_empty() {
                    return Err(param("softmax needs at least one axis"));
                }
                axes_ok(axes, inputs[0].shape.len())?;
                out(inputs[0].shape.clone(), F32)
            }
            Op::Reduce {
                kind,
                axes,
                keepdims,
            } => {
                count(inputs, 1, 1)?;
                let x = &inputs[0].shape;
                axes_ok(axes, x.len())?;
                let dt = if kind.is_arg() {
                    dtype_in(inputs, 0, &[F32, I64])?;
                    if axes.len() != 1 {
                        return Err(param("ArgMax/ArgMin reduce exactly one axis"));
                    }
                    if x[axes[0]] == 0 {
                        return Err(shape_err("ArgMax/ArgMin over an empty axis"));
                    }
                    I64
                } else {
                    if matches!(kind, ReduceKind::Max | ReduceKind::Min)
                        && axes.iter().any(|&a| x[a] == 0)
                    {
                        return Err(shape_err("max/min over an empty axis"));
                    }
                    dtype_in(inputs, 0, &[F32, I64])?
                };
                let shape = x
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &d)| match (axes.contains(&i), keepdims) {
                        (false, _) => Some(d),
                        (true, true) => Some(1),
                        (true, false) => None,
                    })
                    .collect();
                out(shape, dt)
            }
            Op::RmsNorm { axis, eps } => {
                count(inputs, 1, 1)?;
                dtype_in(inputs, 0, &[F32])?;
                axis_ok(*axis, inputs[0].shape.len())?;
                if !(eps.is_finite() && *eps >= 0.0) {
                    return Err(param("eps must be finite and ≥ 0"));
                }
                out(inputs[0].shape.clone(), F32)
            }
            Op::MaxPool(spec) => out(pool_shape(spec, inputs)?, F32),
            Op::SumPool { pool, .. } => out(pool_shape(pool, inputs)?, F32),
            Op::Reshape { shape } => {
                count(inputs, 1, 1)?;
                let (a, b) = (checked_numel(&inputs[0].shape)?, checked_numel(shape)?);
                if a != b {
                    return Err(shape_err(format!(
                        "cannot reshape {:?} ({a} elements) to {shape:?} ({b})",
                        inputs[0].shape
                    )));
                }
                out(shape.clone(), inputs[0].dtype)
            }
            Op::Transpose { perm } => {
                count(inputs, 1, 1)?;
                let x = &inputs[0].shape;
                if perm.len() != x.len() {
                    return Err(param(format!("perm {perm:?} for rank {}", x.len())));
                }
                axes_ok(perm, x.len())?;
                out(perm.iter().map(|&p| x[p]).collect(), inputs[0].dtype)
            }
            Op::Broadcast { shape } => {
                count(inputs, 1, 1)?;
                let b = broadcast_all(&[&inputs[0].shape, shape])?;
                if &b != shape {
                    return Err(shape_err(format!(
                        "{:?} does not broadcast to {shape:?}",
                        inputs[0].shape
                    )));
                }
                out(shape.clone(), inputs[0].dtype)
            }
            Op::Concat { axis } => {
                count(inputs, 1, usize::MAX)?;
                let dt = same_dtype(inputs, 0)?;
                let first = &inputs[0].shape;
                axis_ok(*axis, first.len())?;
                let mut shape = first.clone();
                for (i, f) in inputs.iter().enumerate().skip(1) {
                    let ok = f.shape.len() == first.len()
                        && f.shape
                            .iter()
                            .zip(first)
                            .enumerate()
                            .all(|(j, (a, b))| j == *axis || a == b);
                    if !ok {
                        return Err(shape_err(format!(
                            "input {i} shape {:?} does not match {first:?} off axis {axis}",
                            f.shape
                        )));
                    }
                    shape[*axis] = add(shape[*axis], f.shape[*axis])?;
                }
                out(shape, dt)
            }
            Op::Slice {
                axis,
                start,
                end,
                step,
            } => {
                count(inputs, 1, 1)?;
                let mut shape = inputs[0].shape.clone();
                axis_ok(*axis, shape.len())?;
                shape[*axis] = slice_range(shape[*axis], *start, *end, *step)?.1;
                out(shape, inputs[0].dtype)
            }
            Op::Pad { pads, mode, value } => {
                count(inputs, 1, 1)?;
                let x = &inputs[0].shape;
                if pads.len() != x.len() {
                    return Err(param(format!("{} pads for rank {}", pads.len(), x.len())));
                }
                if !value.is_finite() && *mode == PadMode::Constant && inputs[0].dtype != F32 {
                    return Err(param("non-finite pad value for an integer tensor"));
                }
                let mut shape = Vec::with_capacity(x.len());
                for (&d, &(b, e)) in x.iter().zip(pads) {
                    match mode {
                        PadMode::Reflect if (b >= d || e >= d) && (b, e) != (0, 0) => {
                            return Err(shape_err(format!(
                                "reflect pad ({b}, {e}) needs a dim larger than both, got {d}"
                            )));
                        }
                        PadMode::Edge if d == 0 && (b, e) != (0, 0) => {
                            return Err(shape_err("edge padding of an empty axis"));
                        }
                        _ => {}
                    }
                    shape.push(add(add(d, b)?, e)?);
                }
                out(shape, inputs[0].dtype)
            }
            Op::Gather { axis } => {
                count(inputs, 2, 2)?;
                dtype_in(inputs, 1, &[I64])?;
                let x = &inputs[0].shape;
                axis_ok(*axis, x.len())?;
                let mut shape = x[..*axis].to_vec();
                shape.extend_from_slice(&inputs[1].shape);
                shape.extend_from_slice(&x[axis + 1..]);
                out(shape, inputs[0].dtype)
            }
            Op::GatherElements { axis } => {
                count(inputs, 2, 2)?;
                dtype_in(inputs, 1, &[I64])?;
                let (x, idx) = (&inputs[0].shape, &inputs[1].shape);
                axis_ok(*axis, x.len())?;
                if idx.len() != x.len()
                    || idx
                        .iter()
                        .zip(x)
                        .enumerate()
                        .any(|(j, (i, d))| j != *axis && i > d)
                {
                    return Err(shape_err(format!("indices {idx:?} for data {x:?}")));
                }
                out(idx.clone(), inputs[0].dtype)
            }
            Op::ScatterElements { axis, .. } => {
                count(inputs, 3, 3)?;
                dtype_in(inputs, 1, &[I64])?;
                if inputs[2].dtype != inputs[0].dtype {
                    return Err(OpError::DType {
                        input: 2,
                        expected: inputs[0].dtype.to_string(),
                        got: inputs[2].dtype,
                    });
                }
                let (x, idx, upd) = (&inputs[0].shape, &inputs[1].shape, &inputs[2].shape);
                axis_ok(*axis, x.len())?;
                if idx != upd
                    || idx.len() != x.len()
                    || idx
                        .iter()
                        .zip(x)
                        .enumerate()
                        .any(|(j, (i, d))| j != *axis && i > d)
                {
                    return Err(shape_err(format!(
                        "indices {idx:?} / updates {upd:?} for data {x:?}"
                    )));
                }
                out(x.clone(), inputs[0].dtype)
            }
            Op::NearestUpsample { factors } => {
                count(inputs, 1, 1)?;
                let x = &inputs[0].shape;
                if factors.len() != x.len() || factors.contains(&0) {
                    return Err(param(format!("factors {factors:?} for shape {x:?}")));
                }
                let shape = x
                    .iter()
                    .zip(factors)
                    .map(|(&d, &f)| mul(d, f))
                    .collect::<Result<Vec<_>, _>>()?;
                out(shape, inputs[0].dtype)
            }
            Op::OneHot {
                axis, depth, dtype, ..
            } => {
                count(inputs, 1, 1)?;
                dtype_in(inputs, 0, &[I64])?;
                let x = &inputs[0].shape;
                if *axis > x.len() {
                    return Err(OpError::Axis {
                        axis: *axis,
                        rank: x.len() + 1,
                    });
                }
                let mut shape = x.clone();
                shape.insert(*axis, *depth);
                out(shape, *dtype)
            }
            Op::TopK {
                axis, k, output, ..
            } => {
                count(inputs, 1, 1)?;
                let dt = dtype_in(inputs, 0, &[F32, I64])?;
                let mut shape = inputs[0].shape.clone();
                axis_ok(*axis, shape.len())?;
                if *k > shape[*axis] {
                    return Err(shape_err(format!("k = {k} > dim {}", shape[*axis])));
                }
                shape[*axis] = *k;
                out(
                    shape,
                    match output {
                        TopKOutput::Values => dt,
                        TopKOutput::Indices => I64,
                    },
                )
            }
            Op::Cast { to } => {
                count(inputs, 1, 1)?;
                out(inputs[0].shape.clone(), *to)
            }
            Op::Identity => {
                count(inputs, 1, 1)?;
                out(inputs[0].shape.clone(), inputs[0].dtype)
            }
        }
    }
}
