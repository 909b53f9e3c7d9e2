//! Numeric element types of the interpreter and their wide accumulators (f32 → f64,
//! i64 → i128 saturating, checked when narrowed back).

use super::bad_value;
use crate::ir::OpError;

/// A numeric element type with a wider accumulator.
pub(crate) trait Num: Copy + Send + Sync + PartialOrd + 'static {
    /// The accumulator type.
    type Acc: Copy + Send + Sync;
    /// The zero accumulator.
    const ZERO: Self::Acc;
    /// The multiplicative identity accumulator.
    const ONE: Self::Acc;
    /// Widens one element.
    fn widen(self) -> Self::Acc;
    /// `acc + a·b`.
    fn mac(acc: Self::Acc, a: Self, b: Self) -> Self::Acc;
    /// `a + b` of accumulators.
    fn add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// `a · b` of accumulators.
    fn mul(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// `a / n` (integer: truncating).
    fn div_count(a: Self::Acc, n: usize) -> Self::Acc;
    /// Narrows back, erroring on integer overflow.
    fn narrow(a: Self::Acc) -> Result<Self, OpError>;
}

impl Num for f32 {
    type Acc = f64;
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    fn widen(self) -> f64 {
        f64::from(self)
    }
    fn mac(acc: f64, a: f32, b: f32) -> f64 {
        acc + f64::from(a) * f64::from(b)
    }
    fn add(a: f64, b: f64) -> f64 {
        a + b
    }
    fn mul(a: f64, b: f64) -> f64 {
        a * b
    }
    fn div_count(a: f64, n: usize) -> f64 {
        a / n as f64
    }
    fn narrow(a: f64) -> Result<f32, OpError> {
        Ok(a as f32)
    }
}

impl Num for i64 {
    type Acc = i128;
    const ZERO: i128 = 0;
    const ONE: i128 = 1;
    fn widen(self) -> i128 {
        i128::from(self)
    }
    fn mac(acc: i128, a: i64, b: i64) -> i128 {
        acc.saturating_add(i128::from(a) * i128::from(b))
    }
    fn add(a: i128, b: i128) -> i128 {
        a.saturating_add(b)
    }
    fn mul(a: i128, b: i128) -> i128 {
        a.saturating_mul(b)
    }
    fn div_count(a: i128, n: usize) -> i128 {
        if n == 0 { 0 } else { a / n as i128 }
    }
    fn narrow(a: i128) -> Result<i64, OpError> {
        i64::try_from(a).map_err(|_| bad_value(format!("integer result {a} overflows i64")))
    }
}
