//! Lookup tables for non-linear element-wise functions.
//!
//! A table maps every integer `x` of a contiguous domain `[in_lo, in_lo + 2^log_size)` (a value at
//! scale `in_scale`, i.e. the real `x · 2^−in_scale`) to
//! `clamp(round(f(x · 2^−in_scale) · 2^out_scale))` at scale `out_scale`, rounded half away from
//! zero and clamped into `out_bits` signed bits. Non-finite results map deterministically: `+∞` to
//! the top of the output range, `−∞` to the bottom, NaN to 0 (so `sqrt`, `ln` and `1/x` are total).
//!
//! [`build_table`] is the one function both the quantizer and the prover's table builder call; the
//! values come from [`detmath`](crate::quant::detmath), so every platform builds the same table.
//! The interpreter always clamps a table's input into its domain first (a `Requant` node or an
//! input range already inside the domain), so a lookup is total.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::quant::detmath;
use crate::quant::fixed::{pow2, signed_range};

/// Largest supported table: `2^MAX_LOG_SIZE` entries.
pub const MAX_LOG_SIZE: u32 = 22;

/// A real function of one real variable, tabulated by [`build_table`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum TableFn {
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `e^x`.
    Exp,
    /// `ln x` (`−∞` at 0 and NaN below, see the module doc).
    Ln,
    /// `√x` (NaN below 0).
    Sqrt,
    /// `1 / √(mul · x + eps)` (layer normalization folds its `1/n` and epsilon in here).
    Rsqrt {
        /// Factor applied to the input first.
        mul: f64,
        /// Added before the square root.
        eps: f64,
    },
    /// `1 / x` (`±∞` at 0).
    Reciprocal,
    /// The error function.
    Erf,
    /// `x · Φ(x)` with the exact normal CDF.
    Gelu,
    /// `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))`.
    GeluTanh,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `tan x`.
    Tan,
    /// `asin x`.
    Asin,
    /// `acos x`.
    Acos,
    /// `atan x`.
    Atan,
    /// `sinh x`.
    Sinh,
    /// `cosh x`.
    Cosh,
    /// `asinh x`.
    Asinh,
    /// `acosh x`.
    Acosh,
    /// `atanh x`.
    Atanh,
    /// `x^exponent` (NaN for negative `x` and non-integer exponents).
    Pow {
        /// The constant exponent.
        exponent: f64,
    },
    /// `base^x`.
    PowBase {
        /// The constant positive base.
        base: f64,
    },
    /// `x` if `x ≥ 0`, else `alpha·x`.
    LeakyRelu {
        /// Negative slope.
        alpha: f64,
    },
    /// `max(0, min(1, alpha·x + beta))`.
    HardSigmoid {
        /// Slope.
        alpha: f64,
        /// Offset.
        beta: f64,
    },
    /// `x · max(0, min(1, x/6 + 1/2))`.
    HardSwish,
    /// `x` if `x > 0`, else `alpha·(e^x − 1)`.
    Elu {
        /// Scale of the negative part.
        alpha: f64,
    },
    /// `gamma·x` if `x > 0`, else `gamma·alpha·(e^x − 1)`.
    Selu {
        /// Scale of the exponential part.
        alpha: f64,
        /// Overall scale.
        gamma: f64,
    },
    /// `min(max(x, min), max)`, a missing bound not applied.
    Clip {
        /// Lower bound.
        min: Option<f64>,
        /// Upper bound.
        max: Option<f64>,
    },
    /// Largest integer ≤ x.
    Floor,
    /// Smallest integer ≥ x.
    Ceil,
    /// Nearest integer, halves to even.
    RoundEven,
    /// Integer part (toward zero).
    Trunc,
    /// `−1, 0, 1` by the sign.
    Sign,
    /// `x²`.
    Square,
    /// The identity (re-scales and clamps through a table).
    Identity,
}

