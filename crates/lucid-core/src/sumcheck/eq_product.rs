//! A faster prover for the eq-weighted product `Σ_x eq(r, x) · Π_j A_j(x)` (the sumcheck behind
//! [`super::hadamard`]). It produces exactly the proof and transcript of [`super::prove`] on the
//! tables `[eq(r, ·), A_1, …, A_f]` with the single term `eq · A_1 ⋯ A_f`, so the generic
//! [`super::verify`] checks it.
//!
//! Instead of folding an `eq` table, round `k` factors the round polynomial as
//! `g_k(X) = s_k · eq(r_k, X) · h_k(X)` with `s_k = Π_{i<k} eq(r_i, r'_i)` and
//! `h_k(X) = Σ_{x'} eq(r_{>k}, x') · Π_j A_j(r'_{<k}, X, x')` (degree `f`, one less than `g_k`):
//! `h_k` is computed at `f` nodes (`h_k(1)` follows from the running claim when `r_k ≠ 0` and
//! `s_k ≠ 0`, otherwise it is computed too), and the `eq(r_{>k}, ·)` tables shrink by summing
//! halves (additions only).

use p3_field::{Algebra, Field, PackedFieldExtension, PackedValue, PrimeCharacteristicRing};
use p3_maybe_rayon::prelude::*;

use super::proof::{ProverOutput, SumcheckProof};
use super::prover::{BLOCK, LANES, PackedEF, fold_in_place};
use super::verifier::interpolate_at;
use crate::field::{EF, F};
use crate::mle::{MleRef, eq_table, fold_first_var_base};
use crate::transcript::Transcript;

/// `eq(a, x) = (1 − a)(1 − x) + a·x` for one coordinate.
fn eq1(a: EF, x: EF) -> EF {
    EF::ONE - a - x + (a * x).double()
}

/// Proves `Σ_x eq(point, x) · Π_j factors[j](x) = claimed_sum`. The output's `table_evals` are
/// `[eq(point, r'), A_1(r'), …, A_f(r')]`, as [`super::prove`] would return them. When every
/// factor is a base-field table, the first round runs in base-field arithmetic and the tables
/// are lifted only by the first fold (to half their size).
///
/// # Panics
/// If there are no factors or more than [`super::hadamard::MAX_FACTORS`], or a factor's length
/// is not `2^point.len()` (caller bugs; [`super::hadamard::prove`] checks them).
///
/// # Transcript
/// As [`super::prove`]: `observe_ext(b"sumcheck/claim", claimed_sum)`; then per round:
/// `observe_ext_slice(b"sumcheck/round", evaluations at 0..=f+1)`,
/// `sample_ext(b"sumcheck/challenge")`.
pub(super) fn prove(
    point: &[EF],
    factors: &[MleRef<'_>],
    claimed_sum: EF,
    transcript: &mut Transcript,
) -> ProverOutput {
    let n = point.len();
    let f = factors.len();
    assert!(
        (1..=super::hadamard::MAX_FACTORS).contains(&f),
        "eq-product with {f} factors"
    );
    assert!(
        factors.iter().all(|t| t.len() == 1usize << n),
        "eq-product factor length differs from 2^n"
    );
    transcript.observe_ext(b"sumcheck/claim", claimed_sum);
    let mut state = State {
        point,
        f,
        claim: claimed_sum,
        scale: EF::ONE,
        challenges: Vec::with_capacity(n),
        round_polys: Vec::with_capacity(n),
        transcript,
    };
    let mut eq_rest = if n > 0 {
        eq_table(&point[1..])
    } else {
        Vec::new()
    };

    let base: Option<Vec<&[F]>> = factors
        .iter()
        .map(|t| match t {
            MleRef::Base(b) => Some(*b),
            MleRef::Ext(_) => None,
        })
        .collect();
    let mut tables: Vec<Vec<EF>> = match base {
        Some(base) if n > 0 => {
            // Round 0 on the base-field tables; the fold lifts them.
            let half = 1usize << (n - 1);
            let skip_one = state.derives_h1();
            let h = weighted_sums_base(&base, &eq_rest, half, f + 1, skip_one);
            let r = state.finish_round(h, skip_one);
            shrink_eq(&mut eq_rest);
            base.iter().map(|t| fold_first_var_base(t, r)).collect()
        }
        _ => factors.iter().map(MleRef::to_ext).collect(),
    };
    while state.challenges.len() < n {
        let half = 1usize << (n - state.challenges.len() - 1);
        let skip_one = state.derives_h1();
        let refs: Vec<&[EF]> = tables.iter().map(Vec::as_slice).collect();
        let h = weighted_sums_ext(&refs, &eq_rest, half, f + 1, skip_one);
        let r = state.finish_round(h, skip_one);
        for t in tables.iter_mut() {
            fold_in_place(t, r);
        }
        shrink_eq(&mut eq_rest);
    }
    let mut table_evals = Vec::with_capacity(f + 1);
    table_evals.push(state.scale);
    table_evals.extend(tables.iter().map(|t| t[0]));
    ProverOutput {
        proof: SumcheckProof {
            round_polys: state.round_polys,
        },
        point: state.challenges,
        table_evals,
    }
}

/// `eq(r_{>k}, ·) → eq(r_{>k+1}, ·)`: sums the two halves (the leading coordinate's weights
/// add up to one). Leaves a one-entry table alone.
fn shrink_eq(eq_rest: &mut Vec<EF>) {
    let half = eq_rest.len() / 2;
    if half == 0 {
        return;
    }
    let (lo, hi) = eq_rest.split_at_mut(half);
    for (a, &b) in lo.iter_mut().zip(hi.iter()) {
        *a += b;
    }
    eq_rest.truncate(half);
}

/// The prover's running state across rounds.
struct State<'a> {
    point: &'a [EF],
    f: usize,
    claim: EF,
    /// `Π_{i<k} eq(r_i, r'_i)`.
    scale: EF,
    challenges: Vec<EF>,
    round_polys: Vec<Vec<EF>>,
    transcript: &'a mut Transcript,
}

