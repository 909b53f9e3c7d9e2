//! Shape and indexing ops: axis changes (add/remove/move/reshape), concatenation, slices
//! (including tract's `Downsample` and `StridedSlice`), padding, broadcasting, gathers and
//! scatters, TopK, nearest upsampling and one-hot.

use super::{Lowered, Lowerer, NodeCtx, one};
use lucid_model::ir::{DType, NodeId, Op, PadMode, ScatterReduction, TopKOutput};
use tract_onnx::prelude::{DatumType, TDim, tvec};
use tract_onnx::tract_core::ops::array::Gather;
use tract_onnx::tract_core::ops::array::{
    GatherElements, MultiBroadcastTo, OneHot, Pad, PadMode as TractPad, ScatterElements,
    ScatterReduction as TractScatter, Slice, StridedSlice, Topk, TypedConcat,
};
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::downsample::Downsample;
use tract_onnx::tract_core::ops::nn::NearestUpsample;

/// tract `AxisOp`: `Add`/`Rm`/`Reshape` become an IR `Reshape`, `Move` a `Transpose`.
pub(super) fn axis_op(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<AxisOp>().ok_or("not an AxisOp")?;
    let x = ctx.input(0)?;
    let out = ctx.out_shape(0)?;
    match op {
        AxisOp::Move(from, to) => {
            let r = lw.shape(x).len();
            if *from >= r || *to >= r {
                return Err(format!("Move({from},{to}) on rank {r}"));
            }
            let mut perm: Vec<usize> = (0..r).collect();
            let a = perm.remove(*from);
            perm.insert(*to, a);
            if perm.iter().enumerate().all(|(i, p)| i == *p) {
                return Ok(one(x));
            }
            Ok(one(lw.push(
                ctx.name.clone(),
                Op::Transpose { perm },
                vec![x],
            )?))
        }
        _ => Ok(one(lw.reshape(ctx.name.clone(), x, out)?)),
    }
}

/// tract `TypedConcat`.
pub(super) fn concat(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<TypedConcat>().ok_or("not a TypedConcat")?;
    Ok(one(lw.push(
        ctx.name.clone(),
        Op::Concat { axis: op.axis },
        ctx.inputs.clone(),
    )?))
}

fn dim_i64(d: &TDim) -> Result<i64, String> {
    d.to_i64().map_err(|_| format!("symbolic slice bound {d}"))
}

/// tract `Slice` (contiguous, bounds already non-negative).
pub(super) fn slice(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Slice>().ok_or("not a Slice")?;
    let (start, end) = (dim_i64(&op.start)?, dim_i64(&op.end)?);
    let s = Op::Slice {
        axis: op.axis,
        start,
        end,
        step: 1,
    };
    Ok(one(lw.push(ctx.name.clone(), s, vec![ctx.input(0)?])?))
}

/// An IR slice taking `begin, begin+step, …` before `end` where both are already resolved
/// positions (`end` may be −1 for a backward walk down to index 0).
fn resolved_slice(axis: usize, dim: usize, begin: i64, end: i64, step: i64) -> Op {
    // IR Slice reads negative bounds as counted from the end; a resolved "before 0" end of a
    // backward walk must therefore be written below −dim.
    let end = if step < 0 && end < 0 {
        -(dim as i64) - 1
    } else {
        end
    };
    Op::Slice {
        axis,
        start: begin,
        end,
        step,
    }
}

/// tract `Downsample`: every `stride`-th element from `modulo` (a negative stride walks the
/// range `[modulo, dim)` backwards from its last element).
pub(super) fn downsample(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Downsample>().ok_or("not a Downsample")?;
    let dim = *ctx.in_shape(0)?.get(op.axis).ok_or("axis out of range")?;
    let stride = op.stride as i64;
    let modulo = op.modulo as i64;
    let s = if stride > 0 {
        Op::Slice {
            axis: op.axis,
            start: modulo,
            end: dim as i64,
            step: stride,
        }
    } else {
        resolved_slice(op.axis, dim, dim as i64 - 1, modulo - 1, stride)
    };
    Ok(one(lw.push(ctx.name.clone(), s, vec![ctx.input(0)?])?))
}

