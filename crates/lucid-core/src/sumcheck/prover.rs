//! Prover of the generic sum-of-products sumcheck, in time linear in
//! `num_tables · 2^num_vars · degree`, parallel (p3-maybe-rayon) over large tables.
//!
//! Tables stay in plain extension-field layout; each block of `LANES` consecutive entries is
//! transposed into SIMD-packed form on the fly for the round polynomial and the fold. (Keeping
//! the tables packed across rounds was measured slower on this machine.)

use p3_field::{ExtensionField, Field, PackedFieldExtension, PackedValue, PrimeCharacteristicRing};
use p3_maybe_rayon::prelude::*;

use super::proof::{ProverOutput, SumcheckProof};
use super::verifier::interpolate_at;
use super::{MAX_DEGREE, ProductTerm, SumOfProducts, round_degree};
use crate::field::{EF, F};
use crate::transcript::Transcript;

/// Hypercube pairs handled by one task when computing a round polynomial.
pub(super) const BLOCK: usize = 1 << 11;

/// SIMD-packed extension-field elements: `LANES` values of `EF` processed at once.
pub(super) type PackedEF = <EF as ExtensionField<F>>::ExtensionPacking;

/// SIMD lanes of the base-field packing (1 without SIMD).
pub(super) const LANES: usize = <F as Field>::Packing::WIDTH;

/// Proves `Σ_x poly(x) = claimed_sum`. The round polynomials have `poly.degree()` (at least 1)
/// plus one evaluations each; the output holds the random point (`point[0]` bound first) and
/// every table's evaluation at it.
///
/// The prover uses `claimed_sum` to derive `g_0(1) = claimed_sum − g_0(0)`: with a wrong claimed
/// sum it produces a proof the verifier rejects, never a panic.
///
/// # Panics
/// If a table has the wrong length, a term names a missing table, or the degree exceeds
/// [`MAX_DEGREE`] (caller bugs).
///
/// # Transcript
/// `observe_ext(b"sumcheck/claim", claimed_sum)`; then per round:
/// `observe_ext_slice(b"sumcheck/round", round evaluations at 0..=degree)`,
/// `sample_ext(b"sumcheck/challenge")`.
pub fn prove(poly: SumOfProducts, claimed_sum: EF, transcript: &mut Transcript) -> ProverOutput {
    let SumOfProducts {
        num_vars,
        mut tables,
        terms,
    } = poly;
    let degree = round_degree(super::terms_degree(&terms));
    assert!(
        degree <= MAX_DEGREE,
        "sumcheck degree {degree} > {MAX_DEGREE}"
    );
    assert!(
        tables.iter().all(|t| t.len() == 1usize << num_vars),
        "sumcheck table length differs from 2^num_vars"
    );
    assert!(
        terms
            .iter()
            .all(|t| t.factors.iter().all(|&j| j < tables.len())),
        "sumcheck term names a missing table"
    );

    transcript.observe_ext(b"sumcheck/claim", claimed_sum);
    let mut out = ProverOutput {
        proof: SumcheckProof {
            round_polys: Vec::with_capacity(num_vars),
        },
        point: Vec::with_capacity(num_vars),
        table_evals: Vec::new(),
    };
    run_rounds(
        &mut tables,
        &terms,
        degree,
        num_vars,
        claimed_sum,
        &mut out,
        transcript,
    );
    out.table_evals = tables.iter().map(|t| t[0]).collect();
    out
}

/// Runs the remaining rounds of a sumcheck whose first `out.point.len()` rounds were already
/// sent (by a specialised prover): `tables` are bound to those challenges, `claim` is the
/// running claim. Appends round polynomials and challenges to `out` and folds the tables to
/// single entries.
pub(super) fn run_rounds(
    tables: &mut [Vec<EF>],
    terms: &[ProductTerm],
    degree: usize,
    num_vars: usize,
    mut claim: EF,
    out: &mut ProverOutput,
    transcript: &mut Transcript,
) {
    while out.point.len() < num_vars {
        // From the round number, so that constant terms count right even without tables.
        let half = 1usize << (num_vars - out.point.len() - 1);
        let evals = round_poly(tables, half, terms, degree, claim);
        transcript.observe_ext_slice(b"sumcheck/round", &evals);
        let r = transcript.sample_ext(b"sumcheck/challenge");
        claim = interpolate_at(&evals, r);
        out.proof.round_polys.push(evals);
        out.point.push(r);
        for t in tables.iter_mut() {
            fold_in_place(t, r);
        }
    }
}