impl State<'_> {
    /// Whether this round's `h(1)` can be derived from the running claim.
    fn derives_h1(&self) -> bool {
        self.point[self.challenges.len()] != EF::ZERO && self.scale != EF::ZERO
    }

    /// From `h` at `0..=f` (`h(1)` unset when `derived`), sends `g(X) = s·eq(r_k, X)·h(X)` at
    /// `0..=f+1` and returns the challenge.
    fn finish_round(&mut self, mut h: Vec<EF>, derived: bool) -> EF {
        let rk = self.point[self.challenges.len()];
        if derived {
            // claim = s·[(1 − r_k)·h(0) + r_k·h(1)].
            h[1] = (self.claim * self.scale.inverse() - (EF::ONE - rk) * h[0]) * rk.inverse();
        }
        let f = self.f;
        let h_last = interpolate_at(&h, EF::from_usize(f + 1));
        let evals: Vec<EF> = (0..=f + 1)
            .map(|x| {
                let hx = if x <= f { h[x] } else { h_last };
                self.scale * eq1(rk, EF::from_usize(x)) * hx
            })
            .collect();
        self.transcript.observe_ext_slice(b"sumcheck/round", &evals);
        let r = self.transcript.sample_ext(b"sumcheck/challenge");
        self.claim = interpolate_at(&evals, r);
        self.scale *= eq1(rk, r);
        self.challenges.push(r);
        self.round_polys.push(evals);
        r
    }
}

/// Runs `block_sums` over `[0, half)` in blocks, in parallel when there are several, and adds
/// the results.
pub(super) fn in_blocks(
    half: usize,
    width: usize,
    block_sums: impl Fn(usize, usize) -> Vec<EF> + Sync + Send,
) -> Vec<EF> {
    let num_blocks = half.div_ceil(BLOCK);
    if num_blocks <= 1 {
        return block_sums(0, half);
    }
    (0..num_blocks).into_par_iter().par_fold_reduce(
        || vec![EF::ZERO; width],
        |mut acc, b| {
            let start = b * BLOCK;
            for (a, p) in acc
                .iter_mut()
                .zip(block_sums(start, (start + BLOCK).min(half)))
            {
                *a += p;
            }
            acc
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        },
    )
}

pub(super) fn sum_lanes(sums: &[PackedEF]) -> Vec<EF> {
    sums.iter()
        .map(|p| (0..LANES).map(|lane| p.extract(lane)).sum())
        .collect()
}

/// `h(s) = Σ_{i < half} w[i] · Π_j (lo_j + s·(hi_j − lo_j))` at `s = 0..width` (node 1 left zero
/// when `skip_one`), for extension-field tables.
fn weighted_sums_ext(
    factors: &[&[EF]],
    weights: &[EF],
    half: usize,
    width: usize,
    skip_one: bool,
) -> Vec<EF> {
    let packed = LANES > 1 && half.is_multiple_of(LANES);
    in_blocks(half, width, |start, end| {
        let range = (start, end);
        if packed {
            let load = |t: &[EF], i: usize| PackedEF::from_ext_slice(&t[i..i + LANES]);
            sum_lanes(&block(
                factors, weights, half, width, skip_one, range, LANES, load, load,
            ))
        } else {
            let load = |t: &[EF], i: usize| t[i];
            block(
                factors, weights, half, width, skip_one, range, 1, load, load,
            )
        }
    })
}