impl TableFn {
    /// Evaluates the function in `f64`, deterministically.
    pub fn eval(&self, x: f64) -> f64 {
        use detmath as m;
        match *self {
            TableFn::Sigmoid => m::sigmoid(x),
            TableFn::Tanh => m::tanh(x),
            TableFn::Exp => m::exp(x),
            TableFn::Ln => m::ln(x),
            TableFn::Sqrt => {
                if x < 0.0 {
                    f64::NAN
                } else {
                    x.sqrt()
                }
            }
            TableFn::Rsqrt { mul, eps } => {
                let v = mul * x + eps;
                if v < 0.0 { f64::NAN } else { 1.0 / v.sqrt() }
            }
            TableFn::Reciprocal => 1.0 / x,
            TableFn::Erf => m::erf(x),
            TableFn::Gelu => m::gelu(x),
            TableFn::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + m::tanh(c * (x + 0.044715 * x * x * x)))
            }
            TableFn::Softplus => m::softplus(x),
            TableFn::Softsign => x / (1.0 + x.abs()),
            TableFn::Sin => m::sin(x),
            TableFn::Cos => m::cos(x),
            TableFn::Tan => m::tan(x),
            TableFn::Asin => m::asin(x),
            TableFn::Acos => m::acos(x),
            TableFn::Atan => m::atan(x),
            TableFn::Sinh => m::sinh(x),
            TableFn::Cosh => m::cosh(x),
            TableFn::Asinh => m::asinh(x),
            TableFn::Acosh => m::acosh(x),
            TableFn::Atanh => m::atanh(x),
            TableFn::Pow { exponent } => pow(x, exponent),
            TableFn::PowBase { base } => {
                if base <= 0.0 {
                    f64::NAN
                } else {
                    m::exp(x * m::ln(base))
                }
            }
            TableFn::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            TableFn::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
            TableFn::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            TableFn::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * (m::exp(x) - 1.0)
                }
            }
            TableFn::Selu { alpha, gamma } => {
                if x > 0.0 {
                    gamma * x
                } else {
                    gamma * alpha * (m::exp(x) - 1.0)
                }
            }
            TableFn::Clip { min, max } => {
                let lo = min.unwrap_or(f64::NEG_INFINITY);
                let hi = max.unwrap_or(f64::INFINITY);
                x.max(lo).min(hi)
            }
            TableFn::Floor => x.floor(),
            TableFn::Ceil => x.ceil(),
            TableFn::RoundEven => x.round_ties_even(),
            TableFn::Trunc => x.trunc(),
            TableFn::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            TableFn::Square => x * x,
            TableFn::Identity => x,
        }
    }
}

/// `x^e` from deterministic primitives: repeated products for small integer exponents, otherwise
/// `exp(e · ln x)`.
fn pow(x: f64, e: f64) -> f64 {
    if e == e.trunc() && e.abs() <= 64.0 {
        let n = e.abs() as u32;
        let mut acc = 1.0;
        for _ in 0..n {
            acc *= x;
        }
        return if e < 0.0 { 1.0 / acc } else { acc };
    }
    if e == 0.5 {
        return if x < 0.0 { f64::NAN } else { x.sqrt() };
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return if e > 0.0 { 0.0 } else { f64::INFINITY };
    }
    detmath::exp(e * detmath::ln(x))
}

/// Everything that determines a table: the function, the input domain and scale, the output scale
/// and width. Stored in the quantized graph; the prover rebuilds the table from it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// The tabulated function.
    pub func: TableFn,
    /// Scale (fractional bits) of the input integers.
    pub in_scale: i32,
    /// Smallest input integer of the domain.
    pub in_lo: i64,
    /// The domain has `2^log_size` consecutive integers.
    pub log_size: u32,
    /// Scale of the output integers.
    pub out_scale: i32,
    /// Output integers are clamped into this many signed bits.
    pub out_bits: u32,
}

/// Invalid table parameters.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TableError {
    /// The table would have more than `2^MAX_LOG_SIZE` entries.
    #[error("table of 2^{got} entries exceeds the maximum 2^{max}")]
    TooLarge {
        /// Largest allowed `log_size`.
        max: u32,
        /// Requested `log_size`.
        got: u32,
    },
    /// Output width outside `1..=62` bits.
    #[error("table output width must be 1..=62 bits, got {got}")]
    BadOutputBits {
        /// Requested width.
        got: u32,
    },
}

