//! Reductions and normalizations: tract `Reduce` (which keeps reduced axes as 1), `Softmax`
//! (and log-softmax) and the fused `RmsNorm`.

use super::{Lowered, Lowerer, NodeCtx, one};
use lucid_model::ir::{DType, Op, ReduceKind};
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer, RmsNorm, Softmax, SoftmaxKind};

/// tract `Reduce`: an IR `Reduce` with `keepdims` (tract removes axes separately). `All`/`Any` on
/// booleans become a min/max over 0/1 integers.
pub(super) fn reduce(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Reduce>().ok_or("not a Reduce")?;
    let axes: Vec<usize> = {
        let mut a = op.axes.to_vec();
        a.sort_unstable();
        a.dedup();
        a
    };
    let x = ctx.input(0)?;
    let kind = match op.reducer {
        Reducer::Sum => ReduceKind::Sum,
        Reducer::Prod => ReduceKind::Prod,
        Reducer::Max => ReduceKind::Max,
        Reducer::Min => ReduceKind::Min,
        Reducer::MeanOfSquares => ReduceKind::MeanSquare,
        Reducer::ArgMax(last) => ReduceKind::ArgMax { select_last: last },
        Reducer::ArgMin(last) => ReduceKind::ArgMin { select_last: last },
        Reducer::All | Reducer::Any => {
            let k = if op.reducer == Reducer::All {
                ReduceKind::Min
            } else {
                ReduceKind::Max
            };
            let xi = lw.cast(ctx.sub("as_int"), x, DType::I64)?;
            let r = lw.push(
                ctx.sub("reduce"),
                Op::Reduce {
                    kind: k,
                    axes,
                    keepdims: true,
                },
                vec![xi],
            )?;
            return Ok(one(lw.push(
                ctx.name.clone(),
                Op::Cast { to: DType::Bool },
                vec![r],
            )?));
        }
    };
    if kind.is_arg() && axes.len() != 1 {
        return Err(format!("{:?} over {} axes", op.reducer, axes.len()));
    }
    let r = lw.push(
        ctx.name.clone(),
        Op::Reduce {
            kind,
            axes,
            keepdims: true,
        },
        vec![x],
    )?;
    let want = super::ir_dtype(ctx.node.outputs[0].fact.datum_type).ok_or("bad output type")?;
    Ok(one(lw.cast(ctx.sub("out"), r, want)?))
}

/// tract `Softmax` (both kinds).
pub(super) fn softmax(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Softmax>().ok_or("not a Softmax")?;
    if op.quant_output_dt.is_some() {
        return Err("quantized Softmax is not supported".into());
    }
    let axes = op.axes.to_vec();
    let s = match op.kind {
        SoftmaxKind::Softmax => Op::Softmax { axes },
        SoftmaxKind::LogSoftmax => Op::LogSoftmax { axes },
    };
    Ok(one(lw.push(ctx.name.clone(), s, vec![ctx.input(0)?])?))
}

/// tract `RmsNorm` (what declutter fuses Layer/Instance-norm pieces into).
pub(super) fn rms_norm(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<RmsNorm>().ok_or("not an RmsNorm")?;
    let eps = op
        .eps
        .cast_to_scalar::<f32>()
        .map_err(|e| format!("RmsNorm eps: {e}"))?;
    let r = Op::RmsNorm { axis: op.axis, eps };
    Ok(one(lw.push(ctx.name.clone(), r, vec![ctx.input(0)?])?))
}
