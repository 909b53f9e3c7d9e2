//! Interval analysis of one quantized node: the range of its output for every combination of
//! operand values in the operands' ranges (and the exact constants).

use crate::ir::{BinaryOp, Op, ReduceKind, UnaryFn};
use crate::quant::fixed::quantize;
use crate::quant::graph::{QNode, QOp};
use crate::quant::interval::Interval;
use crate::quant::table::Table;
use crate::tensor::Tensor;

fn abs_sum(v: impl Iterator<Item = i64>) -> i128 {
    v.map(|x| (x as i128).abs()).sum()
}

fn const_of(n: &QNode) -> Option<&Tensor<i64>> {
    match &n.op {
        QOp::Const(t) => Some(t),
        _ => None,
    }
}

/// Bound `[−B, B]` of `Σ_l c_l · x_l` where, for each output, the `c_l` are one slice of a
/// constant: `B = max over slices of Σ|c| · max|x|`.
fn const_dot(groups: impl Iterator<Item = i128>, x: Interval) -> Interval {
    let b = groups.max().unwrap_or(0).saturating_mul(x.max_abs());
    Interval::new(-b, b)
}

/// The range of a node's output. `table` is the built table of a `Table` node.
pub(super) fn node_range(op: &QOp, ins: &[&QNode], table: Option<&Table>) -> Interval {
    let r = |i: usize| ins[i].range;
    match op {
        QOp::Input { .. } => Interval::point(0), // set by the caller
        QOp::Const(t) => Interval::of_values(t.data().iter().copied()),
        QOp::MatMul {
            transpose_a,
            transpose_b,
        } => {
            let (a, b) = (ins[0], ins[1]);
            let k = if *transpose_a {
                a.shape[a.shape.len() - 2]
            } else {
                a.shape[a.shape.len() - 1]
            };
            if let Some(w) = const_of(b) {
                let s = w.shape();
                let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
                let batch = w.len() / (rows * cols).max(1);
                // Sum |w| over the contracted axis for every output column (and batch).
                let sums = (0..batch).flat_map(|bi| {
                    let d = &w.data()[bi * rows * cols..(bi + 1) * rows * cols];
                    if *transpose_b {
                        (0..rows)
                            .map(|j| abs_sum(d[j * cols..(j + 1) * cols].iter().copied()))
                            .collect::<Vec<_>>()
                    } else {
                        (0..cols)
                            .map(|j| abs_sum((0..rows).map(|l| d[l * cols + j])))
                            .collect::<Vec<_>>()
                    }
                });
                const_dot(sums, a.range)
            } else if let Some(w) = const_of(a) {
                let s = w.shape();
                let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
                let batch = w.len() / (rows * cols).max(1);
                let sums = (0..batch).flat_map(|bi| {
                    let d = &w.data()[bi * rows * cols..(bi + 1) * rows * cols];
                    if *transpose_a {
                        (0..cols)
                            .map(|i| abs_sum((0..rows).map(|l| d[l * cols + i])))
                            .collect::<Vec<_>>()
                    } else {
                        (0..rows)
                            .map(|i| abs_sum(d[i * cols..(i + 1) * cols].iter().copied()))
                            .collect::<Vec<_>>()
                    }
                });
                const_dot(sums, b.range)
            } else {
                a.range.times(b.range).repeat_sum(k)
            }
        }
        QOp::Einsum { expr } => {
            // Number of summed terms: the product of the sizes of the labels not in the output.
            let terms = crate::ir::EinsumSpec::parse(expr)
                .ok()
                .and_then(|spec| {
                    let shapes: Vec<&[usize]> = ins.iter().map(|n| n.shape.as_slice()).collect();
                    let sizes = spec.label_sizes(&shapes).ok()?;
                    Some(
                        spec.all_labels()
                            .iter()
                            .filter(|l| !spec.output.contains(l))
                            .map(|&l| sizes[l as usize].unwrap_or(1))
                            .product::<usize>(),
                    )
                })
                .unwrap_or_else(|| {
                    ins.iter()
                        .map(|n| n.shape.iter().product::<usize>())
                        .product()
                });
            let mut p = Interval::point(1);
            for n in ins {
                p = p.times(n.range);
            }
            p.repeat_sum(terms.max(1))
        }
        QOp::Conv(_) | QOp::Deconv(_) => {
            let (x, w) = (ins[0], ins[1]);
            let bias = ins.get(2).map(|b| b.range.max_abs()).unwrap_or(0);
            let wr = if let Some(wt) = const_of(w) {
                let o_axis_is_first = matches!(op, QOp::Conv(_));
                let s = wt.shape();
                let per: usize = s[1..].iter().product();
                if o_axis_is_first {
                    const_dot(
                        (0..s[0])
                            .map(|o| abs_sum(wt.data()[o * per..(o + 1) * per].iter().copied())),
                        x.range,
                    )
                } else {
                    // Deconv weight [C, O/g, k..]: each output receives each (c, tap) at most once.
                    let k: usize = s[2..].iter().product();
                    let og = s[1];
                    const_dot(
                        (0..og).map(|o| {
                            abs_sum((0..s[0]).flat_map(|c| {
                                let base = (c * og + o) * k;
                                wt.data()[base..base + k].iter().copied()
                            }))
                        }),
                        x.range,
                    )
                }
            } else {
                let per: usize = w.shape[1..].iter().product();
                x.range.times(w.range).repeat_sum(per)
            };
            wr.plus(Interval::new(-bias, bias))
        }
        QOp::Add { shifts } => r(0).scale(1 << shifts[0]).plus(r(1).scale(1 << shifts[1])),
        QOp::Sub { shifts } => r(0).scale(1 << shifts[0]).minus(r(1).scale(1 << shifts[1])),
        QOp::Mul => r(0).times(r(1)),
        QOp::SumPool(p) => {
            let k: usize = p.kernel.iter().product();
            r(0).hull(Interval::point(0)).repeat_sum(k)
        }
        QOp::ReduceSum { axes, .. } => {
            let n: usize = axes.iter().map(|&a| ins[0].shape[a]).product();
            r(0).repeat_sum(n)
        }
        QOp::Requant {
            shift,
            rounding,
            lo,
            hi,
        } => r(0).rescale(*shift, *rounding).clamp(*lo, *hi),
        QOp::Table(spec) => match table {
            Some(t) => {
                let x = r(0).clamp(spec.in_lo, spec.in_hi());
                let (a, b) = (
                    (x.lo - spec.in_lo as i128) as usize,
                    (x.hi - spec.in_lo as i128) as usize,
                );
                Interval::of_values(t.values[a..=b].iter().copied())
            }
            None => Interval::signed_bits(spec.out_bits),
        },
        QOp::Exact(op) => exact_range(op, ins),
    }
}