impl TableSpec {
    /// Largest input integer of the domain.
    pub fn in_hi(&self) -> i64 {
        self.in_lo + (1i64 << self.log_size) - 1
    }

    /// Number of entries, `2^log_size`.
    pub fn len(&self) -> usize {
        1usize << self.log_size
    }

    /// Never true (a table has at least one entry); present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The output integer for one input integer (which need not lie in the domain).
    pub fn value_at(&self, x: i64) -> i64 {
        let (lo, hi) = signed_range(self.out_bits);
        let y = self.func.eval(x as f64 * pow2(-self.in_scale)) * pow2(self.out_scale);
        if y.is_nan() {
            0
        } else if y >= hi as f64 {
            hi
        } else if y <= lo as f64 {
            lo
        } else {
            y.round() as i64
        }
    }

    fn check(&self) -> Result<(), TableError> {
        if self.log_size > MAX_LOG_SIZE {
            return Err(TableError::TooLarge {
                max: MAX_LOG_SIZE,
                got: self.log_size,
            });
        }
        if !(1..=62).contains(&self.out_bits) {
            return Err(TableError::BadOutputBits { got: self.out_bits });
        }
        Ok(())
    }
}

/// Builds the table: entry `i` is the output for input integer `in_lo + i`.
pub fn build_table(spec: &TableSpec) -> Result<Vec<i64>, TableError> {
    spec.check()?;
    Ok((0..spec.len() as i64)
        .map(|i| spec.value_at(spec.in_lo + i))
        .collect())
}

/// A built table with its spec: looks inputs up, clamping them into the domain.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The parameters.
    pub spec: TableSpec,
    /// `2^log_size` output integers.
    pub values: Vec<i64>,
}

impl Table {
    /// Builds the table of `spec`.
    pub fn new(spec: TableSpec) -> Result<Self, TableError> {
        Ok(Self {
            values: build_table(&spec)?,
            spec,
        })
    }

    /// The output for `x`, after clamping `x` into the domain.
    pub fn lookup(&self, x: i64) -> i64 {
        let i = x.clamp(self.spec.in_lo, self.spec.in_hi()) - self.spec.in_lo;
        self.values[i as usize]
    }

