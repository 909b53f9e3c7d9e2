//! Signed fixed-point arithmetic with power-of-two scales: the integer primitives every quantized
//! operator is built from, with exactly the semantics the prover proves.
//!
//! A real value `x` at scale `s` (an `i32`, "fractional bits") is the integer `q = round(x · 2^s)`;
//! `s` may be negative for tensors with large values. Rescaling an exact accumulator `acc` by `k`
//! bits (`k ≥ 0`) is the Euclidean division
//!
//! ```text
//! acc + offset = q · 2^k + r,   0 ≤ r < 2^k,   offset = 0 (Floor) or 2^(k−1) (HalfUp, k > 0)
//! ```
//!
//! so the prover checks one linear identity and range-checks `r` (and then `q`, or the clamp of `q`).
//! A negative `k` is an exact multiplication by `2^(−k)`.

use serde::{Deserialize, Serialize};

/// Goldilocks modulus `p = 2^64 − 2^32 + 1`.
pub const GOLDILOCKS_P: u64 = 0xffff_ffff_0000_0001;

/// Largest magnitude a signed value embedded in Goldilocks may have: `(p − 1) / 2`. Every integer
/// the interpreter produces (accumulators included) must lie in `[−FIELD_HALF, FIELD_HALF]`; it is
/// also below `i64::MAX`, so the interpreter's `i64` arithmetic is exact.
pub const FIELD_HALF: i128 = ((GOLDILOCKS_P - 1) / 2) as i128;

/// How a rescale rounds the quotient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Rounding {
    /// `q = ⌊acc / 2^k⌋`.
    Floor,
    /// `q = ⌊(acc + 2^(k−1)) / 2^k⌋` (round half up).
    #[default]
    HalfUp,
}

impl Rounding {
    /// The offset added before the floor division by `2^k` (`k > 0`).
    pub fn offset(self, k: u32) -> i128 {
        match self {
            Rounding::Floor => 0,
            Rounding::HalfUp if k > 0 => 1i128 << (k - 1),
            Rounding::HalfUp => 0,
        }
    }
}

/// Rescales `acc` by `k` bits: for `k > 0` the quotient of the module identity (the remainder is
/// discarded), for `k ≤ 0` the exact product `acc · 2^(−k)`.
#[inline]
pub fn rescale(acc: i128, k: i32, rounding: Rounding) -> i128 {
    if k > 0 {
        let k = k as u32;
        (acc + rounding.offset(k)) >> k
    } else {
        acc << (-k) as u32
    }
}

/// The quotient and remainder of the identity `acc + offset = q · 2^k + r` (`0 ≤ r < 2^k`, `k ≥ 0`),
/// as the prover's witness of one rescale.
#[inline]
pub fn rescale_with_remainder(acc: i128, k: u32, rounding: Rounding) -> (i128, i128) {
    let shifted = acc + rounding.offset(k);
    let q = shifted >> k;
    let r = shifted - (q << k);
    (q, r)
}

/// Signed range of a `bits`-wide two's-complement integer: `[−2^(bits−1), 2^(bits−1) − 1]`.
#[inline]
pub fn signed_range(bits: u32) -> (i64, i64) {
    debug_assert!((1..=63).contains(&bits), "bit width out of range");
    let half = 1i64 << (bits - 1);
    (-half, half - 1)
}

/// Clamps into `[lo, hi]`.
#[inline]
pub fn clamp_i128(x: i128, lo: i64, hi: i64) -> i64 {
    x.clamp(lo as i128, hi as i128) as i64
}

/// Clamps into the signed range of `bits` bits.
#[inline]
pub fn clamp_bits(x: i128, bits: u32) -> i64 {
    let (lo, hi) = signed_range(bits);
    clamp_i128(x, lo, hi)
}

/// `2^s` as `f64` (exact for every `s` the quantizer uses).
#[inline]
pub fn pow2(s: i32) -> f64 {
    2f64.powi(s)
}

