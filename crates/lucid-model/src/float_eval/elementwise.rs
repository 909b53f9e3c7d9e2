//! Elementwise operators: broadcast arithmetic, comparisons, logic, select, the unary function
//! family (evaluated in f64, rounded to f32) and casts.

use super::bad_value;
use crate::ir::{BinaryOp, CmpOp, LogicOp, OpError, UnaryFn};
use crate::tensor::{DType, Tensor, Value, broadcast_all, broadcast_offsets};

/// [`crate::ir::Op::Binary`].
pub(super) fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, OpError> {
    match (a, b) {
        (Value::F32(a), Value::F32(b)) => {
            let f = |x: &f32, y: &f32| -> f32 {
                match op {
                    BinaryOp::Add => x + y,
                    BinaryOp::Sub => x - y,
                    BinaryOp::Mul => x * y,
                    BinaryOp::Div => x / y,
                    BinaryOp::Pow => pow(*x, *y),
                    BinaryOp::Max => x.max(*y),
                    BinaryOp::Min => x.min(*y),
                }
            };
            Ok(Value::F32(a.zip_broadcast(b, f)?))
        }
        (Value::I64(a), Value::I64(b)) => {
            let mut err = None;
            let f = |x: &i64, y: &i64| -> i64 {
                let r = match op {
                    BinaryOp::Add => x.checked_add(*y),
                    BinaryOp::Sub => x.checked_sub(*y),
                    BinaryOp::Mul => x.checked_mul(*y),
                    BinaryOp::Div => x.checked_div(*y),
                    BinaryOp::Pow => None,
                    BinaryOp::Max => Some(*x.max(y)),
                    BinaryOp::Min => Some(*x.min(y)),
                };
                r.unwrap_or_else(|| {
                    err.get_or_insert_with(|| format!("i64 {op:?} of {x} and {y} is undefined"));
                    0
                })
            };
            let t = a.zip_broadcast(b, f)?;
            match err {
                Some(e) => Err(bad_value(e)),
                None => Ok(Value::I64(t)),
            }
        }
        _ => Err(bad_value("binary operands must both be f32 or both i64")),
    }
}

/// `x^y` evaluated in f64.
fn pow(x: f32, y: f32) -> f32 {
    f64::from(x).powf(f64::from(y)) as f32
}

