//! The public index maps of pooling, reductions and data movement, built identically by the
//! prover and the verifier from shapes and public constants (never from operand values), and
//! proved by [`super::index_map`]. Maps that leave the padded layout unchanged (a reshape that
//! only moves unit axes or regroups power-of-two dimensions, a full slice, an empty pad or
//! reduction) need no proof ([`MapPlan::Free`]).

use lucid_core::field::from_i64;
use lucid_core::mle::EvalClaim;
use lucid_model::ir::{Op, PadMode, PoolSpec, slice_range};
use lucid_model::quant::{QKind, QOp};

use super::index_map::{IndexMap, MapInput};
use super::{LayerError, NodeCtx, OperandClaim};
use crate::layout::{PaddedShape, for_each_index};

/// A map that is the identity on the padded layout: the claim moves to operand 0 unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeMap;

impl FreeMap {
    /// The claim on operand 0.
    pub fn apply(&self, claim: &EvalClaim) -> Vec<OperandClaim> {
        vec![OperandClaim {
            operand: 0,
            claim: claim.clone(),
        }]
    }
}

/// How a node of this family is proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapPlan {
    /// No proof needed.
    Free(FreeMap),
    /// The index-map sumcheck.
    Map(IndexMap),
}

/// The taps of a sliding window: output positions × kernel positions → input positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// Output spatial dims.
    pub out_dims: Vec<usize>,
    /// `(p, q, x)`: padded offsets of the output position, the kernel position and the input
    /// position, for every tap that reads a real input entry.
    pub taps: Vec<(usize, usize, usize)>,
}

/// The taps of a window of `kernel` over `in_dims` (padding reads nothing).
pub(crate) fn window(
    in_dims: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
    pads: &[(usize, usize)],
) -> Result<Window, String> {
    let k = in_dims.len();
    if kernel.len() != k || strides.len() != k || dilations.len() != k || pads.len() != k {
        return Err(format!(
            "window parameters for {k} spatial axes: kernel {kernel:?}, strides {strides:?}, \
             dilations {dilations:?}, pads {pads:?}"
        ));
    }
    let mut out_dims = Vec::with_capacity(k);
    for i in 0..k {
        let padded = in_dims[i] + pads[i].0 + pads[i].1;
        if strides[i] == 0 || dilations[i] == 0 || kernel[i] == 0 {
            return Err("zero stride, dilation or kernel size".into());
        }
        let span = dilations[i] * (kernel[i] - 1) + 1;
        if padded < span {
            return Err(format!("window of span {span} does not fit size {padded}"));
        }
        out_dims.push((padded - span) / strides[i] + 1);
    }
    let (ps, qs, xs) = (
        PaddedShape::new(&out_dims),
        PaddedShape::new(kernel),
        PaddedShape::new(in_dims),
    );
    let mut taps = Vec::new();
    let mut pos = vec![0usize; k];
    for_each_index(&out_dims, |p| {
        let pp = ps.padded_offset(p);
        for_each_index(kernel, |q| {
            for ax in 0..k {
                let v = (p[ax] * strides[ax] + q[ax] * dilations[ax]) as i64 - pads[ax].0 as i64;
                if v < 0 || v >= in_dims[ax] as i64 {
                    return;
                }
                pos[ax] = v as usize;
            }
            taps.push((pp, qs.padded_offset(q), xs.padded_offset(&pos)));
        });
    });
    Ok(Window { out_dims, taps })
}

/// Entries `(y, x)` (padded middle offsets) of a map given per output middle index.
fn entries_by_output(
    y_mid: &[usize],
    x_mid: &[usize],
    mut src: impl FnMut(&[usize], &mut [usize]) -> bool,
) -> Vec<(usize, usize)> {
    let (ys, xs) = (PaddedShape::new(y_mid), PaddedShape::new(x_mid));
    let mut out = Vec::new();
    let mut x = vec![0usize; x_mid.len()];
    for_each_index(y_mid, |y| {
        if src(y, &mut x) {
            out.push((ys.padded_offset(y), xs.padded_offset(&x)));
        }
    });
    out
}

fn single(ctx: &NodeCtx<'_>, pre: usize, suf: usize, entries: Vec<(usize, usize)>) -> MapPlan {
    MapPlan::Map(IndexMap {
        out: ctx.out_shape(),
        pre,
        suf,
        inputs: vec![MapInput {
            operand: 0,
            shape: PaddedShape::new(ctx.shapes[0]),
            entries,
        }],
        consts: Vec::new(),
    })
}

fn check_out(ctx: &NodeCtx<'_>, want: &[usize]) -> Result<(), LayerError> {
    if ctx.node.shape != want {
        return Err(ctx.err(format!(
            "output shape {:?}, the operator gives {want:?}",
            ctx.node.shape
        )));
    }
    Ok(())
}

