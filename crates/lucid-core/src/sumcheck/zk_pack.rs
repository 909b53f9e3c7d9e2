//! Committing an extension-field Libra mask ([`ZkMask`]) as one base-field table, and the
//! evaluation claims that open its rows.
//!
//! A Libra mask `g(x) = Σ_i g_i(x_i)` has extension-field coefficients. Row `i`'s multilinear
//! table ([`ZkMask::row_table`]) is split into its three basis-coefficient limbs `L_0, L_1, L_2`
//! (base-field tables) and *packed* into one base-field table over
//! `(row bits ‖ slot bits (2) ‖ coefficient bits)`, slots `0, 1, 2` holding the limbs and slot
//! `3` zero. With `e_k` the basis of `EF` over `F`, the slot point
//! `(a, b) = (e_2/(e_0 + e_2), e_1/(e_0 + e_1))` weighs the slots `(1−a)(1−b), (1−a)b, a(1−b)`
//! in the ratios `e_0 : e_1 : e_2`, so the packed table evaluated at
//! `(bits(i) ‖ a ‖ b ‖ mask_row_point(r_i))` is `λ·g_i(r_i)` with the public
//! `λ = e_0/((e_0 + e_1)(e_0 + e_2))`. An opening thus reveals exactly the values `g_i(r_i)` —
//! which [`super::zk`] shows simulatable — and never a limb on its own.
//!
//! Soundness needs nothing of the packing: whatever base-field table the prover committed
//! defines, through these evaluations, a fixed polynomial bound before the sumcheck's `ρ`.

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};

use super::zk::{ZkMask, mask_row_point};
use crate::field::{EF, F};
use crate::mle::eval_mle_ext;

/// Coefficient entries per row slot: `(degree + 1)` rounded up to a power of two.
fn width(degree: usize) -> usize {
    (degree.max(1) + 1).next_power_of_two()
}

/// Rows of a packed mask table: the variables rounded up to a power of two.
fn rows(vars: usize) -> usize {
    vars.max(1).next_power_of_two()
}

/// Entries of the packed table of a mask of `vars` variables and degree `degree`.
pub fn packed_len(vars: usize, degree: usize) -> usize {
    rows(vars) * 4 * width(degree)
}

/// The packed base-field table of `mask`.
pub fn pack(mask: &ZkMask) -> Vec<F> {
    pack_into(mask, packed_len(mask.num_vars(), mask.degree()))
}

/// The packed table of `mask` zero-extended to `len` entries (at least [`packed_len`]): the
/// rows of a mask with fewer variables than the table was sized for.
///
/// # Panics
/// If `len` is below the mask's packed length (a caller bug).
pub fn pack_into(mask: &ZkMask, len: usize) -> Vec<F> {
    assert!(
        len >= packed_len(mask.num_vars(), mask.degree()),
        "packed mask table too short"
    );
    let w = width(mask.degree());
    let mut out = vec![F::ZERO; len];
    for i in 0..mask.num_vars() {
        let row = mask.row_table(i);
        for (j, c) in row.iter().enumerate() {
            for (k, &limb) in c.as_basis_coefficients_slice().iter().enumerate() {
                out[(i * 4 + k) * w + j] = limb;
            }
        }
    }
    out
}

fn basis(k: usize) -> EF {
    EF::from_basis_coefficients_fn(|l| if l == k { F::ONE } else { F::ZERO })
}

/// `(a, b, λ)` of the module documentation.
fn slot_point() -> (EF, EF, EF) {
    let (e0, e1, e2) = (basis(0), basis(1), basis(2));
    let a = e2 * (e0 + e2).inverse();
    let b = e1 * (e0 + e1).inverse();
    let lambda = e0 * ((e0 + e1) * (e0 + e2)).inverse();
    (a, b, lambda)
}

/// The values `g_i(point_i)`, one per row (they sum to `g(point)`).
///
/// # Panics
/// If `point` has fewer coordinates than the mask has variables (a caller bug).
pub fn row_values(mask: &ZkMask, point: &[EF]) -> Vec<EF> {
    (0..mask.num_vars())
        .map(|i| eval_mle_ext(&mask.row_table(i), &mask_row_point(point[i], mask.degree())))
        .collect()
}

/// The evaluation claims `(point, value)` on the packed table of a mask of `vars` variables
/// (sized for `table_vars` variables, at least `vars`) that open `g_i(point_i) = rows[i]`.
/// `point` and `rows` must have `vars` entries.
pub fn row_claims_sized(
    vars: usize,
    table_vars: usize,
    degree: usize,
    point: &[EF],
    rows_vals: &[EF],
) -> Vec<(Vec<EF>, EF)> {
    let (a, b, lambda) = slot_point();
    let row_bits = rows(table_vars.max(vars)).trailing_zeros() as usize;
    point
        .iter()
        .zip(rows_vals)
        .enumerate()
        .map(|(i, (&r, &v))| {
            let mut p: Vec<EF> = (0..row_bits)
                .map(|bit| EF::from_bool((i >> (row_bits - 1 - bit)) & 1 == 1))
                .collect();
            p.push(a);
            p.push(b);
            p.extend(mask_row_point(r, degree.max(1)));
            (p, lambda * v)
        })
        .collect()
}

/// [`row_claims_sized`] on a table packed for exactly `vars` variables ([`pack`]).
pub fn row_claims(
    vars: usize,
    degree: usize,
    point: &[EF],
    rows_vals: &[EF],
) -> Vec<(Vec<EF>, EF)> {
    row_claims_sized(vars, vars, degree, point, rows_vals)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::mle::eval_mle_base;

    #[test]
    fn packed_rows_open_to_the_mask_rows() {
        let mut rng = StdRng::seed_from_u64(3);
        for (vars, degree) in [(3, 2), (5, 3), (1, 2)] {
            let mask = ZkMask::random(vars, degree, &mut rng);
            let packed = pack(&mask);
            let point: Vec<EF> = (0..vars).map(|i| EF::from_u64(7 + i as u64 * 13)).collect();
            let rows_vals = row_values(&mask, &point);
            assert_eq!(
                rows_vals.iter().copied().sum::<EF>(),
                mask.evaluate(&point).unwrap()
            );
            for (p, v) in row_claims(vars, mask.degree(), &point, &rows_vals) {
                assert_eq!(eval_mle_base(&packed, &p), v);
            }
        }
    }

    #[test]
    fn a_mask_packed_for_more_variables_opens_the_same_rows() {
        let mut rng = StdRng::seed_from_u64(4);
        let mask = ZkMask::random(5, 2, &mut rng);
        let packed = pack_into(&mask, packed_len(30, 2));
        let point: Vec<EF> = (0..5).map(|i| EF::from_u64(3 + i as u64 * 5)).collect();
        let rows_vals = row_values(&mask, &point);
        for (p, v) in row_claims_sized(5, 30, mask.degree(), &point, &rows_vals) {
            assert_eq!(eval_mle_base(&packed, &p), v);
        }
    }
}
