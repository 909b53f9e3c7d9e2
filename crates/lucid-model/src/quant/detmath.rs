//! Deterministic `f64` elementary functions for building lookup tables.
//!
//! The prover and the verifier must derive bit-identical tables on every platform (native, WASM), so
//! table values never go through the platform's `libm` (whose last-ulp results may differ). These
//! functions use only IEEE-754 operations that are correctly rounded everywhere (`+ − × ÷`, `sqrt`,
//! exact power-of-two construction) in a fixed order. Their accuracy (relative error ≲ 1e−14) is far
//! below the quantization step of any table (≥ 2^−30).

/// `2^n` exactly, for `−1022 ≤ n ≤ 1023` (saturating to 0 / infinity outside).
fn exp2i(n: i64) -> f64 {
    if n > 1023 {
        f64::INFINITY
    } else if n < -1022 {
        0.0
    } else {
        f64::from_bits(((n + 1023) as u64) << 52)
    }
}

const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LN2: f64 = std::f64::consts::LN_2;
const PI: f64 = std::f64::consts::PI;

/// `e^x`.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -745.0 {
        return 0.0;
    }
    let n = (x / LN2).round();
    let r = (x - n * LN2_HI) - n * LN2_LO; // |r| ≤ ln2/2
    // Taylor series, Horner form, degree 18 (|r|^19/19! < 1e−23).
    let mut sum = 1.0;
    for i in (1..=18).rev() {
        sum = 1.0 + sum * r / i as f64;
    }
    let n = n as i64;
    // Split the power so that subnormal results stay exact-ish and nothing overflows early.
    if n < -1000 {
        sum * exp2i(n + 60) * exp2i(-60)
    } else if n > 1000 {
        sum * exp2i(n - 60) * exp2i(60)
    } else {
        sum * exp2i(n)
    }
}

/// Natural logarithm (`−∞` at 0, NaN below).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m · 2^e with m ∈ [1, 2), exactly (normalize subnormals first).
    let (mut x, mut e) = (x, 0i64);
    if x < f64::MIN_POSITIVE {
        x *= exp2i(60);
        e -= 60;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln m = 2·atanh(t), t = (m−1)/(m+1), |t| ≤ 0.172.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut sum = 0.0;
    for k in (0..=14).rev() {
        sum = 1.0 / (2 * k + 1) as f64 + t2 * sum;
    }
    2.0 * t * sum + e as f64 * LN2_HI + e as f64 * LN2_LO
}

/// Hyperbolic tangent.
pub fn tanh(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.abs() > 20.0 {
        return x.signum();
    }
    if x.abs() < 1e-3 {
        // Avoid cancellation: x − x³/3 + 2x⁵/15.
        let x2 = x * x;
        return x * (1.0 - x2 / 3.0 + 2.0 * x2 * x2 / 15.0);
    }
    let e = exp(-2.0 * x.abs());
    x.signum() * (1.0 - e) / (1.0 + e)
}

