//! Lowering of the composite normalizations: softmax, log-softmax, means and other reductions,
//! and RMS normalization (see the module doc of `quant` for the numerical design).

use crate::ir::{Op, ReduceKind};
use crate::quant::fixed::{pow2, scale_for_range};
use crate::quant::graph::{QKind, QOp, QuantError};
use crate::quant::table::TableFn;
use crate::tensor::Tensor;

use super::Builder;
use super::ops::{ceil_log2, groups};

impl Builder<'_> {
    pub(super) fn lower_softmax(
        &mut self,
        i: usize,
        x_ir: usize,
        axes: &[usize],
        log: bool,
    ) -> Result<usize, QuantError> {
        let node = self.ir.nodes[i].clone();
        let shape = node.shape.clone();
        let x = self.operand(x_ir, None)?;
        let sx = self.scale_of(x);
        let keep: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(a, &d)| if axes.contains(&a) { 1 } else { d })
            .collect();
        let n: usize = axes.iter().map(|&a| shape[a]).product();
        let reduce_max = Op::Reduce {
            kind: ReduceKind::Max,
            axes: axes.to_vec(),
            keepdims: true,
        };
        let m = self.push(
            "max",
            QOp::Exact(reduce_max),
            vec![x],
            keep.clone(),
            QKind::Fixed,
            sx,
        )?;
        let d = self.push(
            "sub",
            QOp::Sub { shifts: [0, 0] },
            vec![x, m],
            shape.clone(),
            QKind::Fixed,
            sx,
        )?;
        // exp over [−2^(tb−s_in), 0]: 16 real units at the default table size, where e^−16 is
        // below the output step.
        let tb = self.cfg.table_bits as i32;
        let s_in = sx.min(tb - 4);
        let d_in = self.requant("exp_in", d, s_in, -((1i64 << tb) - 1), 0)?;
        let sp = self.cfg.act_bits as i32 - 1;
        let e = self.table_on("exp", d_in, TableFn::Exp, sp, self.cfg.act_bits + 1)?;
        let sum_op = QOp::ReduceSum {
            axes: axes.to_vec(),
            keepdims: true,
        };
        let sum = self.push("sum", sum_op, vec![e], keep.clone(), QKind::Fixed, sp)?;
        // Calibrated bound of Σ e^(x − max) (≥ 1), doubled, at most n.
        let mut s_obs: f64 = 1.0;
        for v in self.values(x_ir) {
            groups(v, axes, |g| {
                let mx = g.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                let s: f64 = g.iter().map(|&y| (y - mx).exp()).sum();
                s_obs = s_obs.max(s);
            });
        }
        let s_hi_real = (2.0 * s_obs).min(n as f64).max(1.0);
        let one = 1i64 << sp;
        let s_hi = (s_hi_real * one as f64).ceil() as i64;
        let mut t = 0i32;
        while ((s_hi >> t) - (one >> t)) as u128 >= 1u128 << tb {
            t += 1;
        }
        let s_in2 = sp - t;
        let sum_in = self.requant("sum_in", sum, s_in2, one >> t, s_hi >> t)?;
        if log {
            let l = self.table_on("ln", sum_in, TableFn::Ln, sx, 48)?;
            let y = self.push(
                "acc",
                QOp::Sub { shifts: [0, 0] },
                vec![d, l],
                shape,
                QKind::Fixed,
                sx,
            )?;
            return self.finish(i, y);
        }
        let sr = self.cfg.act_bits as i32 + ceil_log2(s_hi_real.ceil() as u128) as i32;
        let r = self.table_on("recip", sum_in, TableFn::Reciprocal, sr, sr as u32 + 2)?;
        let p = self.push("acc", QOp::Mul, vec![e, r], shape, QKind::Fixed, sp + sr)?;
        // Probabilities are at most 1: no calibration needed for the output scale.
        let s_out = scale_for_range(1.0, self.cfg.act_bits, self.cfg.max_scale);
        self.requant_act("", p, s_out)
    }

    pub(super) fn lower_reduce(
        &mut self,
        i: usize,
        rk: ReduceKind,
        axes: &[usize],
        keepdims: bool,
        x_ir: usize,
    ) -> Result<usize, QuantError> {
        let node = self.ir.nodes[i].clone();
        let (shape, kind) = (node.shape.clone(), QKind::of(node.dtype));
        let x = self.operand(x_ir, None)?;
        let sx = self.scale_of(x);
        let n: usize = axes.iter().map(|&a| self.nodes[x].shape[a]).product();
        let exact = |b: &mut Self, s: i32| b.exact(i, node.op.clone(), vec![x], s);
        match rk {
            ReduceKind::Max | ReduceKind::Min => exact(self, sx),
            ReduceKind::ArgMax { .. } | ReduceKind::ArgMin { .. } => exact(self, 0),
            _ if kind != QKind::Fixed => {
                if rk == ReduceKind::Sum {
                    self.push(
                        "",
                        QOp::ReduceSum {
                            axes: axes.to_vec(),
                            keepdims,
                        },
                        vec![x],
                        shape,
                        kind,
                        0,
                    )
                } else {
                    exact(self, 0)
                }
            }
            ReduceKind::Prod => Err(self.unsupported("ReduceProd of fixed-point values")),
            ReduceKind::Sum | ReduceKind::Mean | ReduceKind::SumSquare | ReduceKind::MeanSquare => {
                let squared = matches!(rk, ReduceKind::SumSquare | ReduceKind::MeanSquare);
                let src = if squared {
                    let xs = self.shape_of(x);
                    self.push("sq", QOp::Mul, vec![x, x], xs, QKind::Fixed, 2 * sx)?
                } else {
                    x
                };
                let ss = self.scale_of(src);
                let op = QOp::ReduceSum {
                    axes: axes.to_vec(),
                    keepdims,
                };
                let sum = self.push("sum", op, vec![src], shape.clone(), kind, ss)?;
                let extra = if squared { self.cfg.headroom_bits } else { 0 };
                if matches!(rk, ReduceKind::Sum | ReduceKind::SumSquare) {
                    return self.finish_with(i, sum, extra);
                }
                if n.is_power_of_two() {
                    // sum / 2^k is the same integer read at k more fractional bits.
                    self.nodes[sum].scale += n.trailing_zeros() as i32;
                    return self.finish_with(i, sum, extra);
                }
                let c = 1.0 / n as f64;
                let sc = scale_for_range(c, self.cfg.weight_bits, self.cfg.max_scale);
                let k = self.const_f64("inv_n", &Tensor::scalar(c), sc, self.cfg.weight_bits)?;
                let acc = self.push("mean", QOp::Mul, vec![sum, k], shape, kind, ss + sc)?;
                self.finish_with(i, acc, extra)
            }
        }
    }

    pub(super) fn lower_rms_norm(
        &mut self,
        i: usize,
        x_ir: usize,
        axis: usize,
        eps: f64,
    ) -> Result<usize, QuantError> {
        let node = self.ir.nodes[i].clone();
        let shape = node.shape.clone();
        let x = self.operand(x_ir, None)?;
        let sx = self.scale_of(x);
        let n = shape[axis];
        let mut keep = shape.clone();
        keep[axis] = 1;
        let sq = self.push(
            "sq",
            QOp::Mul,
            vec![x, x],
            shape.clone(),
            QKind::Fixed,
            2 * sx,
        )?;
        let ss = self.push(
            "sum",
            QOp::ReduceSum {
                axes: vec![axis],
                keepdims: true,
            },
            vec![sq],
            keep,
            QKind::Fixed,
            2 * sx,
        )?;
        // Calibrated mean of squares and normalizer.
        let (mut ms_max, mut r_max) = (0f64, 0f64);
        for v in self.values(x_ir) {
            groups(v, &[axis], |g| {
                let ms = g.iter().map(|y| y * y).sum::<f64>() / n as f64;
                ms_max = ms_max.max(ms);
                r_max = r_max.max(1.0 / (ms + eps).sqrt());
            });
        }
        let tb = self.cfg.table_bits;
        let full = self.nodes[ss].range.hi.max(1);
        // The domain covers the calibrated maximum times the squared headroom (at least 2), and
        // at least a 1/2^(2h+2) fraction of what x's scale can hold (a degenerate calibration,
        // e.g. constant rows, must not shrink it to nothing).
        let h = self.cfg.headroom_bits as i32;
        let factor = pow2(2 * h).max(2.0);
        let x_max = pow2(self.cfg.act_bits as i32 - 1 - sx);
        let ms_hi = (factor * ms_max).max(x_max * x_max * pow2(-2 * h - 2));
        let want = (ms_hi * n as f64 * pow2(2 * sx)).ceil().max(1.0);
        let ss_hi = if want < full as f64 {
            want as i128
        } else {
            full
        };
        let mut t = 0i32;
        while (ss_hi >> t) as u128 >= 1u128 << tb {
            t += 1;
        }
        let ss_in = self.requant("ss_in", ss, 2 * sx - t, 0, (ss_hi >> t) as i64)?;
        // Output scale from the calibrated normalizer, but never finer than what the domain's
        // upper 2^12-th needs (rows with tinier mean squares saturate).
        let r_cap = 1.0 / (ms_hi * pow2(-12) + eps).sqrt();
        let r_max = r_max.min(r_cap);
        let sr = if r_max.is_finite() {
            self.act_scale_for(r_max)
        } else {
            0
        };
        let func = TableFn::Rsqrt {
            mul: 1.0 / n as f64,
            eps,
        };
        let r = self.table_on("rsqrt", ss_in, func, sr, self.cfg.act_bits)?;
        let acc = self.push("acc", QOp::Mul, vec![x, r], shape, QKind::Fixed, sx + sr)?;
        self.finish(i, acc)
    }
}