/// Quantizes a real value at scale `s`: `round(x · 2^s)` (halves away from zero), clamped into
/// `[lo, hi]`; NaN maps to 0.
#[inline]
pub fn quantize(x: f64, s: i32, lo: i64, hi: i64) -> i64 {
    let v = x * pow2(s);
    if v.is_nan() {
        return 0;
    }
    let r = v.round();
    if r <= lo as f64 {
        lo
    } else if r >= hi as f64 {
        hi
    } else {
        r as i64
    }
}

/// The real value of `q` at scale `s`.
#[inline]
pub fn dequantize(q: i64, s: i32) -> f64 {
    q as f64 * pow2(-s)
}

/// The finest scale at which every value of magnitude up to `max_abs` fits into `bits` signed bits
/// (`max_abs · 2^s ≤ 2^(bits−1) − 1`), limited to `[−max_scale, max_scale]`. A zero range gets
/// `max_scale`.
pub fn scale_for_range(max_abs: f64, bits: u32, max_scale: i32) -> i32 {
    let limit = ((1i64 << (bits - 1)) - 1) as f64;
    if !(max_abs.is_finite()) || max_abs <= 0.0 {
        return if max_abs.is_finite() {
            max_scale
        } else {
            -max_scale
        };
    }
    // Largest s with max_abs · 2^s ≤ limit.
    let mut s = (limit / max_abs).log2().floor() as i32;
    while s > -max_scale && max_abs * pow2(s) > limit {
        s -= 1;
    }
    while s < max_scale && max_abs * pow2(s + 1) <= limit {
        s += 1;
    }
    s.clamp(-max_scale, max_scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_identity_holds() {
        for acc in -1000i128..1000 {
            for k in 0..6u32 {
                for rounding in [Rounding::Floor, Rounding::HalfUp] {
                    let (q, r) = rescale_with_remainder(acc, k, rounding);
                    assert!((0..(1i128 << k)).contains(&r));
                    assert_eq!(acc + rounding.offset(k), q * (1 << k) + r);
                    assert_eq!(q, rescale(acc, k as i32, rounding));
                }
            }
        }
    }

    #[test]
    fn half_up_rounds_to_nearest() {
        // 5/4 = 1.25 → 1; 6/4 = 1.5 → 2; −6/4 = −1.5 → −1; −7/4 = −1.75 → −2.
        assert_eq!(rescale(5, 2, Rounding::HalfUp), 1);
        assert_eq!(rescale(6, 2, Rounding::HalfUp), 2);
        assert_eq!(rescale(-6, 2, Rounding::HalfUp), -1);
        assert_eq!(rescale(-7, 2, Rounding::HalfUp), -2);
        assert_eq!(rescale(-7, 2, Rounding::Floor), -2);
        assert_eq!(rescale(-5, 2, Rounding::Floor), -2);
        assert_eq!(rescale(3, -3, Rounding::Floor), 24);
    }

    #[test]
    fn clamping_and_ranges() {
        assert_eq!(signed_range(8), (-128, 127));
        assert_eq!(clamp_bits(200, 8), 127);
        assert_eq!(clamp_bits(-200, 8), -128);
        assert_eq!(clamp_bits(5, 8), 5);
        assert!(FIELD_HALF < i64::MAX as i128);
    }

    #[test]
    fn quantize_round_trip() {
        assert_eq!(quantize(1.5, 2, -100, 100), 6);
        assert_eq!(quantize(-0.375, 3, -100, 100), -3);
        assert_eq!(quantize(1000.0, 0, -100, 100), 100);
        assert_eq!(quantize(f64::NAN, 4, -100, 100), 0);
        assert_eq!(dequantize(-3, 3), -0.375);
    }

    #[test]
    fn scales_fill_the_bit_width() {
        // 3.0 · 2^13 = 24576 ≤ 32767 < 3.0 · 2^14.
        assert_eq!(scale_for_range(3.0, 16, 30), 13);
        assert_eq!(scale_for_range(1.0, 16, 30), 14);
        assert_eq!(scale_for_range(0.0, 16, 30), 30);
        assert_eq!(scale_for_range(1e6, 8, 30), -13);
    }
}
