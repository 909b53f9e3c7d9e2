//! Lowering of each IR operator into quantized nodes (see the module doc of `quant` for the
//! numerical design of each family).

use crate::ir::{BinaryOp, DType, Op, PadMode, UnaryFn};
use crate::quant::fixed::{pow2, quantize, scale_for_range};
use crate::quant::graph::{QKind, QOp, QuantError};
use crate::quant::table::{TableFn, TableSpec};
use crate::tensor::{Tensor, Value};

use super::Builder;

pub(super) fn ceil_log2(x: u128) -> u32 {
    if x <= 1 {
        0
    } else {
        128 - (x - 1).leading_zeros()
    }
}

/// The table function of an IR unary function, if it needs one.
fn table_fn(f: &UnaryFn) -> Option<TableFn> {
    Some(match *f {
        UnaryFn::LeakyRelu { alpha } => TableFn::LeakyRelu {
            alpha: alpha as f64,
        },
        UnaryFn::Sigmoid => TableFn::Sigmoid,
        UnaryFn::HardSigmoid { alpha, beta } => TableFn::HardSigmoid {
            alpha: alpha as f64,
            beta: beta as f64,
        },
        UnaryFn::HardSwish => TableFn::HardSwish,
        UnaryFn::Tanh => TableFn::Tanh,
        UnaryFn::Exp => TableFn::Exp,
        UnaryFn::Ln => TableFn::Ln,
        UnaryFn::Sqrt => TableFn::Sqrt,
        UnaryFn::Rsqrt => TableFn::Rsqrt { mul: 1.0, eps: 0.0 },
        UnaryFn::Recip => TableFn::Reciprocal,
        UnaryFn::Erf => TableFn::Erf,
        UnaryFn::GeluExact => TableFn::Gelu,
        UnaryFn::GeluTanh => TableFn::GeluTanh,
        UnaryFn::Softplus => TableFn::Softplus,
        UnaryFn::Softsign => TableFn::Softsign,
        UnaryFn::Elu { alpha } => TableFn::Elu {
            alpha: alpha as f64,
        },
        UnaryFn::Selu { alpha, gamma } => TableFn::Selu {
            alpha: alpha as f64,
            gamma: gamma as f64,
        },
        UnaryFn::Sin => TableFn::Sin,
        UnaryFn::Cos => TableFn::Cos,
        UnaryFn::Tan => TableFn::Tan,
        UnaryFn::Asin => TableFn::Asin,
        UnaryFn::Acos => TableFn::Acos,
        UnaryFn::Atan => TableFn::Atan,
        UnaryFn::Sinh => TableFn::Sinh,
        UnaryFn::Cosh => TableFn::Cosh,
        UnaryFn::Asinh => TableFn::Asinh,
        UnaryFn::Acosh => TableFn::Acosh,
        UnaryFn::Atanh => TableFn::Atanh,
        UnaryFn::Floor => TableFn::Floor,
        UnaryFn::Ceil => TableFn::Ceil,
        UnaryFn::Round => TableFn::RoundEven,
        UnaryFn::Clip { min, max } => TableFn::Clip {
            min: min.map(f64::from),
            max: max.map(f64::from),
        },
        UnaryFn::Square => TableFn::Square,
        UnaryFn::Relu | UnaryFn::Abs | UnaryFn::Neg | UnaryFn::Sign => return None,
    })
}

/// Groups of a tensor along `axes`: calls `f` with the elements of each group.
pub(super) fn groups(v: &Value, axes: &[usize], mut f: impl FnMut(&[f64])) {
    let data = v.to_f64_vec();
    let shape = v.shape();
    let st = crate::tensor::strides(shape);
    let kept: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let kd: Vec<usize> = kept.iter().map(|&a| shape[a]).collect();
    let rd: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let (kn, rn): (usize, usize) = (kd.iter().product(), rd.iter().product());
    let (mut ki, mut ri) = (vec![0; kd.len()], vec![0; rd.len()]);
    let mut buf = Vec::with_capacity(rn);
    for k in 0..kn {
        crate::tensor::unravel(k, &kd, &mut ki);
        let base: usize = kept.iter().zip(&ki).map(|(&a, &i)| i * st[a]).sum();
        buf.clear();
        for r in 0..rn {
            crate::tensor::unravel(r, &rd, &mut ri);
            buf.push(
                data[base
                    + axes
                        .iter()
                        .zip(&ri)
                        .map(|(&a, &i)| i * st[a])
                        .sum::<usize>()],
            );
        }
        f(&buf);
    }
}