/// [`crate::ir::Op::Compare`].
pub(super) fn compare(op: CmpOp, a: &Value, b: &Value) -> Result<Value, OpError> {
    fn cmp<T: PartialOrd + Clone>(
        op: CmpOp,
        a: &Tensor<T>,
        b: &Tensor<T>,
    ) -> Result<Tensor<bool>, OpError> {
        Ok(a.zip_broadcast(b, |x, y| match op {
            CmpOp::Eq => x == y,
            CmpOp::Ne => x != y,
            CmpOp::Lt => x < y,
            CmpOp::Gt => x > y,
            CmpOp::Le => x <= y,
            CmpOp::Ge => x >= y,
        })?)
    }
    Ok(Value::Bool(match (a, b) {
        (Value::F32(a), Value::F32(b)) => cmp(op, a, b)?,
        (Value::I64(a), Value::I64(b)) => cmp(op, a, b)?,
        (Value::Bool(a), Value::Bool(b)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => cmp(op, a, b)?,
        _ => {
            return Err(bad_value(
                "comparison operands must have the same numeric dtype",
            ));
        }
    }))
}

/// [`crate::ir::Op::Logic`].
pub(super) fn logic(op: LogicOp, a: &Value, b: &Value) -> Result<Value, OpError> {
    let (a, b) = (a.as_bool()?, b.as_bool()?);
    Ok(Value::Bool(a.zip_broadcast(b, |x, y| match op {
        LogicOp::And => *x && *y,
        LogicOp::Or => *x || *y,
        LogicOp::Xor => x != y,
    })?))
}

/// [`crate::ir::Op::Where`]: `cond ? a : b`, broadcast over all three.
pub(super) fn select(cond: &Value, a: &Value, b: &Value) -> Result<Value, OpError> {
    let c = cond.as_bool()?;
    fn sel<T: Clone>(c: &Tensor<bool>, a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>, OpError> {
        let shape = broadcast_all(&[c.shape(), a.shape(), b.shape()])?;
        let oc = broadcast_offsets(c.shape(), &shape)?;
        let oa = broadcast_offsets(a.shape(), &shape)?;
        let ob = broadcast_offsets(b.shape(), &shape)?;
        let data = (0..oc.len())
            .map(|i| {
                if c.data()[oc[i]] {
                    a.data()[oa[i]].clone()
                } else {
                    b.data()[ob[i]].clone()
                }
            })
            .collect();
        Ok(Tensor::new(shape, data)?)
    }
    Ok(match (a, b) {
        (Value::F32(a), Value::F32(b)) => Value::F32(sel(c, a, b)?),
        (Value::I64(a), Value::I64(b)) => Value::I64(sel(c, a, b)?),
        (Value::Bool(a), Value::Bool(b)) => Value::Bool(sel(c, a, b)?),
        _ => return Err(bad_value("where branches must have the same dtype")),
    })
}

/// The error function, accurate to about 1e-15 in f64: a positive-term series for |x| < 3
/// and a continued fraction for erfc beyond.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let ax = x.abs();
    let r = if ax < 3.0 {
        // erf(x) = 2/√π · e^{−x²} · Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1))
        let x2 = ax * ax;
        let mut term = ax;
        let mut sum = ax;
        let mut n = 0.0;
        while term > sum * 1e-17 && n < 500.0 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        std::f64::consts::FRAC_2_SQRT_PI * (-x2).exp() * sum
    } else if ax < 30.0 {
        // erfc(x) = e^{−x²}/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
        let mut k = ax;
        for n in (1..=80).rev() {
            k = ax + (f64::from(n) / 2.0) / k;
        }
        1.0 - (-ax * ax).exp() / (std::f64::consts::PI.sqrt() * k)
    } else {
        1.0
    };
    if x < 0.0 { -r } else { r }
}

/// `f(x)` of a unary function in f64 (see [`UnaryFn`] for the definitions).
pub fn apply_unary(f: UnaryFn, x: f64) -> f64 {
    use std::f64::consts::{FRAC_1_SQRT_2, PI};
    match f {
        UnaryFn::Relu => x.max(0.0),
        UnaryFn::LeakyRelu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                f64::from(alpha) * x
            }
        }
        UnaryFn::Sigmoid => {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                let e = x.exp();
                e / (1.0 + e)
            }
        }
        UnaryFn::HardSigmoid { alpha, beta } => {
            (f64::from(alpha) * x + f64::from(beta)).clamp(0.0, 1.0)
        }
        UnaryFn::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
        UnaryFn::Tanh => x.tanh(),
        UnaryFn::Exp => x.exp(),
        UnaryFn::Ln => x.ln(),
        UnaryFn::Sqrt => x.sqrt(),
        UnaryFn::Rsqrt => 1.0 / x.sqrt(),
        UnaryFn::Recip => 1.0 / x,
        UnaryFn::Square => x * x,
        UnaryFn::Erf => erf(x),
        UnaryFn::GeluExact => 0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2)),
        UnaryFn::GeluTanh => {
            0.5 * x * (1.0 + ((2.0 / PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
        }
        UnaryFn::Softplus => {
            if x > 0.0 {
                x + (-x).exp().ln_1p()
            } else {
                x.exp().ln_1p()
            }
        }
        UnaryFn::Softsign => x / (1.0 + x.abs()),
        UnaryFn::Elu { alpha } => {
            if x > 0.0 {
                x
            } else {
                f64::from(alpha) * x.exp_m1()
            }
        }
        UnaryFn::Selu { alpha, gamma } => {
            let g = f64::from(gamma);
            if x > 0.0 {
                g * x
            } else {
                g * f64::from(alpha) * x.exp_m1()
            }
        }
        UnaryFn::Sin => x.sin(),
        UnaryFn::Cos => x.cos(),
        UnaryFn::Tan => x.tan(),
        UnaryFn::Asin => x.asin(),
        UnaryFn::Acos => x.acos(),
        UnaryFn::Atan => x.atan(),
        UnaryFn::Sinh => x.sinh(),
        UnaryFn::Cosh => x.cosh(),
        UnaryFn::Asinh => x.asinh(),
        UnaryFn::Acosh => x.acosh(),
        UnaryFn::Atanh => x.atanh(),
        UnaryFn::Abs => x.abs(),
        UnaryFn::Neg => -x,
        UnaryFn::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        UnaryFn::Floor => x.floor(),
        UnaryFn::Ceil => x.ceil(),
        UnaryFn::Round => x.round_ties_even(),
        UnaryFn::Clip { min, max } => {
            let mut y = x;
            if let Some(lo) = min {
                y = y.max(f64::from(lo));
            }
            if let Some(hi) = max {
                y = y.min(f64::from(hi));
            }
            y
        }
    }
}

/// [`crate::ir::Op::Unary`].
pub(super) fn unary(f: UnaryFn, x: &Value) -> Result<Value, OpError> {
    match x {
        Value::F32(t) => Ok(Value::F32(t.map(|&v| apply_unary(f, f64::from(v)) as f32))),
        Value::I64(t) if f.accepts_i64() => {
            let mut err = None;
            let r = t.map(|&v| {
                let y = match f {
                    UnaryFn::Abs => v.checked_abs(),
                    UnaryFn::Neg => v.checked_neg(),
                    UnaryFn::Sign => Some(v.signum()),
                    UnaryFn::Relu => Some(v.max(0)),
                    UnaryFn::Clip { min, max } => {
                        // Integer clip: the bounds rounded inwards.
                        let mut y = v;
                        if let Some(lo) = min {
                            let lo = f64::from(lo).ceil();
                            if (y as f64) < lo {
                                y = lo as i64;
                            }
                        }
                        if let Some(hi) = max {
                            let hi = f64::from(hi).floor();
                            if (y as f64) > hi {
                                y = hi as i64;
                            }
                        }
                        Some(y)
                    }
                    _ => None,
                };
                y.unwrap_or_else(|| {
                    err.get_or_insert_with(|| format!("{} of i64 {v} is undefined", f.name()));
                    0
                })
            });
            match err {
                Some(e) => Err(bad_value(e)),
                None => Ok(Value::I64(r)),
            }
        }
        other => Err(bad_value(format!(
            "{} does not apply to {} tensors",
            f.name(),
            other.dtype()
        ))),
    }
}

/// [`crate::ir::Op::Cast`].
pub(super) fn cast(x: &Value, to: DType) -> Value {
    match (x, to) {
        (Value::F32(t), DType::F32) => Value::F32(t.clone()),
        (Value::F32(t), DType::I64) => Value::I64(t.map(|&v| v as i64)),
        (Value::F32(t), DType::Bool) => Value::Bool(t.map(|&v| v != 0.0)),
        (Value::I64(t), DType::F32) => Value::F32(t.map(|&v| v as f32)),
        (Value::I64(t), DType::I64) => Value::I64(t.clone()),
        (Value::I64(t), DType::Bool) => Value::Bool(t.map(|&v| v != 0)),
        (Value::Bool(t), DType::F32) => Value::F32(t.map(|&v| f32::from(u8::from(v)))),
        (Value::Bool(t), DType::I64) => Value::I64(t.map(|&v| i64::from(v))),
        (Value::Bool(t), DType::Bool) => Value::Bool(t.clone()),
    }
}
