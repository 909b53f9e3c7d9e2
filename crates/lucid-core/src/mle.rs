//! Multilinear extensions (MLEs): evaluation tables, `eq` polynomials, binding variables and
//! evaluating a table's MLE at a point. Thin, documented wrappers over `p3-multilinear-util`.
//!
//! # Convention
//!
//! A table of `2^n` values is indexed lexicographically and `point[0]` is the **most
//! significant** bit of the index: `table[i]` is the MLE at `(b_0, …, b_{n-1})` with
//! `i = Σ_k b_k · 2^{n-1-k}`. Binding a variable means binding `point[0]` first, which folds the
//! low half of the table with the high half. For a row-major `m × k` matrix (both powers of two)
//! the row bits come first: `A(r_row, r_col)` is the MLE of the flat table at `r_row ‖ r_col`.
//!
//! Functions here panic only on caller bugs (lengths that are not powers of two, a point whose
//! length does not match the table); they never see untrusted proof data directly.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_multilinear_util::eq_batch::eval_eq_batch;
use p3_multilinear_util::point::Point;
use p3_multilinear_util::poly::Poly;

use crate::field::{EF, F};

/// `log2(n)` when `n` is a power of two (`n ≥ 1`), `None` otherwise.
pub fn log2_exact(n: usize) -> Option<usize> {
    n.is_power_of_two().then(|| n.trailing_zeros() as usize)
}

/// Pads `values` with zeros up to the next power of two (an empty vector becomes `[0]`).
///
/// The MLE of the padded table agrees with the original values on their indices and is zero on
/// the padding, the usual way to embed a tensor of arbitrary length.
pub fn pad_to_pow2<T: PrimeCharacteristicRing + Copy>(mut values: Vec<T>) -> Vec<T> {
    let target = values.len().max(1).next_power_of_two();
    values.resize(target, T::ZERO);
    values
}

/// The table of `eq(point, x)` for every `x ∈ {0,1}^n` (`n = point.len()`), lexicographic.
///
/// `eq(a, b) = Π_k (a_k·b_k + (1 − a_k)(1 − b_k))`; the table sums to one and
/// `Σ_x eq(point, x)·t(x)` is the MLE of `t` at `point`.
pub fn eq_table(point: &[EF]) -> Vec<EF> {
    Poly::new_from_point(point, EF::ONE).into_evals()
}

/// `scale · eq(point, x)` for every `x`, lexicographic.
pub fn eq_table_scaled(point: &[EF], scale: EF) -> Vec<EF> {
    Poly::new_from_point(point, scale).into_evals()
}

/// `Σ_i scalars[i] · eq(points[i], x)` for every `x ∈ {0,1}^num_vars`, lexicographic, computed in
/// one batched pass (cheaper than one [`eq_table_scaled`] per point).
///
/// # Panics
/// If `points` and `scalars` differ in length or a point does not have `num_vars` coordinates.
pub fn eq_table_combination(points: &[&[EF]], scalars: &[EF], num_vars: usize) -> Vec<EF> {
    assert_eq!(points.len(), scalars.len(), "one scalar per point");
    assert!(
        points.iter().all(|p| p.len() == num_vars),
        "eq_table_combination: point of the wrong length"
    );
    if points.is_empty() {
        return vec![EF::ZERO; 1 << num_vars];
    }
    if num_vars == 0 {
        return vec![scalars.iter().copied().sum()];
    }
    // Column c of the matrix is point c (height num_vars, width = number of points).
    let m = points.len();
    let mut values = vec![EF::ZERO; num_vars * m];
    for (c, p) in points.iter().enumerate() {
        for (row, &x) in p.iter().enumerate() {
            values[row * m + c] = x;
        }
    }
    let matrix = RowMajorMatrix::new(values, m);
    let mut out = vec![EF::ZERO; 1 << num_vars];
    eval_eq_batch::<F, EF, false>(matrix.as_view(), &mut out, scalars);
    out
}