impl Builder<'_> {
    pub(super) fn scale_of(&self, q: usize) -> i32 {
        self.nodes[q].scale
    }

    pub(super) fn shape_of(&self, q: usize) -> Vec<usize> {
        self.nodes[q].shape.clone()
    }

    /// Requantizes an accumulator of IR node `i` to its calibrated activation scale (fixed point
    /// only; integers stay exact).
    pub(super) fn finish(&mut self, i: usize, acc: usize) -> Result<usize, QuantError> {
        self.finish_with(i, acc, 0)
    }

    /// As [`Self::finish`], with `extra` more bits of headroom (squares: an input `2^h` above
    /// calibration gives a square `2^2h` above).
    pub(super) fn finish_with(
        &mut self,
        i: usize,
        acc: usize,
        extra: u32,
    ) -> Result<usize, QuantError> {
        if self.nodes[acc].kind != QKind::Fixed {
            return Ok(acc);
        }
        let m = self.stats(i).max_abs * pow2(extra as i32);
        let s = self.act_scale_for(m);
        self.requant_act("", acc, s)
    }

    /// A lookup of `func` on node `x` (its whole proven range, coarsened by a rescale if wider than
    /// `2^table_bits`), output at `out_scale` in `out_bits`.
    pub(super) fn table_on(
        &mut self,
        step: &str,
        x: usize,
        func: TableFn,
        out_scale: i32,
        out_bits: u32,
    ) -> Result<usize, QuantError> {
        let tb = self.cfg.table_bits;
        let mut x = x;
        let r = self.nodes[x].range;
        let width = (r.hi - r.lo + 1) as u128;
        if width > 1u128 << tb {
            let mut t = ceil_log2(width) as i32 - tb as i32;
            loop {
                let nr = r.rescale(t, self.cfg.rounding);
                if ((nr.hi - nr.lo + 1) as u128) <= 1u128 << tb {
                    let s = self.scale_of(x) - t;
                    x = self.requant(&format!("{step}_in"), x, s, nr.lo as i64, nr.hi as i64)?;
                    break;
                }
                t += 1;
            }
        }
        let r = self.nodes[x].range;
        let spec = TableSpec {
            func,
            in_scale: self.scale_of(x),
            in_lo: r.lo as i64,
            log_size: ceil_log2((r.hi - r.lo + 1) as u128),
            out_scale,
            out_bits,
        };
        let shape = self.shape_of(x);
        self.push(
            step,
            QOp::Table(spec),
            vec![x],
            shape,
            QKind::Fixed,
            out_scale,
        )
    }

    pub(super) fn exact(
        &mut self,
        i: usize,
        op: Op,
        inputs: Vec<usize>,
        scale: i32,
    ) -> Result<usize, QuantError> {
        let node = &self.ir.nodes[i];
        let (shape, kind) = (node.shape.clone(), QKind::of(node.dtype));
        self.push("", QOp::Exact(op), inputs, shape, kind, scale)
    }

    /// Operands `ids` (IR) aligned to one scale `s`: constants quantized at `s`, others rescaled
    /// (clamped into the activation width when `clamp`, otherwise exact).
    fn aligned(&mut self, ids: &[usize], s: i32, clamp: bool) -> Result<Vec<usize>, QuantError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let q = self.operand(id, Some(s))?;
            let q = if self.nodes[q].kind == QKind::Fixed && self.scale_of(q) != s {
                if clamp {
                    self.requant_act("align", q, s)?
                } else {
                    let big = 1i64 << 62;
                    self.requant("align", q, s, -big, big)?
                }
            } else {
                q
            };
            out.push(q);
        }
        Ok(out)
    }

    /// The scale of a non-constant fixed-point operand among `ids`, if any (the finest).
    fn data_scale(&mut self, ids: &[usize]) -> Result<Option<i32>, QuantError> {
        let mut best = None;
        for &id in ids {
            if self.is_float_const(id) {
                continue;
            }
            let q = self.operand(id, None)?;
            if self.nodes[q].kind == QKind::Fixed {
                let s = self.scale_of(q);
                best = Some(best.map_or(s, |b: i32| b.max(s)));
            }
        }
        Ok(best)
    }

    pub(super) fn lower_op(&mut self, i: usize) -> Result<usize, QuantError> {
        let node = self.ir.nodes[i].clone();
        let ins: Vec<usize> = node.inputs.iter().map(|n| n.0).collect();
        let kind = QKind::of(node.dtype);
        let shape = node.shape.clone();
        match &node.op {
            Op::Input { .. } | Op::Const(_) => Err(self.unsupported("handled elsewhere")),
            Op::Identity => self.operand(ins[0], None),
            Op::MatMul {
                transpose_a,
                transpose_b,
            } => {
                let a = self.operand(ins[0], None)?;
                let b = self.operand(ins[1], None)?;
                let s = self.scale_of(a) + self.scale_of(b);
                let op = QOp::MatMul {
                    transpose_a: *transpose_a,
                    transpose_b: *transpose_b,
                };
                let acc = self.push("acc", op, vec![a, b], shape, kind, s)?;
                self.finish(i, acc)
            }
            Op::Einsum { expr } => {
                let qs = ins
                    .iter()
                    .map(|&id| self.operand(id, None))
                    .collect::<Result<Vec<_>, _>>()?;
                let s = qs.iter().map(|&q| self.scale_of(q)).sum();
                let acc = self.push(
                    "acc",
                    QOp::Einsum { expr: expr.clone() },
                    qs,
                    shape,
                    kind,
                    s,
                )?;
                self.finish(i, acc)
            }
            Op::Conv(_) | Op::Deconv(_) => {
                let x = self.operand(ins[0], None)?;
                let w = self.operand(ins[1], None)?;
                let s = self.scale_of(x) + self.scale_of(w);
                let mut qs = vec![x, w];
                if let Some(&bias) = ins.get(2) {
                    qs.extend(self.aligned(&[bias], s, false)?);
                }
                let op = match &node.op {
                    Op::Conv(c) => QOp::Conv(c.clone()),
                    Op::Deconv(d) => QOp::Deconv(d.clone()),
                    _ => unreachable!("matched above"),
                };
                let acc = self.push("acc", op, qs, shape, kind, s)?;
                self.finish(i, acc)
            }
            Op::Binary(b) => self.lower_binary(i, *b, &ins),
            Op::Compare(c) => {
                if kind == QKind::Bool && node_dtype(self, ins[0]) == DType::F32 {
                    let s = self.data_scale(&ins)?.unwrap_or(0);
                    let qs = self.aligned(&ins, s, false)?;
                    self.exact(i, Op::Compare(*c), qs, 0)
                } else {
                    let qs = ins
                        .iter()
                        .map(|&id| self.operand(id, None))
                        .collect::<Result<Vec<_>, _>>()?;
                    self.exact(i, Op::Compare(*c), qs, 0)
                }
            }
            Op::Logic(_) | Op::Not => {
                let qs = ins
                    .iter()
                    .map(|&id| self.operand(id, None))
                    .collect::<Result<Vec<_>, _>>()?;
                self.exact(i, node.op.clone(), qs, 0)
            }
            Op::Where => {
                let c = self.operand(ins[0], None)?;
                let mut qs = vec![c];
                if kind == QKind::Fixed {
                    let s = self.act_scale(i);
                    qs.extend(self.aligned(&ins[1..], s, true)?);
                    self.exact(i, Op::Where, qs, s)
                } else {
                    for &id in &ins[1..] {
                        qs.push(self.operand(id, None)?);
                    }
                    self.exact(i, Op::Where, qs, 0)
                }
            }
            Op::Unary(f) => self.lower_unary(i, f, ins[0]),
            Op::Softmax { axes } => self.lower_softmax(i, ins[0], axes, false),
            Op::LogSoftmax { axes } => self.lower_softmax(i, ins[0], axes, true),
            Op::Reduce {
                kind: rk,
                axes,
                keepdims,
            } => self.lower_reduce(i, *rk, axes, *keepdims, ins[0]),
            Op::RmsNorm { axis, eps } => self.lower_rms_norm(i, ins[0], *axis, *eps as f64),
            Op::MaxPool(_) => {
                let x = self.operand(ins[0], None)?;
                let s = self.scale_of(x);
                self.exact(i, node.op.clone(), vec![x], s)
            }
            Op::SumPool {
                pool,
                normalize,
                count_include_pad,
            } => {
                let x = self.operand(ins[0], None)?;
                let s = self.scale_of(x);
                let sum = self.push(
                    "sum",
                    QOp::SumPool(pool.clone()),
                    vec![x],
                    shape.clone(),
                    kind,
                    s,
                )?;
                if !normalize {
                    return self.finish(i, sum);
                }
                let k: usize = pool.kernel.iter().product();
                let recip = if *count_include_pad {
                    Tensor::scalar(1.0 / k as f64)
                } else {
                    let in_sp = &self.nodes[x].shape[2..];
                    let counts = crate::int_eval::kernels::pool_counts(in_sp, pool)
                        .map_err(|e| self.unsupported(e.to_string()))?;
                    counts.map(|&c| 1.0 / (c.max(1)) as f64)
                };
                let m = recip.data().iter().fold(0f64, |m, &v| m.max(v));
                let sc = scale_for_range(m, self.cfg.weight_bits, self.cfg.max_scale);
                let c = self.const_f64("inv_count", &recip, sc, self.cfg.weight_bits)?;
                let acc = self.push("mean", QOp::Mul, vec![sum, c], shape, kind, s + sc)?;
                self.finish(i, acc)
            }
            Op::Reshape { .. }
            | Op::Transpose { .. }
            | Op::Broadcast { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::GatherElements { .. }
            | Op::NearestUpsample { .. }
            | Op::TopK { .. } => {
                let mut qs = vec![self.operand(ins[0], None)?];
                for &id in &ins[1..] {
                    qs.push(self.operand(id, None)?);
                }
                let s = self.scale_of(qs[0]);
                self.exact(i, node.op.clone(), qs, s)
            }
            Op::Concat { .. } | Op::ScatterElements { .. } => {
                if kind != QKind::Fixed {
                    let qs = ins
                        .iter()
                        .map(|&id| self.operand(id, None))
                        .collect::<Result<Vec<_>, _>>()?;
                    return self.exact(i, node.op.clone(), qs, 0);
                }
                let data: Vec<usize> = if matches!(node.op, Op::Concat { .. }) {
                    ins.clone()
                } else {
                    vec![ins[0], ins[2]]
                };
                // One common scale: the inputs' own when they agree, else the calibrated one.
                let scales: Vec<Option<i32>> = data
                    .iter()
                    .map(|&id| {
                        if self.is_float_const(id) {
                            Ok(None)
                        } else {
                            self.operand(id, None).map(|q| Some(self.scale_of(q)))
                        }
                    })
                    .collect::<Result<_, _>>()?;
                let known: Vec<i32> = scales.iter().flatten().copied().collect();
                let s = if !known.is_empty() && known.iter().all(|&v| v == known[0]) {
                    known[0]
                } else {
                    self.act_scale(i)
                };
                let qd = self.aligned(&data, s, true)?;
                let qs = if matches!(node.op, Op::Concat { .. }) {
                    qd
                } else {
                    vec![qd[0], self.operand(ins[1], None)?, qd[1]]
                };
                self.exact(i, node.op.clone(), qs, s)
            }
            Op::Pad { pads, mode, value } => {
                let x = self.operand(ins[0], None)?;
                let s = self.scale_of(x);
                let v = if kind == QKind::Fixed && *mode == PadMode::Constant {
                    let (lo, hi) = self.act_range();
                    quantize(*value as f64, s, lo, hi) as f32
                } else {
                    *value
                };
                self.exact(
                    i,
                    Op::Pad {
                        pads: pads.clone(),
                        mode: *mode,
                        value: v,
                    },
                    vec![x],
                    s,
                )
            }
            Op::OneHot {
                axis,
                depth,
                on,
                off,
                dtype,
            } => {
                let idx = self.operand(ins[0], None)?;
                if *dtype == DType::F32 {
                    let m = on.abs().max(off.abs()) as f64;
                    let s = scale_for_range(m, self.cfg.weight_bits, self.cfg.max_scale);
                    let q = |v: f32| quantize(v as f64, s, -(1 << 40), 1 << 40) as f32;
                    let op = Op::OneHot {
                        axis: *axis,
                        depth: *depth,
                        on: q(*on),
                        off: q(*off),
                        dtype: DType::I64,
                    };
                    self.push("", QOp::Exact(op), vec![idx], shape, QKind::Fixed, s)
                } else {
                    self.exact(i, node.op.clone(), vec![idx], 0)
                }
            }
            Op::Cast { to } => {
                let x = self.operand(ins[0], None)?;
                let from = self.nodes[x].kind;
                match (from, *to) {
                    (QKind::Fixed, DType::I64) => {
                        // Truncation toward zero of the real value, through a table.
                        let q = self.table_on("", x, TableFn::Trunc, 0, 48)?;
                        self.nodes[q].kind = QKind::Int;
                        Ok(q)
                    }
                    (_, DType::Bool) if from != QKind::Bool => {
                        self.exact(i, node.op.clone(), vec![x], 0)
                    }
                    (QKind::Fixed, DType::F32)
                    | (QKind::Int, DType::I64)
                    | (QKind::Bool, DType::Bool) => Ok(x),
                    // Integer or boolean values become fixed point at scale 0, or booleans
                    // integers: the values do not change.
                    _ => self.push("", QOp::Exact(Op::Identity), vec![x], shape, kind, 0),
                }
            }
        }
    }

    fn lower_binary(&mut self, i: usize, b: BinaryOp, ins: &[usize]) -> Result<usize, QuantError> {
        let node = self.ir.nodes[i].clone();
        let (shape, kind) = (node.shape.clone(), QKind::of(node.dtype));
        if kind != QKind::Fixed {
            let qs = ins
                .iter()
                .map(|&id| self.operand(id, None))
                .collect::<Result<Vec<_>, _>>()?;
            return match b {
                BinaryOp::Add => self.push("", QOp::Add { shifts: [0, 0] }, qs, shape, kind, 0),
                BinaryOp::Sub => self.push("", QOp::Sub { shifts: [0, 0] }, qs, shape, kind, 0),
                BinaryOp::Mul => self.push("", QOp::Mul, qs, shape, kind, 0),
                _ => self.exact(i, Op::Binary(b), qs, 0),
            };
        }
        let s_out = self.act_scale(i);
        match b {
            BinaryOp::Add | BinaryOp::Sub => {
                let data = self.data_scale(ins)?.unwrap_or(s_out);
                let sc = data.max(s_out);
                let qa = if self.is_float_const(ins[0]) {
                    self.operand(ins[0], Some(sc))?
                } else {
                    self.operand(ins[0], None)?
                };
                let qb = if self.is_float_const(ins[1]) {
                    self.operand(ins[1], Some(sc))?
                } else {
                    self.operand(ins[1], None)?
                };
                let (sa, sb) = (self.scale_of(qa), self.scale_of(qb));
                let s = sa.max(sb);
                if s - sa.min(sb) > 62 {
                    return Err(
                        self.unsupported(format!("operand scales {sa} and {sb} too far apart"))
                    );
                }
                let shifts = [(s - sa) as u32, (s - sb) as u32];
                let op = if b == BinaryOp::Add {
                    QOp::Add { shifts }
                } else {
                    QOp::Sub { shifts }
                };
                let acc = self.push("acc", op, vec![qa, qb], shape, kind, s)?;
                self.finish(i, acc)
            }
            BinaryOp::Mul => {
                let qa = self.operand(ins[0], None)?;
                let qb = self.operand(ins[1], None)?;
                let s = self.scale_of(qa) + self.scale_of(qb);
                let acc = self.push("acc", QOp::Mul, vec![qa, qb], shape, kind, s)?;
                let extra = if qa == qb { self.cfg.headroom_bits } else { 0 };
                self.finish_with(i, acc, extra)
            }
            BinaryOp::Div => {
                let qa = self.operand(ins[0], None)?;
                let qr = if let Op::Const(Value::F32(t)) = &self.ir.nodes[ins[1]].op {
                    let recip = t.map(|&v| 1.0 / v as f64);
                    let m = recip
                        .data()
                        .iter()
                        .fold(0f64, |m, &v| if v.is_finite() { m.max(v.abs()) } else { m });
                    let sc = scale_for_range(m, self.cfg.weight_bits, self.cfg.max_scale);
                    self.const_f64("recip", &recip, sc, self.cfg.weight_bits)?
                } else {
                    let qb = self.operand(ins[1], None)?;
                    let m = self
                        .values(ins[1])
                        .flat_map(|v| v.to_f64_vec())
                        .fold(0f64, |m, v| {
                            if v != 0.0 && (1.0 / v).is_finite() {
                                m.max((1.0 / v).abs())
                            } else {
                                m
                            }
                        });
                    let sr = self.act_scale_for(m);
                    self.table_on("recip", qb, TableFn::Reciprocal, sr, self.cfg.act_bits + 1)?
                };
                let s = self.scale_of(qa) + self.scale_of(qr);
                let acc = self.push("acc", QOp::Mul, vec![qa, qr], shape, kind, s)?;
                self.finish(i, acc)
            }
            BinaryOp::Pow => {
                let scalar = |b: &Self, id: usize| -> Option<f64> {
                    match &b.ir.nodes[id].op {
                        Op::Const(Value::F32(t))
                            if !t.is_empty() && t.data().iter().all(|&v| v == t.data()[0]) =>
                        {
                            Some(t.data()[0] as f64)
                        }
                        _ => None,
                    }
                };
                if let (Some(e), false) = (
                    scalar(self, ins[1]),
                    self.ir.nodes[ins[1]].shape.len() > shape.len(),
                ) {
                    let qa = self.operand(ins[0], None)?;
                    if self.nodes[qa].shape != shape {
                        return Err(self.unsupported("Pow with a broadcast exponent"));
                    }
                    if e == 1.0 {
                        return Ok(qa);
                    }
                    if e == 2.0 {
                        let s = 2 * self.scale_of(qa);
                        let acc = self.push("acc", QOp::Mul, vec![qa, qa], shape, kind, s)?;
                        let extra = self.cfg.headroom_bits;
                        return self.finish_with(i, acc, extra);
                    }
                    let bits = self.cfg.act_bits;
                    return self.table_on("", qa, TableFn::Pow { exponent: e }, s_out, bits);
                }
                if let Some(base) = scalar(self, ins[0]) {
                    let qb = self.operand(ins[1], None)?;
                    if self.nodes[qb].shape == shape {
                        let bits = self.cfg.act_bits;
                        return self.table_on("", qb, TableFn::PowBase { base }, s_out, bits);
                    }
                }
                Err(self.unsupported("Pow needs a constant scalar exponent or base"))
            }
            BinaryOp::Max | BinaryOp::Min => {
                let s = self.data_scale(ins)?.unwrap_or(s_out);
                let qs = self.aligned(ins, s, true)?;
                self.exact(i, Op::Binary(b), qs, s)
            }
        }
    }

    fn lower_unary(&mut self, i: usize, f: &UnaryFn, x: usize) -> Result<usize, QuantError> {
        let node = self.ir.nodes[i].clone();
        let q = self.operand(x, None)?;
        let kind = QKind::of(node.dtype);
        if kind != QKind::Fixed {
            return self.exact(i, Op::Unary(*f), vec![q], 0);
        }
        match f {
            UnaryFn::Relu | UnaryFn::Neg | UnaryFn::Abs => {
                let s = self.scale_of(q);
                self.exact(i, Op::Unary(*f), vec![q], s)
            }
            UnaryFn::Sign => self.exact(i, Op::Unary(*f), vec![q], 0),
            UnaryFn::Square => {
                let s = 2 * self.scale_of(q);
                let acc = self.push("acc", QOp::Mul, vec![q, q], node.shape.clone(), kind, s)?;
                let extra = self.cfg.headroom_bits;
                self.finish_with(i, acc, extra)
            }
            other => {
                let func = table_fn(other).ok_or_else(|| self.unsupported("no table"))?;
                let s = self.act_scale(i);
                let bits = self.cfg.act_bits;
                self.table_on("", q, func, s, bits)
            }
        }
    }
}

fn node_dtype(b: &Builder<'_>, id: usize) -> DType {
    b.ir.nodes[id].dtype
}