/// The plan of a `SumPool`, `ReduceSum` or data-movement node.
pub fn plan(ctx: &NodeCtx<'_>) -> Result<MapPlan, LayerError> {
    match &ctx.node.op {
        QOp::SumPool(spec) => sum_pool(ctx, spec),
        QOp::ReduceSum { axes, keepdims } => reduce_sum(ctx, axes, *keepdims),
        QOp::Exact(Op::Reshape { .. }) => reshape(ctx),
        QOp::Exact(Op::Slice {
            axis,
            start,
            end,
            step,
        }) => slice(ctx, *axis, *start, *end, *step),
        QOp::Exact(Op::Pad { pads, mode, value }) => pad(ctx, pads, *mode, *value),
        QOp::Exact(Op::Concat { axis }) => concat(ctx, *axis),
        QOp::Exact(Op::NearestUpsample { factors }) => upsample(ctx, factors),
        QOp::Exact(Op::Gather { axis }) => gather(ctx, *axis),
        QOp::Exact(Op::GatherElements { axis }) => gather_elements(ctx, *axis),
        _ => Err(ctx.unsupported("no layer protocol for this operator")),
    }
}

fn sum_pool(ctx: &NodeCtx<'_>, spec: &PoolSpec) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(1..=1)?;
    let xs = ctx.shapes[0];
    if xs.len() < 3 {
        return Err(ctx.err(format!("pooling input {xs:?} needs rank ≥ 3")));
    }
    let w = window(
        &xs[2..],
        &spec.kernel,
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    )
    .map_err(|e| ctx.err(e))?;
    let mut want = xs[..2].to_vec();
    want.extend_from_slice(&w.out_dims);
    check_out(ctx, &want)?;
    let entries = w.taps.iter().map(|&(p, _, x)| (p, x)).collect();
    Ok(single(ctx, 2, 0, entries))
}

fn reduce_sum(ctx: &NodeCtx<'_>, axes: &[usize], keepdims: bool) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(1..=1)?;
    let xs = ctx.shapes[0];
    let r = xs.len();
    if axes.windows(2).any(|w| w[0] >= w[1]) || axes.iter().any(|&a| a >= r) {
        return Err(ctx.err(format!("reduced axes {axes:?} of rank {r}")));
    }
    let want: Vec<usize> = if keepdims {
        (0..r)
            .map(|a| if axes.contains(&a) { 1 } else { xs[a] })
            .collect()
    } else {
        (0..r)
            .filter(|a| !axes.contains(a))
            .map(|a| xs[a])
            .collect()
    };
    check_out(ctx, &want)?;
    let (Some(&first), Some(&last)) = (axes.first(), axes.last()) else {
        return Ok(MapPlan::Free(FreeMap));
    };
    let x_mid = &xs[first..=last];
    let kept: Vec<usize> = (first..=last)
        .filter(|a| keepdims || !axes.contains(a))
        .map(|a| a - first)
        .collect();
    let y_mid: Vec<usize> = (first..=last)
        .filter(|a| keepdims || !axes.contains(a))
        .map(|a| if axes.contains(&a) { 1 } else { xs[a] })
        .collect();
    let (ys, xsh) = (PaddedShape::new(&y_mid), PaddedShape::new(x_mid));
    let mut entries = Vec::new();
    let mut y = vec![0usize; y_mid.len()];
    for_each_index(x_mid, |x| {
        for (slot, &k) in y.iter_mut().zip(&kept) {
            *slot = if axes.contains(&(k + first)) { 0 } else { x[k] };
        }
        entries.push((ys.padded_offset(&y), xsh.padded_offset(x)));
    });
    Ok(single(ctx, first, r - 1 - last, entries))
}

/// Lengths of the common prefix and suffix of two shapes (not overlapping).
fn common_ends(a: &[usize], b: &[usize]) -> (usize, usize) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suf = a.len().min(b.len()) - pre;
    let suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    (pre, suf)
}

fn reshape(ctx: &NodeCtx<'_>) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(1..=1)?;
    let (xs, ys) = (ctx.shapes[0], ctx.node.shape.as_slice());
    if xs.iter().product::<usize>() != ys.iter().product::<usize>() {
        return Err(ctx.err(format!("reshape of {xs:?} into {ys:?}")));
    }
    let (pre, suf) = common_ends(xs, ys);
    let (xm, ym) = (&xs[pre..xs.len() - suf], &ys[pre..ys.len() - suf]);
    let non_unit = |s: &[usize]| s.iter().copied().filter(|&d| d != 1).collect::<Vec<_>>();
    let pow2 = |s: &[usize]| s.iter().all(|d| d.is_power_of_two());
    if non_unit(xm) == non_unit(ym) || (pow2(xm) && pow2(ym)) {
        return Ok(MapPlan::Free(FreeMap));
    }
    let (xsh, ysh) = (PaddedShape::new(xm), PaddedShape::new(ym));
    let (xo, yo) = (xsh.real_to_padded(), ysh.real_to_padded());
    let entries = yo.into_iter().zip(xo).collect();
    Ok(single(ctx, pre, suf, entries))
}