/// tract `StridedSlice` with constant bounds (ONNX Slice with steps): one IR slice per axis,
/// then a reshape for shrunk axes.
pub(super) fn strided_slice(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx
        .node
        .op_as::<StridedSlice>()
        .ok_or("not a StridedSlice")?;
    let shape = ctx.in_shape(0)?;
    let begin = ctx.konst(1).ok_or("StridedSlice with non-constant begin")?;
    let end = ctx.konst(2).ok_or("StridedSlice with non-constant end")?;
    let axes: Vec<usize> = match op.optional_axes_input {
        Some(i) => {
            let t = ctx.konst(i).ok_or("StridedSlice with non-constant axes")?;
            let t = t.cast_to_dt(DatumType::I64).map_err(|e| e.to_string())?;
            let v = t.to_plain_array_view::<i64>().map_err(|e| e.to_string())?;
            v.iter()
                .map(|a| {
                    let a = if *a < 0 { a + shape.len() as i64 } else { *a };
                    usize::try_from(a).map_err(|_| format!("bad axis {a}"))
                })
                .collect::<Result<_, _>>()?
        }
        None => (0..begin.len()).collect(),
    };
    let steps: Vec<i32> = match op.optional_steps_input {
        Some(i) => {
            let t = ctx.konst(i).ok_or("StridedSlice with non-constant steps")?;
            let t = t.cast_to_dt(DatumType::I32).map_err(|e| e.to_string())?;
            let v = t.to_plain_array_view::<i32>().map_err(|e| e.to_string())?;
            v.iter().copied().collect()
        }
        None => vec![1; axes.len()],
    };
    let mut x = ctx.input(0)?;
    for (ix, &axis) in axes.iter().enumerate() {
        let d = op
            .prepare_one_dim(ix, &TDim::from(shape[axis] as i64), begin, end, &steps)
            .map_err(|e| format!("StridedSlice bounds: {e}"))?;
        let (b, e) = (dim_i64(&d.begin)?, dim_i64(&d.end)?);
        let step = i64::from(d.stride);
        let s = resolved_slice(axis, shape[axis], b, e, step);
        x = lw.push(ctx.sub(&format!("axis{axis}")), s, vec![x])?;
    }
    let out = ctx.out_shape(0)?;
    Ok(one(lw.reshape(ctx.name.clone(), x, out)?))
}

/// tract `Pad`.
pub(super) fn pad(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Pad>().ok_or("not a Pad")?;
    let (mode, value) = match &op.mode {
        TractPad::Constant(v) => {
            let v = v
                .cast_to_scalar::<f32>()
                .map_err(|e| format!("pad value: {e}"))?;
            (PadMode::Constant, v)
        }
        TractPad::Reflect => (PadMode::Reflect, 0.0),
        TractPad::Edge => (PadMode::Edge, 0.0),
    };
    let p = Op::Pad {
        pads: op.pads.clone(),
        mode,
        value,
    };
    Ok(one(lw.push(ctx.name.clone(), p, vec![ctx.input(0)?])?))
}

/// tract `MultiBroadcastTo` (ONNX Expand).
pub(super) fn broadcast(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    ctx.node
        .op_as::<MultiBroadcastTo>()
        .ok_or("not a MultiBroadcastTo")?;
    let shape = ctx.out_shape(0)?;
    let x = ctx.input(0)?;
    if lw.shape(x) == shape.as_slice() {
        return Ok(one(x));
    }
    Ok(one(lw.push(
        ctx.name.clone(),
        Op::Broadcast { shape },
        vec![x],
    )?))
}

