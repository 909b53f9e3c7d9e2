//! Contractions: tract `EinSum` (MatMul and Gemm arrive as it) lowered to an IR `MatMul` when
//! the contraction is a (batched) matrix product, else to an explicit IR `Einsum`; `Conv` and
//! `Deconv` lowered to their IR forms in the channels-first layout.

use super::{Lowered, Lowerer, NodeCtx, one};
use lucid_model::ir::{ConvSpec, DType, DeconvSpec, NodeId, Op};
use tract_onnx::tract_core::ops::cnn::conv::KernelFormat;
use tract_onnx::tract_core::ops::cnn::{Conv, Deconv, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::DataFormat;

/// tract `EinSum`.
pub(super) fn einsum(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<EinSum>().ok_or("not an EinSum")?;
    if op.q_params.is_some() {
        return Err("quantized EinSum is not supported".into());
    }
    let (ins, outs) = op.axes.to_strs();
    let labels: Vec<Vec<char>> = ins.iter().map(|s| s.chars().collect()).collect();
    let out: Vec<char> = outs
        .first()
        .ok_or("EinSum without output")?
        .chars()
        .collect();
    let out_shape = ctx.out_shape(0)?;
    // Size of every label: the output's, else the largest over the operands.
    let mut size = std::collections::HashMap::<char, usize>::new();
    for (l, d) in out.iter().zip(&out_shape) {
        size.insert(*l, *d);
    }
    for (ix, ls) in labels.iter().enumerate() {
        let shape = ctx.in_shape(ix)?;
        if shape.len() != ls.len() {
            return Err(format!(
                "operand {ix} has rank {}, labels '{}'",
                shape.len(),
                ins[ix]
            ));
        }
        for (l, d) in ls.iter().zip(&shape) {
            let e = size.entry(*l).or_insert(*d);
            *e = (*e).max(*d);
        }
    }
    // Axes of size 1 carry nothing: they are removed from the operands (and restored by the
    // final reshape). Operands with a broadcast (size-1) axis are expanded: the IR einsum does
    // not broadcast.
    let keep = |l: &char| size[l] != 1;
    let labels: Vec<Vec<char>> = labels
        .iter()
        .map(|ls| ls.iter().copied().filter(keep).collect())
        .collect();
    let out: Vec<char> = out.iter().copied().filter(keep).collect();
    if let Some(l) = out.iter().find(|l| !labels.iter().any(|ls| ls.contains(l))) {
        return Err(format!(
            "output axis '{l}' of size {} comes from no operand",
            size[l]
        ));
    }
    let mut operands = Vec::with_capacity(labels.len());
    for (ix, ls) in labels.iter().enumerate() {
        let mut id = ctx.input(ix)?;
        let dims = ctx.in_shape(ix)?;
        let kept: Vec<usize> = ins[ix]
            .chars()
            .zip(&dims)
            .filter(|(l, _)| size[l] != 1)
            .map(|(_, d)| *d)
            .collect();
        id = lw.reshape(ctx.sub(&format!("squeeze{ix}")), id, kept)?;
        let want: Vec<usize> = ls.iter().map(|l| size[l]).collect();
        if lw.shape(id) != want.as_slice() {
            id = lw.push(
                ctx.sub(&format!("bcast{ix}")),
                Op::Broadcast { shape: want },
                vec![id],
            )?;
        }
        if lw.dtype(id) != DType::F32 && lw.dtype(id) != DType::I64 {
            id = lw.cast(ctx.sub(&format!("cast{ix}")), id, DType::F32)?;
        }
        operands.push(id);
    }
    let want = super::ir_dtype(ctx.node.outputs[0].fact.datum_type).ok_or("bad output type")?;
    let pair = operands.len() == 2 && lw.dtype(operands[0]) == lw.dtype(operands[1]);
    if pair && let Some(id) = as_matmul(lw, ctx, &labels, &out, &size, &operands)? {
        let id = lw.reshape(ctx.sub("out_shape"), id, out_shape)?;
        return Ok(one(lw.cast(ctx.sub("out"), id, want)?));
    }
    // General explicit einsum, with labels renamed to ASCII letters.
    let mut letter = std::collections::HashMap::<char, char>::new();
    let alphabet: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
    let mut rename = |c: char| -> Result<char, String> {
        let n = letter.len();
        if let Some(l) = letter.get(&c) {
            return Ok(*l);
        }
        let l = *alphabet.get(n).ok_or("EinSum with more than 52 axes")?;
        letter.insert(c, l);
        Ok(l)
    };
    let mut expr = String::new();
    for (ix, ls) in labels.iter().enumerate() {
        if ix > 0 {
            expr.push(',');
        }
        for l in ls {
            expr.push(rename(*l)?);
        }
    }
    expr.push_str("->");
    for l in &out {
        expr.push(rename(*l)?);
    }
    let id = lw.push(ctx.name.clone(), Op::Einsum { expr }, operands)?;
    let id = lw.reshape(ctx.sub("out_shape"), id, out_shape)?;
    Ok(one(lw.cast(ctx.sub("out"), id, want)?))
}

/// A two-operand contraction as a batched matrix product: labels split into batch (in both
/// operands and the output), M (first operand and output), N (second operand and output) and K
/// (both operands, summed). Operands are permuted/flattened to `[B.., M, K]` and `[B.., K, N]`
/// (or use the transpose flags when already `[B.., K, M]` / `[B.., N, K]`), multiplied, then
/// reshaped and permuted to the output order. `None` when some label fits no group (a sum over
/// one operand's axis, a diagonal).
fn as_matmul(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    labels: &[Vec<char>],
    out: &[char],
    size: &std::collections::HashMap<char, usize>,
    operands: &[NodeId],
) -> Result<Option<NodeId>, String> {
    let (a, b) = (&labels[0], &labels[1]);
    let has_dup = |ls: &[char]| ls.iter().enumerate().any(|(i, l)| ls[..i].contains(l));
    if has_dup(a) || has_dup(b) || has_dup(out) {
        return Ok(None);
    }
    let batch: Vec<char> = out
        .iter()
        .copied()
        .filter(|l| a.contains(l) && b.contains(l))
        .collect();
    let m: Vec<char> = a
        .iter()
        .copied()
        .filter(|l| out.contains(l) && !b.contains(l))
        .collect();
    let n: Vec<char> = b
        .iter()
        .copied()
        .filter(|l| out.contains(l) && !a.contains(l))
        .collect();
    let k: Vec<char> = a
        .iter()
        .copied()
        .filter(|l| b.contains(l) && !out.contains(l))
        .collect();
    if batch.len() + m.len() + k.len() != a.len() || batch.len() + n.len() + k.len() != b.len() {
        return Ok(None);
    }
    let prod = |ls: &[char]| ls.iter().map(|l| size[l]).product::<usize>();
    let dims = |ls: &[char]| ls.iter().map(|l| size[l]).collect::<Vec<usize>>();
    let (pm, pn, pk) = (prod(&m), prod(&n), prod(&k));
    let bdims = dims(&batch);
    // Operand A as [B.., M, K] (or transposed [B.., K, M]).
    let cat = |x: &[char], y: &[char], z: &[char]| [x, y, z].concat();
    let (a_id, ta) = arrange(
        lw,
        ctx,
        "a",
        operands[0],
        a,
        &cat(&batch, &m, &k),
        &cat(&batch, &k, &m),
        [&bdims[..], &[pm, pk]].concat(),
        [&bdims[..], &[pk, pm]].concat(),
    )?;
    let (b_id, tb) = arrange(
        lw,
        ctx,
        "b",
        operands[1],
        b,
        &cat(&batch, &k, &n),
        &cat(&batch, &n, &k),
        [&bdims[..], &[pk, pn]].concat(),
        [&bdims[..], &[pn, pk]].concat(),
    )?;
    let mut y = lw.push(
        ctx.name.clone(),
        Op::MatMul {
            transpose_a: ta,
            transpose_b: tb,
        },
        vec![a_id, b_id],
    )?;
    // [B.., pm, pn] → [B.., M.., N..] → output order.
    let natural: Vec<char> = cat(&batch, &m, &n);
    y = lw.reshape(ctx.sub("unflatten"), y, dims(&natural))?;
    if natural != out {
        let perm: Vec<usize> = out
            .iter()
            .map(|l| natural.iter().position(|x| x == l).ok_or("label lost"))
            .collect::<Result<_, _>>()?;
        y = lw.push(ctx.sub("perm"), Op::Transpose { perm }, vec![y])?;
    }
    Ok(Some(y))
}

/// Brings operand `id` (labels `have`) into `plain` order or, without moving data, `transposed`
/// order; then flattens it to the rank-(batch+2) shape. Returns the node and whether the
/// transposed form was used.
#[allow(clippy::too_many_arguments)]
fn arrange(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    tag: &str,
    id: NodeId,
    have: &[char],
    plain: &[char],
    transposed: &[char],
    plain_shape: Vec<usize>,
    transposed_shape: Vec<usize>,
) -> Result<(NodeId, bool), String> {
    if have == transposed && have != plain {
        return Ok((
            lw.reshape(ctx.sub(&format!("{tag}_flat")), id, transposed_shape)?,
            true,
        ));
    }
    let mut x = id;
    if have != plain {
        let perm: Vec<usize> = plain
            .iter()
            .map(|l| have.iter().position(|h| h == l).ok_or("label lost"))
            .collect::<Result<_, _>>()?;
        x = lw.push(
            ctx.sub(&format!("{tag}_perm")),
            Op::Transpose { perm },
            vec![x],
        )?;
    }
    Ok((
        lw.reshape(ctx.sub(&format!("{tag}_flat")), x, plain_shape)?,
        false,
    ))
}

/// The input in `[N, C, spatial..]` layout and how to undo it on the output: (node, had no batch
/// axis, channels last).
fn to_nchw(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    fmt: DataFormat,
    x: NodeId,
) -> Result<(NodeId, bool, bool), String> {
    let mut x = x;
    let no_batch = matches!(fmt, DataFormat::CHW | DataFormat::HWC);
    let channels_last = matches!(fmt, DataFormat::NHWC | DataFormat::HWC);
    if no_batch {
        let shape = [&[1usize][..], lw.shape(x)].concat();
        x = lw.reshape(ctx.sub("add_batch"), x, shape)?;
    }
    if lw.shape(x).len() < 3 {
        return Err(format!(
            "spatial input of rank {} (need ≥ 3)",
            lw.shape(x).len()
        ));
    }
    if channels_last {
        let r = lw.shape(x).len();
        let perm: Vec<usize> = [0, r - 1].into_iter().chain(1..r - 1).collect();
        x = lw.push(ctx.sub("to_nchw"), Op::Transpose { perm }, vec![x])?;
    }
    Ok((x, no_batch, channels_last))
}

/// Undoes [`to_nchw`] on an output.
pub(super) fn from_nchw(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    y: NodeId,
    no_batch: bool,
    channels_last: bool,
) -> Result<NodeId, String> {
    let mut y = y;
    if channels_last {
        let r = lw.shape(y).len();
        let perm: Vec<usize> = [0].into_iter().chain(2..r).chain([1]).collect();
        y = lw.push(ctx.sub("from_nchw"), Op::Transpose { perm }, vec![y])?;
    }
    if no_batch {
        let shape = lw.shape(y)[1..].to_vec();
        y = lw.reshape(ctx.sub("rm_batch"), y, shape)?;
    }
    Ok(y)
}

/// Layout-normalised pooling/convolution input (shared with the pools).
pub(super) fn nchw_input(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    fmt: DataFormat,
) -> Result<(NodeId, bool, bool), String> {
    to_nchw(lw, ctx, fmt, ctx.input(0)?)
}

/// Strides, dilations and `(begin, end)` padding of a pooling/convolution geometry for the given
/// NCHW input shape. When tract rounds the output size up (ceil mode), the end padding grows until
/// the floor formula of the IR gives the same size.
pub(super) fn geometry(
    spec: &PoolSpec,
    x_shape: &[usize],
    out_spatial: &[usize],
) -> Result<Geometry, String> {
    let r = spec.rank();
    let spatial = x_shape.get(2..).ok_or("input of rank < 2")?;
    if spatial.len() != r || out_spatial.len() != r {
        return Err(format!("geometry of rank {r} on input {x_shape:?}"));
    }
    let strides = spec.strides().to_vec();
    let dilations = spec.dilations().to_vec();
    let computed = spec
        .padding
        .compute(spatial, &spec.kernel_shape, &dilations, &strides);
    let mut pads = Vec::with_capacity(r);
    for d in 0..r {
        let (pb, mut pe) = (computed[d].pad_before, computed[d].pad_after);
        let span = dilations[d] * (spec.kernel_shape[d] - 1) + 1;
        let floor_out = |pe: usize| (spatial[d] + pb + pe).saturating_sub(span) / strides[d] + 1;
        let mut guard = 0;
        while floor_out(pe) < out_spatial[d] && guard < 64 {
            pe += 1;
            guard += 1;
        }
        pads.push((pb, pe));
    }
    Ok(Geometry {
        strides,
        dilations,
        pads,
    })
}

/// Strides, dilations and `(begin, end)` padding per spatial axis.
pub(super) struct Geometry {
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pads: Vec<(usize, usize)>,
}

/// A convolution kernel in OIHW order (constant kernels are permuted at import time).
fn kernel_oihw(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    fmt: KernelFormat,
    ix: usize,
) -> Result<NodeId, String> {
    let k = ctx.input(ix)?;
    let r = lw.shape(k).len();
    if r < 3 {
        return Err(format!("kernel of rank {r}"));
    }
    let perm: Vec<usize> = match fmt {
        KernelFormat::OIHW => return Ok(k),
        KernelFormat::HWIO => [r - 1, r - 2].into_iter().chain(0..r - 2).collect(),
        KernelFormat::OHWI => [0, r - 1].into_iter().chain(1..r - 1).collect(),
    };
    lw.push(ctx.sub("kernel_oihw"), Op::Transpose { perm }, vec![k])
}

/// The bias as a vector of `channels` values, or `None` when it is a constant zero.
fn bias_vector(
    lw: &mut Lowerer,
    ctx: &NodeCtx<'_>,
    ix: usize,
    channels: usize,
) -> Result<Option<NodeId>, String> {
    if let Some(t) = ctx.konst(ix)
        && t.is_all_zero().unwrap_or(false)
    {
        return Ok(None);
    }
    let b = ctx.input(ix)?;
    let b = lw.cast(ctx.sub("bias_f32"), b, DType::F32)?;
    let shape = lw.shape(b).to_vec();
    Ok(Some(match shape.iter().product::<usize>() {
        1 if channels != 1 => {
            let s = lw.reshape(ctx.sub("bias_1"), b, vec![1])?;
            lw.push(
                ctx.sub("bias_vec"),
                Op::Broadcast {
                    shape: vec![channels],
                },
                vec![s],
            )?
        }
        n if n == channels => lw.reshape(ctx.sub("bias_vec"), b, vec![channels])?,
        n => return Err(format!("bias has {n} values for {channels} channels")),
    }))
}

/// tract `Conv`.
pub(super) fn conv(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Conv>().ok_or("not a Conv")?;
    if op.q_params.is_some() {
        return Err("quantized Conv is not supported".into());
    }
    let (x, no_batch, channels_last) = nchw_input(lw, ctx, op.pool_spec.data_format)?;
    let w = kernel_oihw(lw, ctx, op.kernel_fmt, 1)?;
    let x_shape = lw.shape(x).to_vec();
    let out = ctx.out_shape(0)?;
    let out_spatial = spatial_of(&out, op.pool_spec.data_format);
    let Geometry {
        strides,
        dilations,
        pads,
    } = geometry(&op.pool_spec, &x_shape, &out_spatial)?;
    let mut inputs = vec![x, w];
    if let Some(b) = bias_vector(lw, ctx, 2, op.pool_spec.output_channels)? {
        inputs.push(b);
    }
    let spec = ConvSpec {
        strides,
        pads,
        dilations,
        group: op.group,
    };
    let y = lw.push(ctx.name.clone(), Op::Conv(spec), inputs)?;
    Ok(one(from_nchw(lw, ctx, y, no_batch, channels_last)?))
}

/// The spatial dims of a shape in the given layout.
pub(super) fn spatial_of(shape: &[usize], fmt: DataFormat) -> Vec<usize> {
    match fmt {
        DataFormat::NCHW => shape.get(2..).unwrap_or(&[]).to_vec(),
        DataFormat::CHW => shape.get(1..).unwrap_or(&[]).to_vec(),
        DataFormat::NHWC => shape
            .get(1..shape.len().saturating_sub(1))
            .unwrap_or(&[])
            .to_vec(),
        DataFormat::HWC => shape
            .get(..shape.len().saturating_sub(1))
            .unwrap_or(&[])
            .to_vec(),
    }
}

/// tract `Deconv` (ONNX ConvTranspose). tract keeps the kernel as `[O, C/g, k..]` (it reorders
/// ONNX's `[C, O/g, k..]` at import); the IR wants ONNX's order, so the reordering is undone.
pub(super) fn deconv(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Deconv>().ok_or("not a Deconv")?;
    if op.kernel_format != KernelFormat::OIHW {
        return Err(format!(
            "Deconv kernel format {:?} is not supported",
            op.kernel_format
        ));
    }
    let (x, no_batch, channels_last) = nchw_input(lw, ctx, op.pool_spec.data_format)?;
    let k = ctx.input(1)?;
    let ks = lw.shape(k).to_vec();
    let g = op.group;
    if ks.len() < 3 || g == 0 {
        return Err(format!("Deconv kernel {ks:?} with {g} groups"));
    }
    let (o, cg) = (ks[0], ks[1]);
    if o % g != 0 {
        return Err(format!(
            "Deconv kernel {ks:?} does not split into {g} groups"
        ));
    }
    // [O, C/g, k..] → [g, O/g, C/g, k..] → [g, C/g, O/g, k..] → [C, O/g, k..].
    let split = [&[g, o / g, cg][..], &ks[2..]].concat();
    let kk = lw.reshape(ctx.sub("kernel_split"), k, split)?;
    let r = ks.len() + 1;
    let perm: Vec<usize> = [0, 2, 1].into_iter().chain(3..r).collect();
    let kk = lw.push(ctx.sub("kernel_swap"), Op::Transpose { perm }, vec![kk])?;
    let merged = [&[g * cg, o / g][..], &ks[2..]].concat();
    let w = lw.reshape(ctx.sub("kernel_onnx"), kk, merged)?;
    let x_shape = lw.shape(x).to_vec();
    let spatial = &x_shape[2..];
    let strides = op.pool_spec.strides().to_vec();
    let dilations = op.pool_spec.dilations().to_vec();
    let computed = op
        .pool_spec
        .padding
        .compute_for_deconv(
            spatial,
            &op.pool_spec.kernel_shape,
            &dilations,
            &strides,
            &op.adjustments,
        )
        .map_err(|e| format!("deconv padding: {e}"))?;
    let pads = computed
        .iter()
        .map(|c| (c.pad_before, c.pad_after))
        .collect();
    let mut inputs = vec![x, w];
    if let Some(b) = bias_vector(lw, ctx, 2, o)? {
        inputs.push(b);
    }
    let spec = DeconvSpec {
        strides,
        pads,
        dilations,
        output_padding: op.adjustments.to_vec(),
        group: g,
    };
    let y = lw.push(ctx.name.clone(), Op::Deconv(spec), inputs)?;
    Ok(one(from_nchw(lw, ctx, y, no_batch, channels_last)?))
}