fn slice(
    ctx: &NodeCtx<'_>,
    axis: usize,
    start: i64,
    end: i64,
    step: i64,
) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(1..=1)?;
    let xs = ctx.shapes[0];
    if axis >= xs.len() {
        return Err(ctx.err(format!("slice axis {axis} of rank {}", xs.len())));
    }
    let (first, len) =
        slice_range(xs[axis], start, end, step).map_err(|e| ctx.err(e.to_string()))?;
    let mut want = xs.to_vec();
    want[axis] = len;
    check_out(ctx, &want)?;
    if first == 0 && step == 1 && len == xs[axis] {
        return Ok(MapPlan::Free(FreeMap));
    }
    let entries = entries_by_output(&[len], &[xs[axis]], |y, x| {
        x[0] = (first + y[0] as i64 * step) as usize;
        true
    });
    Ok(single(ctx, axis, xs.len() - axis - 1, entries))
}

/// Source coordinate of output coordinate `o` on an axis of size `d` padded by `begin`, or
/// `None` on a constant border.
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
            let r = if c < 0 { -c } else { 2 * (d - 1) - c };
            Some(r.clamp(0, d - 1) as usize)
        }
    }
}

fn pad(
    ctx: &NodeCtx<'_>,
    pads: &[(usize, usize)],
    mode: PadMode,
    value: f32,
) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(1..=1)?;
    let xs = ctx.shapes[0];
    let r = xs.len();
    if pads.len() != r {
        return Err(ctx.err(format!("{} pads for rank {r}", pads.len())));
    }
    if mode == PadMode::Reflect && xs.iter().zip(pads).any(|(&d, &(b, e))| b >= d || e >= d) {
        return Err(ctx.err("reflect padding must be smaller than the dimension"));
    }
    if xs.contains(&0) && mode != PadMode::Constant {
        return Err(ctx.err("edge or reflect padding of an empty tensor"));
    }
    let want: Vec<usize> = xs.iter().zip(pads).map(|(d, (b, e))| d + b + e).collect();
    check_out(ctx, &want)?;
    let pre = pads.iter().take_while(|&&p| p == (0, 0)).count();
    if pre == r {
        return Ok(MapPlan::Free(FreeMap));
    }
    let suf = pads.iter().rev().take_while(|&&p| p == (0, 0)).count();
    let fill: i64 = if ctx.node.kind == QKind::Bool {
        i64::from(value != 0.0)
    } else {
        value as i64
    };
    let (x_mid, y_mid) = (&xs[pre..r - suf], &want[pre..r - suf]);
    let mid_pads = &pads[pre..r - suf];
    let ys = PaddedShape::new(y_mid);
    let mut consts = Vec::new();
    let entries = entries_by_output(y_mid, x_mid, |y, x| {
        for (i, slot) in x.iter_mut().enumerate() {
            match pad_source(y[i], x_mid[i], mid_pads[i].0, mode) {
                Some(c) => *slot = c,
                None => {
                    if fill != 0 {
                        consts.push((ys.padded_offset(y), from_i64(fill)));
                    }
                    return false;
                }
            }
        }
        true
    });
    let mut plan = single(ctx, pre, suf, entries);
    if let MapPlan::Map(m) = &mut plan {
        m.consts = consts;
    }
    Ok(plan)
}

fn concat(ctx: &NodeCtx<'_>, axis: usize) -> Result<MapPlan, LayerError> {
    let n = ctx.shapes.len();
    ctx.expect_operands(1..=usize::MAX)?;
    let first = ctx.shapes[0];
    let r = first.len();
    if axis >= r {
        return Err(ctx.err(format!("concat axis {axis} of rank {r}")));
    }
    let mut total = 0;
    for s in ctx.shapes {
        let same = s.len() == r && (0..r).all(|a| a == axis || s[a] == first[a]);
        if !same {
            return Err(ctx.err(format!("concatenating {s:?} with {first:?} on axis {axis}")));
        }
        total += s[axis];
    }
    let mut want = first.to_vec();
    want[axis] = total;
    check_out(ctx, &want)?;
    if n == 1 {
        return Ok(MapPlan::Free(FreeMap));
    }
    let ys = PaddedShape::new(&[total]);
    let mut off = 0;
    let mut inputs = Vec::with_capacity(n);
    for (k, s) in ctx.shapes.iter().enumerate() {
        let xs = PaddedShape::new(&[s[axis]]);
        let entries = (0..s[axis])
            .map(|j| (ys.padded_offset(&[off + j]), xs.padded_offset(&[j])))
            .collect();
        off += s[axis];
        inputs.push(MapInput {
            operand: k,
            shape: PaddedShape::new(s),
            entries,
        });
    }
    Ok(MapPlan::Map(IndexMap {
        out: ctx.out_shape(),
        pre: axis,
        suf: r - axis - 1,
        inputs,
        consts: Vec::new(),
    }))
}