/// The round polynomial's evaluations at `0..=degree`, for the first (most significant) variable
/// of the current tables. `g(1)` is derived as `claim − g(0)`.
pub(super) fn round_poly(
    tables: &[Vec<EF>],
    half: usize,
    terms: &[ProductTerm],
    degree: usize,
    claim: EF,
) -> Vec<EF> {
    let width = degree + 1;
    // Per-term sums of the factor products at each node (the coefficient is applied once, after).
    let num_blocks = half.div_ceil(BLOCK);
    let sums = if num_blocks <= 1 {
        block_sums(tables, half, terms, width, 0, half)
    } else {
        (0..num_blocks).into_par_iter().par_fold_reduce(
            || vec![EF::ZERO; terms.len() * width],
            |mut acc, b| {
                let start = b * BLOCK;
                let part = block_sums(tables, half, terms, width, start, (start + BLOCK).min(half));
                add_assign(&mut acc, &part);
                acc
            },
            |mut a, b| {
                add_assign(&mut a, &b);
                a
            },
        )
    };
    let mut evals = vec![EF::ZERO; width];
    for (term, s) in terms.iter().zip(sums.chunks_exact(width)) {
        for (e, &v) in evals.iter_mut().zip(s) {
            *e += term.coeff * v;
        }
    }
    evals[1] = claim - evals[0];
    evals
}

fn add_assign(acc: &mut [EF], part: &[EF]) {
    for (a, &p) in acc.iter_mut().zip(part) {
        *a += p;
    }
}

/// For `i ∈ [start, end)`: each table's line `t(s, i) = lo + s·(hi − lo)` at the nodes
/// `s = 0, 2, 3, …, degree` (node 1 is skipped: it follows from the claim), multiplied per term
/// and summed. Returns `terms.len() × width` sums, row-major.
fn block_sums(
    tables: &[Vec<EF>],
    half: usize,
    terms: &[ProductTerm],
    width: usize,
    start: usize,
    end: usize,
) -> Vec<EF> {
    if LANES > 1 && start.is_multiple_of(LANES) && (end - start).is_multiple_of(LANES) {
        // LANES consecutive indices at once, in SIMD-packed extension arithmetic.
        let load = |t: &[EF], i: usize| PackedEF::from_ext_slice(&t[i..i + LANES]);
        let sums = block_sums_in(
            tables,
            half,
            terms,
            width,
            (start..end).step_by(LANES),
            load,
        );
        sums.iter()
            .map(|p| (0..LANES).map(|lane| p.extract(lane)).sum())
            .collect()
    } else {
        block_sums_in(tables, half, terms, width, start..end, |t: &[EF], i| t[i])
    }
}

/// The kernel of [`block_sums`] in any arithmetic `A` (one extension element, or `LANES` of them
/// packed): `load(table, i)` reads the value(s) at index `i`, `indices` are the (first) indices
/// visited. Returns the `terms.len() × width` sums in `A`.
fn block_sums_in<A: PrimeCharacteristicRing + Copy>(
    tables: &[Vec<EF>],
    half: usize,
    terms: &[ProductTerm],
    width: usize,
    indices: impl Iterator<Item = usize>,
    load: impl Fn(&[EF], usize) -> A,
) -> Vec<A> {
    let mut sums = vec![A::ZERO; terms.len() * width];
    let mut vals = vec![A::ZERO; tables.len() * width];
    for i in indices {
        for (t, v) in tables.iter().zip(vals.chunks_exact_mut(width)) {
            let lo = load(t, i);
            let hi = load(t, i + half);
            let diff = hi - lo;
            v[0] = lo;
            let mut cur = hi;
            for slot in v.iter_mut().skip(2) {
                cur += diff;
                *slot = cur;
            }
        }
        for (term, acc) in terms.iter().zip(sums.chunks_exact_mut(width)) {
            for s in (0..width).filter(|&s| s != 1) {
                let prod = match term.factors.split_first() {
                    None => A::ONE,
                    Some((&first, rest)) => rest
                        .iter()
                        .fold(vals[first * width + s], |p, &j| p * vals[j * width + s]),
                };
                acc[s] += prod;
            }
        }
    }
    sums
}

/// Binds the first variable to `r` in place: `t[i] ← t[i] + r·(t[i + half] − t[i])`, then drops
/// the high half. SIMD-packed and parallel over blocks when the table is large enough.
pub(super) fn fold_in_place(t: &mut Vec<EF>, r: EF) {
    let half = t.len() / 2;
    let (lo, hi) = t.split_at_mut(half);
    if LANES > 1 && half.is_multiple_of(LANES) {
        let fold_block = |(l, h): (&mut [EF], &[EF])| {
            for (lc, hc) in l.chunks_exact_mut(LANES).zip(h.chunks_exact(LANES)) {
                let a = PackedEF::from_ext_slice(lc);
                let b = PackedEF::from_ext_slice(hc);
                (a + (b - a) * r).to_ext_slice(lc);
            }
        };
        if half > BLOCK {
            lo.par_chunks_mut(BLOCK)
                .zip(hi.par_chunks(BLOCK))
                .for_each(fold_block);
        } else {
            fold_block((lo, hi));
        }
    } else {
        for (a, &b) in lo.iter_mut().zip(hi.iter()) {
            *a += (b - *a) * r;
        }
    }
    t.truncate(half);
}
