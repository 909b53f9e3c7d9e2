//! Integer interval arithmetic, used to prove before any run that no accumulator of the quantized
//! graph can leave the field's signed range for any input in the input's quantized range.
//!
//! Intervals are closed, `[lo, hi]` over `i128`, and every operation returns a sound enclosure of
//! the exact result set (tight for monotone maps; products take the four corners). Operations
//! saturate at `±2^126` so that the analysis itself cannot overflow; anything that large already
//! fails the field check.

use serde::{Deserialize, Serialize};

use crate::quant::fixed::{FIELD_HALF, Rounding, rescale};

const SAT: i128 = 1i128 << 126;

fn sat(x: i128) -> i128 {
    x.clamp(-SAT, SAT)
}

fn sat_mul(a: i128, b: i128) -> i128 {
    a.checked_mul(b)
        .map_or(if (a < 0) != (b < 0) { -SAT } else { SAT }, sat)
}

/// A closed integer interval `[lo, hi]` (`lo ≤ hi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interval {
    /// Smallest possible value.
    pub lo: i128,
    /// Largest possible value.
    pub hi: i128,
}

impl Interval {
    /// `[lo, hi]`; the bounds are swapped if given in the wrong order.
    pub fn new(lo: i128, hi: i128) -> Self {
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        Self {
            lo: sat(lo),
            hi: sat(hi),
        }
    }

    /// The single value `v`.
    pub fn point(v: i128) -> Self {
        Self::new(v, v)
    }

    /// The signed range of `bits` bits.
    pub fn signed_bits(bits: u32) -> Self {
        let half = 1i128 << (bits - 1);
        Self::new(-half, half - 1)
    }

    /// The smallest interval holding every value of `values` (`[0, 0]` when empty).
    pub fn of_values(values: impl IntoIterator<Item = i64>) -> Self {
        let mut it = values.into_iter();
        let Some(first) = it.next() else {
            return Self::point(0);
        };
        let (mut lo, mut hi) = (first, first);
        for v in it {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        Self::new(lo as i128, hi as i128)
    }

    /// The union hull.
    pub fn hull(self, other: Self) -> Self {
        Self::new(self.lo.min(other.lo), self.hi.max(other.hi))
    }

    /// Largest magnitude.
    pub fn max_abs(self) -> i128 {
        self.lo.abs().max(self.hi.abs())
    }

    /// `self + other`.
    pub fn plus(self, other: Self) -> Self {
        Self::new(sat(self.lo + other.lo), sat(self.hi + other.hi))
    }

    /// `self − other`.
    pub fn minus(self, other: Self) -> Self {
        Self::new(sat(self.lo - other.hi), sat(self.hi - other.lo))
    }

    /// `−self`.
    pub fn negate(self) -> Self {
        Self::new(-self.hi, -self.lo)
    }

    /// `self · other`.
    pub fn times(self, other: Self) -> Self {
        let c = [
            sat_mul(self.lo, other.lo),
            sat_mul(self.lo, other.hi),
            sat_mul(self.hi, other.lo),
            sat_mul(self.hi, other.hi),
        ];
        let lo = c.iter().copied().min().unwrap_or(0);
        let hi = c.iter().copied().max().unwrap_or(0);
        Self::new(lo, hi)
    }

    /// `c · self` for a constant `c`.
    pub fn scale(self, c: i128) -> Self {
        self.times(Self::point(c))
    }

    /// The sum of `n` values each in `self`.
    pub fn repeat_sum(self, n: usize) -> Self {
        self.scale(n as i128)
    }

    /// The range of `Σ_j w_j · x_j` for constant weights `w` and every `x_j ∈ self` (exact bounds).
    pub fn dot_const(self, weights: impl IntoIterator<Item = i64>) -> Self {
        let (mut lo, mut hi) = (0i128, 0i128);
        for w in weights {
            let a = sat_mul(w as i128, self.lo);
            let b = sat_mul(w as i128, self.hi);
            lo = sat(lo + a.min(b));
            hi = sat(hi + a.max(b));
        }
        Self::new(lo, hi)
    }

    /// The image under a rescale by `k` bits (monotone, so exact).
    pub fn rescale(self, k: i32, rounding: Rounding) -> Self {
        if k < 0 {
            return self.scale(1i128 << (-k).min(100) as u32);
        }
        Self::new(rescale(self.lo, k, rounding), rescale(self.hi, k, rounding))
    }

    /// The image under clamping into `[lo, hi]`.
    pub fn clamp(self, lo: i64, hi: i64) -> Self {
        Self::new(
            self.lo.clamp(lo as i128, hi as i128),
            self.hi.clamp(lo as i128, hi as i128),
        )
    }

    /// `max(self, other)` element-wise.
    pub fn max(self, other: Self) -> Self {
        Self::new(self.lo.max(other.lo), self.hi.max(other.hi))
    }

    /// `min(self, other)` element-wise.
    pub fn min(self, other: Self) -> Self {
        Self::new(self.lo.min(other.lo), self.hi.min(other.hi))
    }

    /// Whether every value lies in `[lo, hi]`.
    pub fn within(self, lo: i128, hi: i128) -> bool {
        self.lo >= lo && self.hi <= hi
    }

    /// Whether every value is a valid signed field element (`|v| ≤ (p − 1)/2`).
    pub fn fits_field(self) -> bool {
        self.within(-FIELD_HALF, FIELD_HALF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_encloses_every_result() {
        let a = Interval::new(-3, 5);
        let b = Interval::new(-7, 2);
        for x in a.lo..=a.hi {
            for y in b.lo..=b.hi {
                let s = a.plus(b);
                assert!(s.lo <= x + y && x + y <= s.hi);
                let d = a.minus(b);
                assert!(d.lo <= x - y && x - y <= d.hi);
                let p = a.times(b);
                assert!(p.lo <= x * y && x * y <= p.hi);
            }
        }
        assert_eq!(a.times(b), Interval::new(-35, 21));
        assert_eq!(a.dot_const([2, -1]), Interval::new(-6 - 5, 10 + 3));
        assert_eq!(
            Interval::new(-5, 6).rescale(2, Rounding::HalfUp),
            Interval::new(-1, 2)
        );
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let big = Interval::new(-(1i128 << 100), 1i128 << 100);
        let p = big.times(big);
        assert!(!p.fits_field());
        assert_eq!(p.hi, SAT);
        assert!(Interval::signed_bits(16).fits_field());
    }
}