/// `eq(a, b)` for two points of the same length.
///
/// # Panics
/// If the lengths differ (a caller bug: protocol shapes fix both lengths).
pub fn eq_eval(a: &[EF], b: &[EF]) -> EF {
    assert_eq!(a.len(), b.len(), "eq_eval: points of different lengths");
    Point::eval_eq(a, b)
}

fn check_len(table_len: usize, point_len: usize) {
    assert!(
        point_len < usize::BITS as usize && table_len == 1usize << point_len,
        "MLE table of length {table_len} evaluated at a point of {point_len} variables"
    );
}

/// The MLE of a base-field table at an extension-field point.
///
/// # Panics
/// If `table.len() != 2^point.len()`.
pub fn eval_mle_base(table: &[F], point: &[EF]) -> EF {
    check_len(table.len(), point.len());
    Poly::new(table).eval_base(&Point::new(point.to_vec()))
}

/// The MLE of an extension-field table at an extension-field point.
///
/// # Panics
/// If `table.len() != 2^point.len()`.
pub fn eval_mle_ext(table: &[EF], point: &[EF]) -> EF {
    check_len(table.len(), point.len());
    Poly::new(table).eval_ext::<F>(&Point::new(point.to_vec()))
}

/// Binds the first variable (`point[0]`, the most significant index bit) to `r`:
/// `out[i] = t[i] + r·(t[i + half] − t[i])`.
///
/// # Panics
/// If the table has fewer than two entries or a length that is not a power of two.
pub fn fold_first_var(table: &[EF], r: EF) -> Vec<EF> {
    Poly::new(table).fix_prefix_var(r).into_evals()
}

/// [`fold_first_var`] for a base-field table (the result lies in the extension field).
///
/// # Panics
/// If the table has fewer than two entries or a length that is not a power of two.
pub fn fold_first_var_base(table: &[F], r: EF) -> Vec<EF> {
    Poly::new(table).fix_prefix_var(r).into_evals()
}

/// Binds the leading `prefix.len()` variables of a base-field table to `prefix`:
/// `out(y) = Σ_x eq(prefix, x) · t(x ‖ y)`. For a row-major matrix with row bits first this is
/// the row combination `A(prefix, ·)`, in time linear in the table.
///
/// # Panics
/// If the table length is not a power of two at least `2^prefix.len()`.
pub fn bind_prefix_base(table: &[F], prefix: &[EF]) -> Vec<EF> {
    Poly::new(table)
        .compress_prefix(&Point::new(prefix.to_vec()), EF::ONE)
        .into_evals()
}

/// [`bind_prefix_base`] for an extension-field table.
///
/// # Panics
/// If the table length is not a power of two at least `2^prefix.len()`.
pub fn bind_prefix_ext(table: &[EF], prefix: &[EF]) -> Vec<EF> {
    Poly::new(table)
        .compress_prefix(&Point::new(prefix.to_vec()), EF::ONE)
        .into_evals()
}

/// Binds the trailing `suffix.len()` variables of a base-field table to `suffix`:
/// `out(x) = Σ_y eq(suffix, y) · t(x ‖ y)`. For a row-major matrix with row bits first this is
/// the column combination `B(·, suffix)`, in time linear in the table.
///
/// # Panics
/// If the table length is not a power of two at least `2^suffix.len()`.
pub fn bind_suffix_base(table: &[F], suffix: &[EF]) -> Vec<EF> {
    Poly::new(table)
        .compress_suffix(&Point::new(suffix.to_vec()), EF::ONE)
        .into_evals()
}

/// [`bind_suffix_base`] for an extension-field table.
///
/// # Panics
/// If the table length is not a power of two at least `2^suffix.len()`.
pub fn bind_suffix_ext(table: &[EF], suffix: &[EF]) -> Vec<EF> {
    Poly::new(table)
        .compress_suffix(&Point::new(suffix.to_vec()), EF::ONE)
        .into_evals()
}

/// Lifts a base-field table into the extension field.
pub fn lift(table: &[F]) -> Vec<EF> {
    table.iter().map(|&x| EF::from(x)).collect()
}

