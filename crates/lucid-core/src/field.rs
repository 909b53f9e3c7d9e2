//! The fields Lucid proves over: Goldilocks (`p = 2^64 − 2^32 + 1`) for every committed value,
//! and its cubic extension (~192 bits) for Fiat–Shamir challenges, so that sumcheck, LogUp and
//! WHIR soundness errors stay below 2^-100.

use p3_field::PrimeCharacteristicRing;
use p3_field::extension::CubicTrinomialExtensionField;
use p3_goldilocks::Goldilocks;

/// The base field: every tensor entry, weight and lookup witness lives here.
pub type F = Goldilocks;

/// The challenge field: the cubic extension of Goldilocks.
pub type EF = CubicTrinomialExtensionField<Goldilocks>;

/// Embeds a signed integer into the base field (`x ↦ x mod p`).
#[inline]
pub fn from_i64(x: i64) -> F {
    if x >= 0 {
        F::from_u64(x as u64)
    } else {
        -F::from_u64(x.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeField64;

    #[test]
    fn signed_embedding_round_trips() {
        const P: u64 = 0xFFFF_FFFF_0000_0001;
        assert_eq!(from_i64(-1).as_canonical_u64(), P - 1);
        assert_eq!(from_i64(5).as_canonical_u64(), 5);
        assert_eq!(from_i64(i64::MIN) + from_i64(i64::MAX), from_i64(-1));
    }
}
