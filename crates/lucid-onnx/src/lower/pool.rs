//! Pooling: tract `MaxPool` and `SumPool` (average pooling arrives as `Pad` + `SumPool`).

use super::linear::{Geometry, from_nchw, geometry, nchw_input, spatial_of};
use super::{Lowered, Lowerer, NodeCtx, one};
use lucid_model::ir::{Op, PoolSpec};
use tract_onnx::tract_core::ops::cnn::{MaxPool, PoolSpec as TractPoolSpec, SumPool};

fn lower_pool(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    spec: &TractPoolSpec,
    make: impl FnOnce(PoolSpec) -> Op,
) -> Lowered {
    let (x, no_batch, channels_last) = nchw_input(lw, ctx, spec.data_format)?;
    let x_shape = lw.shape(x).to_vec();
    let out_spatial = spatial_of(&ctx.out_shape(0)?, spec.data_format);
    let Geometry {
        strides,
        dilations,
        pads,
    } = geometry(spec, &x_shape, &out_spatial)?;
    let pool = PoolSpec {
        kernel: spec.kernel_shape.to_vec(),
        strides,
        pads,
        dilations,
    };
    let y = lw.push(ctx.name.clone(), make(pool), vec![x])?;
    Ok(one(from_nchw(lw, ctx, y, no_batch, channels_last)?))
}

/// tract `MaxPool` (without the index output).
pub(super) fn max_pool(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<MaxPool>().ok_or("not a MaxPool")?;
    if op.with_index_outputs.is_some() {
        return Err("MaxPool with an index output is not supported".into());
    }
    lower_pool(lw, ctx, &op.pool_spec, Op::MaxPool)
}

/// tract `SumPool` (sum or average).
pub(super) fn sum_pool(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<SumPool>().ok_or("not a SumPool")?;
    let (normalize, count_include_pad) = (op.normalize, op.count_include_pad);
    lower_pool(lw, ctx, &op.pool_spec, |pool| Op::SumPool {
        pool,
        normalize,
        count_include_pad,
    })
}