/// A claim that a multilinear polynomial (a table's MLE) takes `value` at `point`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalClaim {
    pub point: Vec<EF>,
    pub value: EF,
}

impl EvalClaim {
    /// The claim `P(point) = value`.
    pub fn new(point: Vec<EF>, value: EF) -> Self {
        Self { point, value }
    }
}

/// A borrowed evaluation table over the base field or the extension field, so that protocols
/// accept witness tensors in `F` without lifting them to `EF` up front.
#[derive(Clone, Copy, Debug)]
pub enum MleRef<'a> {
    Base(&'a [F]),
    Ext(&'a [EF]),
}

impl<'a> From<&'a [F]> for MleRef<'a> {
    fn from(t: &'a [F]) -> Self {
        Self::Base(t)
    }
}

impl<'a> From<&'a [EF]> for MleRef<'a> {
    fn from(t: &'a [EF]) -> Self {
        Self::Ext(t)
    }
}

impl<'a> From<&'a Vec<F>> for MleRef<'a> {
    fn from(t: &'a Vec<F>) -> Self {
        Self::Base(t)
    }
}

impl<'a> From<&'a Vec<EF>> for MleRef<'a> {
    fn from(t: &'a Vec<EF>) -> Self {
        Self::Ext(t)
    }
}

impl MleRef<'_> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Self::Base(t) => t.len(),
            Self::Ext(t) => t.len(),
        }
    }

    /// Whether the table is empty (never a valid MLE table).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of variables, `None` unless the length is a power of two.
    pub fn num_vars(&self) -> Option<usize> {
        log2_exact(self.len())
    }

    /// The table in the extension field (a copy).
    pub fn to_ext(&self) -> Vec<EF> {
        match self {
            Self::Base(t) => lift(t),
            Self::Ext(t) => t.to_vec(),
        }
    }

    /// The MLE at `point`. Panics like [`eval_mle_base`] on a length mismatch.
    pub fn eval(&self, point: &[EF]) -> EF {
        match self {
            Self::Base(t) => eval_mle_base(t, point),
            Self::Ext(t) => eval_mle_ext(t, point),
        }
    }

    /// [`bind_prefix_base`] / [`bind_prefix_ext`].
    pub fn bind_prefix(&self, prefix: &[EF]) -> Vec<EF> {
        match self {
            Self::Base(t) => bind_prefix_base(t, prefix),
            Self::Ext(t) => bind_prefix_ext(t, prefix),
        }
    }

    /// [`bind_suffix_base`] / [`bind_suffix_ext`].
    pub fn bind_suffix(&self, suffix: &[EF]) -> Vec<EF> {
        match self {
            Self::Base(t) => bind_suffix_base(t, suffix),
            Self::Ext(t) => bind_suffix_ext(t, suffix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    /// Naive MLE: Σ_i t[i] · Π_k (b_k r_k + (1-b_k)(1-r_k)), b_k the k-th most significant bit.
    fn naive_eval(table: &[EF], point: &[EF]) -> EF {
        let n = point.len();
        let mut acc = EF::ZERO;
        for (i, &t) in table.iter().enumerate() {
            let mut w = EF::ONE;
            for (k, &r) in point.iter().enumerate() {
                let bit = (i >> (n - 1 - k)) & 1;
                w *= if bit == 1 { r } else { EF::ONE - r };
            }
            acc += w * t;
        }
        acc
    }

    fn rand_ext(rng: &mut SmallRng, n: usize) -> Vec<EF> {
        (0..n).map(|_| rng.random()).collect()
    }

    fn rand_base(rng: &mut SmallRng, n: usize) -> Vec<F> {
        (0..n).map(|_| rng.random()).collect()
    }

    #[test]
    fn log2_and_padding() {
        assert_eq!(log2_exact(1), Some(0));
        assert_eq!(log2_exact(1024), Some(10));
        assert_eq!(log2_exact(0), None);
        assert_eq!(log2_exact(12), None);
        let padded = pad_to_pow2(vec![F::ONE; 5]);
        assert_eq!(padded.len(), 8);
        assert_eq!(padded[4], F::ONE);
        assert_eq!(padded[5], F::ZERO);
        assert_eq!(pad_to_pow2(Vec::<F>::new()), vec![F::ZERO]);
    }

    #[test]
    fn eq_table_matches_naive() {
        let mut rng = SmallRng::seed_from_u64(1);
        for n in 0..6 {
            let p = rand_ext(&mut rng, n);
            let table = eq_table(&p);
            assert_eq!(table.len(), 1 << n);
            for (i, &v) in table.iter().enumerate() {
                let vertex: Vec<EF> = (0..n)
                    .map(|k| EF::from_bool((i >> (n - 1 - k)) & 1 == 1))
                    .collect();
                assert_eq!(v, eq_eval(&p, &vertex));
            }
            let s = rng.random();
            let scaled = eq_table_scaled(&p, s);
            assert!(scaled.iter().zip(&table).all(|(&a, &b)| a == b * s));
        }
    }

    #[test]
    fn eq_combination_matches_sum_of_tables() {
        let mut rng = SmallRng::seed_from_u64(6);
        for (n, m) in [(0, 2), (1, 1), (4, 3), (11, 2), (3, 0)] {
            let points: Vec<Vec<EF>> = (0..m).map(|_| rand_ext(&mut rng, n)).collect();
            let scalars = rand_ext(&mut rng, m);
            let refs: Vec<&[EF]> = points.iter().map(Vec::as_slice).collect();
            let got = eq_table_combination(&refs, &scalars, n);
            let mut want = vec![EF::ZERO; 1 << n];
            for (p, &s) in points.iter().zip(&scalars) {
                for (w, e) in want.iter_mut().zip(eq_table_scaled(p, s)) {
                    *w += e;
                }
            }
            assert_eq!(got, want);
        }
    }

    #[test]
    fn eval_matches_naive_base_and_ext() {
        let mut rng = SmallRng::seed_from_u64(2);
        // Cover both the recursive path (small n) and the split-eq path (n ≥ 10).
        for n in [0, 1, 2, 5, 11] {
            let base = rand_base(&mut rng, 1 << n);
            let ext = rand_ext(&mut rng, 1 << n);
            let p = rand_ext(&mut rng, n);
            assert_eq!(eval_mle_base(&base, &p), naive_eval(&lift(&base), &p));
            assert_eq!(eval_mle_ext(&ext, &p), naive_eval(&ext, &p));
        }
    }

    #[test]
    fn fold_binds_most_significant_variable() {
        let mut rng = SmallRng::seed_from_u64(3);
        let n = 5;
        let ext = rand_ext(&mut rng, 1 << n);
        let base = rand_base(&mut rng, 1 << n);
        let p = rand_ext(&mut rng, n);
        let folded = fold_first_var(&ext, p[0]);
        assert_eq!(naive_eval(&folded, &p[1..]), naive_eval(&ext, &p));
        let folded = fold_first_var_base(&base, p[0]);
        assert_eq!(naive_eval(&folded, &p[1..]), naive_eval(&lift(&base), &p));
    }

    #[test]
    fn prefix_and_suffix_binding() {
        let mut rng = SmallRng::seed_from_u64(4);
        let n = 7;
        let base = rand_base(&mut rng, 1 << n);
        let ext = lift(&base);
        let p = rand_ext(&mut rng, n);
        for split in 0..=n {
            let (pre, suf) = p.split_at(split);
            let want = naive_eval(&ext, &p);
            assert_eq!(naive_eval(&bind_prefix_base(&base, pre), suf), want);
            assert_eq!(naive_eval(&bind_prefix_ext(&ext, pre), suf), want);
            assert_eq!(naive_eval(&bind_suffix_base(&base, suf), pre), want);
            assert_eq!(naive_eval(&bind_suffix_ext(&ext, suf), pre), want);
        }
    }

    #[test]
    #[should_panic(expected = "MLE table of length")]
    fn mismatched_point_panics() {
        let _ = eval_mle_ext(&[EF::ZERO; 4], &[EF::ONE]);
    }
}