/// [`weighted_sums_ext`] for base-field tables: the factor products stay in the base field.
fn weighted_sums_base(
    factors: &[&[F]],
    weights: &[EF],
    half: usize,
    width: usize,
    skip_one: bool,
) -> Vec<EF> {
    let packed = LANES > 1 && half.is_multiple_of(LANES);
    in_blocks(half, width, |start, end| {
        let range = (start, end);
        if packed {
            let load_f = |t: &[F], i: usize| *<F as Field>::Packing::from_slice(&t[i..i + LANES]);
            let load_w = |t: &[EF], i: usize| PackedEF::from_ext_slice(&t[i..i + LANES]);
            sum_lanes(&block(
                factors, weights, half, width, skip_one, range, LANES, load_f, load_w,
            ))
        } else {
            let load_f = |t: &[F], i: usize| t[i];
            let load_w = |t: &[EF], i: usize| t[i];
            block(
                factors, weights, half, width, skip_one, range, 1, load_f, load_w,
            )
        }
    })
}

/// The weighted product sums over `i ∈ [range.0, range.1)` in steps of `step`, loading `step`
/// consecutive factor entries as one `B` and weights as one `T`.
#[allow(clippy::too_many_arguments)]
fn block<X, B, T>(
    factors: &[&[X]],
    weights: &[EF],
    half: usize,
    width: usize,
    skip_one: bool,
    range: (usize, usize),
    step: usize,
    load_f: impl Fn(&[X], usize) -> B,
    load_w: impl Fn(&[EF], usize) -> T,
) -> Vec<T>
where
    B: PrimeCharacteristicRing + Copy,
    T: Algebra<B> + Copy,
{
    let mut sums = vec![T::ZERO; width];
    let mut prods = vec![B::ZERO; width];
    for i in (range.0..range.1).step_by(step) {
        for (j, t) in factors.iter().enumerate() {
            let lo = load_f(t, i);
            let hi = load_f(t, i + half);
            let diff = hi - lo;
            if j == 0 {
                prods[0] = lo;
                prods[1] = hi;
                let mut cur = hi;
                for p in prods.iter_mut().skip(2) {
                    cur += diff;
                    *p = cur;
                }
            } else {
                prods[0] *= lo;
                if !skip_one {
                    prods[1] *= hi;
                }
                let mut cur = hi;
                for p in prods.iter_mut().skip(2) {
                    cur += diff;
                    *p *= cur;
                }
            }
        }
        let w = load_w(weights, i);
        for (s, (acc, &p)) in sums.iter_mut().zip(&prods).enumerate() {
            if !(skip_one && s == 1) {
                *acc += w * p;
            }
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumcheck::{SumOfProducts, prove as generic_prove};
    use crate::transcript::StatementTranscript;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    fn transcript() -> Transcript {
        StatementTranscript::new(b"eq-product-test").finish()
    }

    /// The eq-factored prover and the generic prover give the same output, for extension-field
    /// tables and for the same values given as base-field tables.
    fn check_same(point: &[EF], base: Vec<Vec<F>>) {
        let factors: Vec<Vec<EF>> = base.iter().map(|t| crate::mle::lift(t)).collect();
        let mut poly = SumOfProducts::new(point.len());
        poly.add_table(eq_table(point));
        for t in &factors {
            poly.add_table(t.clone());
        }
        poly.add_term(EF::ONE, (0..=factors.len()).collect());
        let sum = poly.sum();
        let want = generic_prove(poly, sum, &mut transcript());
        let ext_refs: Vec<MleRef<'_>> = factors.iter().map(MleRef::from).collect();
        let base_refs: Vec<MleRef<'_>> = base.iter().map(MleRef::from).collect();
        for refs in [ext_refs, base_refs] {
            let got = prove(point, &refs, sum, &mut transcript());
            assert_eq!(got.proof, want.proof);
            assert_eq!(got.point, want.point);
            assert_eq!(got.table_evals, want.table_evals);
        }
    }

    fn rand_vec(rng: &mut SmallRng, n: usize) -> Vec<EF> {
        (0..n).map(|_| rng.random()).collect()
    }

    fn rand_base(rng: &mut SmallRng, n: usize) -> Vec<F> {
        (0..n).map(|_| rng.random()).collect()
    }

    #[test]
    fn matches_generic_prover() {
        let mut rng = SmallRng::seed_from_u64(1);
        // n = 13 takes the parallel, packed path in the first rounds.
        for n in [0, 1, 3, 4, 13] {
            for f in 1..=super::super::hadamard::MAX_FACTORS {
                let point = rand_vec(&mut rng, n);
                let factors = (0..f).map(|_| rand_base(&mut rng, 1 << n)).collect();
                check_same(&point, factors);
            }
        }
    }

    #[test]
    fn boolean_point_coordinates() {
        // Claims at hypercube vertices are common. With r_k = 0, h(1) cannot be derived from
        // the claim and is computed directly; r_k = 1 takes the derived path.
        let mut rng = SmallRng::seed_from_u64(2);
        let point = vec![EF::ZERO, EF::ONE, EF::ZERO, EF::ONE, rng.random()];
        for f in 1..=2 {
            let factors = (0..f).map(|_| rand_base(&mut rng, 32)).collect();
            check_same(&point, factors);
        }
    }
}
