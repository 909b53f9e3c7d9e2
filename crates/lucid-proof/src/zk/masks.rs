//! Committing extension-field Libra masks in a base-field hiding commitment (the packing of
//! [`lucid_core::sumcheck::zk_pack`]), and evaluating blinded tables.

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_base;
pub use lucid_core::sumcheck::zk_pack::{pack, packed_len, row_claims, row_values};
use p3_field::PrimeCharacteristicRing;

/// `T'(c, point) = (1 − c)·T(point) + c·R(point)` from the two halves.
pub fn blinded_eval(values: &[F], mask: &[F], c: EF, point: &[EF]) -> EF {
    (EF::ONE - c) * eval_mle_base(values, point) + c * eval_mle_base(mask, point)
}
