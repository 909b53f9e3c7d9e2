//! The flat registry: which function lowers which tract op, dispatched on the op's concrete
//! type (the functions themselves look at `op.name()` for tract's mini-ops).

use super::{Lowered, Lowerer, NodeCtx};
use super::{elementwise, linear, pool, reduce, scan, shape};
use tract_onnx::prelude::{Op, TypedNode};
use tract_onnx::tract_core::ops::array::{
    Gather, GatherElements, MultiBroadcastTo, OneHot, Pad, ScatterElements, Slice, StridedSlice,
    Topk, TypedConcat,
};
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cast::Cast;
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::cnn::{Conv, Deconv, MaxPool, SumPool};
use tract_onnx::tract_core::ops::downsample::Downsample;
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::identity::Identity;
use tract_onnx::tract_core::ops::logic::Iff;
use tract_onnx::tract_core::ops::lstm_cell::LstmEpilogue;
use tract_onnx::tract_core::ops::nn::{NearestUpsample, Reduce, RmsNorm, Softmax};
use tract_onnx::tract_core::ops::scan::Scan;

/// A lowering function.
pub(super) type LowerFn = fn(&mut Lowerer, &NodeCtx<'_>) -> Lowered;

struct Entry {
    is: fn(&TypedNode) -> bool,
    lower: LowerFn,
}

fn is<O: Op>(node: &TypedNode) -> bool {
    node.op_is::<O>()
}

fn identity(_: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    Ok(super::one(ctx.input(0)?))
}

const REGISTRY: &[Entry] = &[
    Entry {
        is: is::<TypedBinOp>,
        lower: elementwise::binary,
    },
    Entry {
        is: is::<ElementWiseOp>,
        lower: elementwise::unary,
    },
    Entry {
        is: is::<Iff>,
        lower: elementwise::iff,
    },
    Entry {
        is: is::<Cast>,
        lower: elementwise::cast,
    },
    Entry {
        is: is::<LstmEpilogue>,
        lower: elementwise::lstm_epilogue,
    },
    Entry {
        is: is::<EinSum>,
        lower: linear::einsum,
    },
    Entry {
        is: is::<Conv>,
        lower: linear::conv,
    },
    Entry {
        is: is::<Deconv>,
        lower: linear::deconv,
    },
    Entry {
        is: is::<MaxPool>,
        lower: pool::max_pool,
    },
    Entry {
        is: is::<SumPool>,
        lower: pool::sum_pool,
    },
    Entry {
        is: is::<Reduce>,
        lower: reduce::reduce,
    },
    Entry {
        is: is::<Softmax>,
        lower: reduce::softmax,
    },
    Entry {
        is: is::<RmsNorm>,
        lower: reduce::rms_norm,
    },
    Entry {
        is: is::<AxisOp>,
        lower: shape::axis_op,
    },
    Entry {
        is: is::<TypedConcat>,
        lower: shape::concat,
    },
    Entry {
        is: is::<Slice>,
        lower: shape::slice,
    },
    Entry {
        is: is::<StridedSlice>,
        lower: shape::strided_slice,
    },
    Entry {
        is: is::<Downsample>,
        lower: shape::downsample,
    },
    Entry {
        is: is::<Pad>,
        lower: shape::pad,
    },
    Entry {
        is: is::<MultiBroadcastTo>,
        lower: shape::broadcast,
    },
    Entry {
        is: is::<Gather>,
        lower: shape::gather,
    },
    Entry {
        is: is::<GatherElements>,
        lower: shape::gather_elements,
    },
    Entry {
        is: is::<ScatterElements>,
        lower: shape::scatter_elements,
    },
    Entry {
        is: is::<Topk>,
        lower: shape::topk,
    },
    Entry {
        is: is::<NearestUpsample>,
        lower: shape::nearest_upsample,
    },
    Entry {
        is: is::<OneHot>,
        lower: shape::one_hot,
    },
    Entry {
        is: is::<Identity>,
        lower: identity,
    },
    Entry {
        is: is::<Scan>,
        lower: scan::scan,
    },
];

/// The lowering function for this node's op, if there is one.
pub(super) fn lookup(node: &TypedNode) -> Option<LowerFn> {
    REGISTRY.iter().find(|e| (e.is)(node)).map(|e| e.lower)
}