/// Indices as I64 (the IR's index type).
fn indices(lw: &mut Lowerer, ctx: &NodeCtx<'_>, ix: usize) -> Result<NodeId, String> {
    let i = ctx.input(ix)?;
    lw.cast(ctx.sub("indices"), i, DType::I64)
}

/// tract `Gather` (ONNX Gather).
pub(super) fn gather(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Gather>().ok_or("not a Gather")?;
    if op.output_type.is_some() {
        return Err("Gather with an output type conversion is not supported".into());
    }
    let data = ctx.input(0)?;
    let idx = indices(lw, ctx, 1)?;
    Ok(one(lw.push(
        ctx.name.clone(),
        Op::Gather { axis: op.axis },
        vec![data, idx],
    )?))
}

/// tract `GatherElements`.
pub(super) fn gather_elements(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx
        .node
        .op_as::<GatherElements>()
        .ok_or("not a GatherElements")?;
    let data = ctx.input(0)?;
    let idx = indices(lw, ctx, 1)?;
    Ok(one(lw.push(
        ctx.name.clone(),
        Op::GatherElements { axis: op.axis },
        vec![data, idx],
    )?))
}

/// tract `ScatterElements`.
pub(super) fn scatter_elements(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx
        .node
        .op_as::<ScatterElements>()
        .ok_or("not a ScatterElements")?;
    let reduction = match op.reduction {
        TractScatter::None => ScatterReduction::None,
        TractScatter::Add => ScatterReduction::Add,
        TractScatter::Mul => ScatterReduction::Mul,
        TractScatter::Max => ScatterReduction::Max,
        TractScatter::Min => ScatterReduction::Min,
    };
    let data = ctx.input(0)?;
    let idx = indices(lw, ctx, 1)?;
    let upd = ctx.input(2)?;
    let upd = lw.cast(ctx.sub("updates"), upd, lw.dtype(data))?;
    let s = Op::ScatterElements {
        axis: op.axis,
        reduction,
    };
    Ok(one(lw.push(ctx.name.clone(), s, vec![data, idx, upd])?))
}

/// tract `Topk`: two IR nodes, the values and the indices.
pub(super) fn topk(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Topk>().ok_or("not a Topk")?;
    let k = ctx.konst(1).ok_or("TopK with a non-constant k")?;
    let k = k
        .cast_to_scalar::<i64>()
        .map_err(|e| format!("TopK k: {e}"))?;
    let k = usize::try_from(k).map_err(|_| format!("TopK k = {k}"))?;
    let x = ctx.input(0)?;
    let mk = |output| Op::TopK {
        axis: op.axis,
        k,
        largest: op.largest,
        output,
    };
    let v = lw.push(ctx.sub("values"), mk(TopKOutput::Values), vec![x])?;
    let i = lw.push(ctx.sub("indices"), mk(TopKOutput::Indices), vec![x])?;
    Ok(tvec![v, i])
}

/// tract `NearestUpsample` (integer factors).
pub(super) fn nearest_upsample(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx
        .node
        .op_as::<NearestUpsample>()
        .ok_or("not a NearestUpsample")?;
    let u = Op::NearestUpsample {
        factors: op.scales.to_vec(),
    };
    Ok(one(lw.push(ctx.name.clone(), u, vec![ctx.input(0)?])?))
}

/// tract `OneHot`.
pub(super) fn one_hot(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<OneHot>().ok_or("not a OneHot")?;
    let on = op
        .on
        .cast_to_scalar::<f32>()
        .map_err(|e| format!("OneHot on: {e}"))?;
    let off = op
        .off
        .cast_to_scalar::<f32>()
        .map_err(|e| format!("OneHot off: {e}"))?;
    let dtype = super::ir_dtype(op.on.datum_type()).ok_or("OneHot of unsupported type")?;
    let idx = indices(lw, ctx, 0)?;
    let o = Op::OneHot {
        axis: op.axis,
        depth: op.dim,
        on,
        off,
        dtype,
    };
    Ok(one(lw.push(ctx.name.clone(), o, vec![idx])?))
}