    /// Smallest and largest output value.
    pub fn output_range(&self) -> (i64, i64) {
        let lo = self.values.iter().copied().min().unwrap_or(0);
        let hi = self.values.iter().copied().max().unwrap_or(0);
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(func: TableFn, in_scale: i32, in_lo: i64, log_size: u32, out_scale: i32) -> TableSpec {
        TableSpec {
            func,
            in_scale,
            in_lo,
            log_size,
            out_scale,
            out_bits: 32,
        }
    }

    #[test]
    fn sigmoid_table_is_accurate_and_deterministic() {
        let s = spec(TableFn::Sigmoid, 10, -(1 << 13), 14, 15);
        let t = Table::new(s).expect("valid");
        assert_eq!(t.values.len(), 1 << 14);
        for x in [-8192i64, -1000, -1, 0, 1, 777, 8191] {
            let real = 1.0 / (1.0 + (-(x as f64) / 1024.0).exp());
            let got = t.lookup(x) as f64 / 32768.0;
            assert!((got - real).abs() <= 0.5 / 32768.0 + 1e-12, "x={x}");
        }
        assert_eq!(t.lookup(0), 16384);
        // Out-of-domain inputs are clamped.
        assert_eq!(t.lookup(-1 << 20), t.values[0]);
        assert_eq!(t.lookup(1 << 20), *t.values.last().expect("non-empty"));
        assert_eq!(build_table(&s).expect("valid"), t.values);
    }

    #[test]
    fn partial_functions_are_total() {
        let t = Table::new(TableSpec {
            out_bits: 16,
            ..spec(TableFn::Reciprocal, 4, -8, 4, 8)
        })
        .expect("valid");
        // 1/0 = +∞ saturates; 1/(−0.5) = −2 → −512.
        assert_eq!(t.lookup(0), 32767);
        assert_eq!(t.lookup(-8), -512);
        assert_eq!(t.lookup(4), 1024);
        let ln = Table::new(TableSpec {
            out_bits: 16,
            ..spec(TableFn::Ln, 0, -2, 3, 8)
        })
        .expect("valid");
        assert_eq!(ln.lookup(-1), 0); // NaN → 0
        assert_eq!(ln.lookup(0), -32768); // −∞ → bottom
        assert_eq!(ln.lookup(1), 0);
        let sq = Table::new(spec(TableFn::Sqrt, 0, 0, 3, 4)).expect("valid");
        assert_eq!(sq.lookup(4), 32);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(matches!(
            build_table(&spec(TableFn::Exp, 0, 0, 30, 4)),
            Err(TableError::TooLarge { got: 30, .. })
        ));
        assert!(matches!(
            build_table(&TableSpec {
                out_bits: 0,
                ..spec(TableFn::Exp, 0, 0, 2, 4)
            }),
            Err(TableError::BadOutputBits { got: 0 })
        ));
    }

    #[test]
    fn pow_and_rsqrt() {
        assert_eq!(pow(3.0, 2.0), 9.0);
        assert_eq!(pow(2.0, -1.0), 0.5);
        assert!((pow(2.0, 1.5) - 2f64.powf(1.5)).abs() < 1e-14);
        let r = TableFn::Rsqrt { mul: 1.0, eps: 0.0 }.eval(4.0);
        assert_eq!(r, 0.5);
    }

    #[test]
    fn every_function_matches_std_math() {
        type Case = (TableFn, fn(f64) -> f64);
        let cases: Vec<Case> = vec![
            (TableFn::Sigmoid, |x| 1.0 / (1.0 + (-x).exp())),
            (TableFn::Tanh, f64::tanh),
            (TableFn::Exp, f64::exp),
            (TableFn::Softplus, |x| x.exp().ln_1p()),
            (TableFn::Softsign, |x| x / (1.0 + x.abs())),
            (TableFn::Sin, f64::sin),
            (TableFn::Cos, f64::cos),
            (TableFn::Atan, f64::atan),
            (TableFn::Sinh, f64::sinh),
            (TableFn::Cosh, f64::cosh),
            (TableFn::Asinh, f64::asinh),
            (TableFn::Elu { alpha: 1.5 }, |x| {
                if x > 0.0 { x } else { 1.5 * x.exp_m1() }
            }),
            (TableFn::HardSwish, |x| x * (x / 6.0 + 0.5).clamp(0.0, 1.0)),
            (TableFn::PowBase { base: 2.0 }, |x| 2f64.powf(x)),
        ];
        for (f, reference) in cases {
            for i in -400..=400 {
                let x = i as f64 / 50.0;
                let (a, b) = (f.eval(x), reference(x));
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "{f:?}({x}) = {a}, expected {b}"
                );
            }
        }
        for i in 1..=400 {
            let x = i as f64 / 50.0;
            assert!((TableFn::Ln.eval(x) - x.ln()).abs() < 1e-13);
            assert!(
                (TableFn::Rsqrt {
                    mul: 0.5,
                    eps: 1e-5
                }
                .eval(x)
                    - 1.0 / (0.5 * x + 1e-5).sqrt())
                .abs()
                    < 1e-13
            );
            assert!(
                (TableFn::Pow { exponent: 1.5 }.eval(x) - x.powf(1.5)).abs() < 1e-12 * x.powf(1.5)
            );
            assert!((TableFn::Acosh.eval(1.0 + x) - (1.0 + x).acosh()).abs() < 1e-13);
        }
        assert_eq!(TableFn::RoundEven.eval(2.5), 2.0);
        assert_eq!(TableFn::Trunc.eval(-2.7), -2.0);
        assert_eq!(
            TableFn::Clip {
                min: Some(-1.0),
                max: None
            }
            .eval(-3.0),
            -1.0
        );
    }
}