fn exact_range(op: &Op, ins: &[&QNode]) -> Interval {
    let r = |i: usize| ins[i].range;
    let hull_all = || {
        ins.iter()
            .map(|n| n.range)
            .reduce(Interval::hull)
            .unwrap_or(Interval::point(0))
    };
    match op {
        Op::Compare(_) | Op::Logic(_) | Op::Not => Interval::new(0, 1),
        Op::Cast { to } => match to {
            crate::ir::DType::Bool => Interval::new(0, 1),
            _ => r(0),
        },
        Op::Reduce {
            kind: ReduceKind::ArgMax { .. } | ReduceKind::ArgMin { .. },
            axes,
            ..
        } => {
            let d = axes.first().map_or(1, |&a| ins[0].shape[a]);
            Interval::new(0, d.saturating_sub(1) as i128)
        }
        Op::TopK {
            output: crate::ir::TopKOutput::Indices,
            axis,
            ..
        } => Interval::new(0, ins[0].shape[*axis].saturating_sub(1) as i128),
        Op::Pad { value, .. } => r(0).hull(Interval::point(*value as i128)),
        Op::Unary(UnaryFn::Relu) => r(0).max(Interval::point(0)),
        Op::Unary(UnaryFn::Neg) => r(0).negate(),
        Op::Unary(UnaryFn::Abs) => {
            let m = r(0).max_abs();
            let lo = if r(0).lo > 0 {
                r(0).lo
            } else if r(0).hi < 0 {
                -r(0).hi
            } else {
                0
            };
            Interval::new(lo, m)
        }
        Op::Unary(UnaryFn::Sign) => Interval::new(-1, 1),
        Op::Where => r(1).hull(r(2)),
        Op::OneHot { on, off, .. } => {
            Interval::new(*on as i128, *on as i128).hull(Interval::point(*off as i128))
        }
        Op::Gather { .. } | Op::GatherElements { .. } => r(0),
        Op::Binary(BinaryOp::Max) => r(0).max(r(1)),
        Op::Binary(BinaryOp::Min) => r(0).min(r(1)),
        Op::Binary(BinaryOp::Div) => {
            let m = r(0).max_abs();
            Interval::new(-m, m)
        }
        _ => hull_all(),
    }
}

/// Quantizes an `f32` constant tensor at `scale`, clamped into `[lo, hi]`.
pub(super) fn quantize_tensor(t: &Tensor<f32>, scale: i32, lo: i64, hi: i64) -> Tensor<i64> {
    t.map(|&v| quantize(v as f64, scale, lo, hi))
}