fn upsample(ctx: &NodeCtx<'_>, factors: &[usize]) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(1..=1)?;
    let xs = ctx.shapes[0];
    let r = xs.len();
    if factors.len() != r || factors.contains(&0) {
        return Err(ctx.err(format!("upsampling factors {factors:?} for rank {r}")));
    }
    let want: Vec<usize> = xs.iter().zip(factors).map(|(d, f)| d * f).collect();
    check_out(ctx, &want)?;
    let pre = factors.iter().take_while(|&&f| f == 1).count();
    if pre == r {
        return Ok(MapPlan::Free(FreeMap));
    }
    let suf = factors.iter().rev().take_while(|&&f| f == 1).count();
    let (x_mid, y_mid, f_mid) = (
        &xs[pre..r - suf],
        &want[pre..r - suf],
        &factors[pre..r - suf],
    );
    let entries = entries_by_output(y_mid, x_mid, |y, x| {
        for i in 0..x.len() {
            x[i] = y[i] / f_mid[i];
        }
        true
    });
    Ok(single(ctx, pre, suf, entries))
}

/// Resolves a possibly negative index against `dim`.
fn resolve(ctx: &NodeCtx<'_>, i: i64, dim: usize) -> Result<usize, LayerError> {
    let r = if i < 0 { i + dim as i64 } else { i };
    if r < 0 || r >= dim as i64 {
        return Err(ctx.err(format!("index {i} out of range for dim {dim}")));
    }
    Ok(r as usize)
}

fn gather(ctx: &NodeCtx<'_>, axis: usize) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(2..=2)?;
    let xs = ctx.shapes[0];
    let idx = ctx.index_const(1)?;
    if axis >= xs.len() || idx.shape() != ctx.shapes[1] {
        return Err(ctx.err(format!(
            "gather axis {axis} of {xs:?} with indices {:?}",
            idx.shape()
        )));
    }
    let mut want = xs[..axis].to_vec();
    want.extend_from_slice(idx.shape());
    want.extend_from_slice(&xs[axis + 1..]);
    check_out(ctx, &want)?;
    let resolved = idx
        .data()
        .iter()
        .map(|&i| resolve(ctx, i, xs[axis]))
        .collect::<Result<Vec<_>, _>>()?;
    let ys = PaddedShape::new(idx.shape());
    let xm = PaddedShape::new(&xs[axis..=axis]);
    let entries = ys
        .real_to_padded()
        .into_iter()
        .zip(resolved)
        .map(|(y, x)| (y, xm.padded_offset(&[x])))
        .collect();
    Ok(single(ctx, axis, xs.len() - axis - 1, entries))
}

fn gather_elements(ctx: &NodeCtx<'_>, axis: usize) -> Result<MapPlan, LayerError> {
    ctx.expect_operands(2..=2)?;
    let xs = ctx.shapes[0];
    let idx = ctx.index_const(1)?;
    let is = idx.shape();
    let r = xs.len();
    let fits = is.len() == r && axis < r && (0..r).all(|a| a == axis || is[a] <= xs[a]);
    if !fits || is != ctx.shapes[1] {
        return Err(ctx.err(format!(
            "gather-elements axis {axis} of {xs:?} with indices {is:?}"
        )));
    }
    check_out(ctx, is)?;
    let (ys, xsh) = (PaddedShape::new(is), PaddedShape::new(xs));
    let mut entries = Vec::with_capacity(idx.len());
    let mut k = 0;
    let mut err = None;
    let mut x = vec![0usize; r];
    for_each_index(is, |y| {
        x.copy_from_slice(y);
        match resolve(ctx, idx.data()[k], xs[axis]) {
            Ok(v) => x[axis] = v,
            Err(e) => err = Some(e),
        }
        entries.push((ys.padded_offset(y), xsh.padded_offset(&x)));
        k += 1;
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(single(ctx, 0, 0, entries))
}