/// Logistic sigmoid `1 / (1 + e^−x)`.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + exp(-x))
    } else {
        let e = exp(x);
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)`.
pub fn softplus(x: f64) -> f64 {
    if x > 40.0 {
        x
    } else if x < -40.0 {
        exp(x)
    } else {
        ln(1.0 + exp(x))
    }
}

/// The error function.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    if a >= 6.0 {
        return x.signum();
    }
    // erf(a) = 2/√π · e^(−a²) · Σ_n 2^n a^(2n+1) / (1·3·5···(2n+1)): positive terms, no cancellation.
    let a2 = a * a;
    let mut term = a;
    let mut sum = a;
    let mut n = 0;
    while n < 400 {
        n += 1;
        term *= 2.0 * a2 / (2 * n + 1) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    let two_over_sqrt_pi = 2.0 / PI.sqrt();
    x.signum() * (two_over_sqrt_pi * exp(-a2) * sum).min(1.0)
}

/// `sin x` (argument reduced modulo 2π; accurate for the small arguments tables use).
pub fn sin(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    let two_pi = 2.0 * PI;
    let k = (x / two_pi).round();
    let mut r = x - k * two_pi; // r ∈ [−π, π]
    // Fold into [−π/2, π/2]: sin(π − r) = sin r.
    if r > PI / 2.0 {
        r = PI - r;
    } else if r < -PI / 2.0 {
        r = -PI - r;
    }
    let r2 = r * r;
    // Taylor series to degree 25.
    let mut sum = 1.0;
    for i in (1..=12).rev() {
        sum = 1.0 - sum * r2 / ((2 * i) * (2 * i + 1)) as f64;
    }
    r * sum
}

/// `cos x`.
pub fn cos(x: f64) -> f64 {
    sin(x + PI / 2.0)
}

/// `tan x`.
pub fn tan(x: f64) -> f64 {
    sin(x) / cos(x)
}

/// `atan x`.
pub fn atan(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let (sign, a) = (x.signum(), x.abs());
    // Reduce to [0, 1] by atan(a) = π/2 − atan(1/a), then to [0, tan(π/12)] by the
    // addition formula around 1/√3 (atan(1/√3) = π/6).
    let (mut base, mut t) = if a > 1.0 {
        (PI / 2.0, 1.0 / a)
    } else {
        (0.0, a)
    };
    let flip = a > 1.0;
    let inv_sqrt3 = 1.0 / 3f64.sqrt();
    let mut off = 0.0;
    if t > 0.267_949_192_431_122_7 {
        t = (t - inv_sqrt3) / (1.0 + t * inv_sqrt3);
        off = PI / 6.0;
    }
    let t2 = t * t;
    let mut sum = 0.0;
    for k in (0..=30).rev() {
        let term = 1.0 / (2 * k + 1) as f64;
        sum = if k % 2 == 0 { term } else { -term } + t2 * sum;
    }
    let r = off + t * sum;
    if flip {
        base -= r;
    } else {
        base = r;
    }
    sign * base
}

/// `asin x` (NaN outside `[−1, 1]`).
pub fn asin(x: f64) -> f64 {
    if !(-1.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x.abs() == 1.0 {
        return x * PI / 2.0;
    }
    atan(x / (1.0 - x * x).sqrt())
}

/// `acos x` (NaN outside `[−1, 1]`).
pub fn acos(x: f64) -> f64 {
    PI / 2.0 - asin(x)
}

/// `sinh x`.
pub fn sinh(x: f64) -> f64 {
    if x.abs() < 1e-3 {
        let x2 = x * x;
        return x * (1.0 + x2 / 6.0 + x2 * x2 / 120.0);
    }
    (exp(x) - exp(-x)) / 2.0
}

/// `cosh x`.
pub fn cosh(x: f64) -> f64 {
    (exp(x) + exp(-x)) / 2.0
}

/// `asinh x`.
pub fn asinh(x: f64) -> f64 {
    let a = x.abs();
    if a < 1e-3 {
        return x * (1.0 - x * x / 6.0);
    }
    x.signum() * ln(a + (a * a + 1.0).sqrt())
}

/// `acosh x` (NaN below 1).
pub fn acosh(x: f64) -> f64 {
    if x < 1.0 {
        return f64::NAN;
    }
    ln(x + (x * x - 1.0).sqrt())
}

/// `atanh x` (NaN outside `[−1, 1]`, `±∞` at the ends).
pub fn atanh(x: f64) -> f64 {
    if x.abs() < 1e-3 {
        return x * (1.0 + x * x / 3.0);
    }
    0.5 * ln((1.0 + x) / (1.0 - x))
}

/// GELU: `x · Φ(x)` with the exact (erf) CDF.
pub fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn agrees_with_libm() {
        let mut x = -30.0;
        while x <= 30.0 {
            assert!(close(exp(x), x.exp(), 1e-14), "exp {x}");
            assert!(close(tanh(x), x.tanh(), 1e-14), "tanh {x}");
            assert!(close(sin(x), x.sin(), 1e-12), "sin {x}");
            assert!(close(cos(x), x.cos(), 1e-12), "cos {x}");
            assert!(
                close(sigmoid(x), 1.0 / (1.0 + (-x).exp()), 1e-14),
                "sigmoid {x}"
            );
            if x > 0.0 {
                assert!(close(ln(x), x.ln(), 1e-14), "ln {x}");
            }
            assert!(close(atan(x), x.atan(), 1e-14), "atan {x}");
            assert!(close(sinh(x), x.sinh(), 1e-13), "sinh {x}");
            assert!(close(asinh(x), x.asinh(), 1e-13), "asinh {x}");
            if x.abs() < 1.0 {
                assert!(close(asin(x), x.asin(), 1e-13), "asin {x}");
                assert!(close(acos(x), x.acos(), 1e-13), "acos {x}");
                assert!(close(atanh(x), x.atanh(), 1e-13), "atanh {x}");
            }
            if x >= 1.0 {
                assert!(close(acosh(x), x.acosh(), 1e-13), "acosh {x}");
            }
            x += 0.0137;
        }
        for &x in &[1e-300, 1e-10, 0.5, 1.0, 2.0, 1e10, 1e300] {
            assert!(close(ln(x), x.ln(), 1e-14), "ln {x}");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn erf_matches_known_values() {
        // Reference values (Abramowitz & Stegun table 7.1).
        let known = [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
        ];
        for (x, y) in known {
            assert!(close(erf(x), y, 1e-14), "erf {x}");
            assert!(close(erf(-x), -y, 1e-14), "erf -{x}");
        }
        assert_eq!(erf(7.0), 1.0);
        assert!(close(gelu(1.0), 0.841_344_746_068_542_9, 1e-14));
    }
}
