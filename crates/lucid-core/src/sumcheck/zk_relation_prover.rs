//! The specialised round prover of [`super::prove_relation`]: the plain round polynomials of the
//! padded relation instance, computed from its two independent parts instead of from dense
//! padded tables.
//!
//! # The generic instance
//!
//! The relation's zero-knowledge sumcheck runs over `(c, w)`, `w = (w_0, …, w_{k−1})`, on
//!
//! ```text
//! f(c, w) = (1 − c0)·S_F(c, w)·F(P̃(c, w), pub(w)) + c0·Q(c, w)·R̃(w)
//! S_F = (1 − c)·eq(0, y_F)        Q = c·eq(0, y_R)·eq(r, z_R)
//! ```
//!
//! with the operands `P̃(c, y_F, z_F) = (1 − c)·P(z_F) + c·R_P(z_F)`, and the public tables and
//! `R̃` repeated over the padding variables (module documentation of [`super`]). The generic
//! path (`padded_instance`, kept for the tests) materialises every factor as a dense table of
//! `2^{k+1}` entries and runs [`super::super::zk::prove_zk`] on them, which pays for every table
//! at the full degree `D = max(deg F + 1, 2)` in every round.
//!
//! # What [`RelationRounds`] computes instead
//!
//! The same round polynomials. Their evaluations at `0, 2, …, D` are therefore the same field
//! elements (field arithmetic is exact: any correct way of computing a value gives the same
//! bytes), and the value at 1 is `claim − value at 0` exactly as in the generic prover, so the
//! masked messages, the challenges and the final evaluations coincide. The structure used:
//!
//! - **Round 0 (`c`).** `S_F(X, w) = (1 − X)·[w < 2^m]` and `Q(X, w) = X·[y_R = 0]·eq(r, z_R)`;
//!   of the other factors only the operands depend on `c`, as lines between `P` and `R_P`. So
//!   `g_0(X) = (1 − c0)·(1 − X)·A(X) + c0·X·U` with `A(X) = Σ_{z ∈ {0,1}^m} F(P'(X, z), pub(z))`
//!   and `U = Σ_z eq(r, z)·R_T(z)`. `A` has degree at most `e`, the largest number of operand
//!   factors in a term (the public tables are constant in `c`): one pass over the `2^m` operand
//!   entries gives it at `0, 1, …, e`, interpolation at the other nodes ([`first_round_sums`]).
//! - **After binding `c = c1`** the sum splits into two independent sums over `w`:
//!   `(1 − c0)(1 − c1)·Σ_w eq(0, y_F)·F(P'(c1, z_F)) + c0·c1·Σ_w eq(0, y_R)·eq(r, z_R)·R_T(z_R)`.
//!   Each part is carried as `scale · inner`, `inner` its own exact running sum (the true sum,
//!   not the prover's possibly false claim: it starts at `A(c1)` resp. `U`).
//! - **A padding round** (`w_j` one of the part's `y`): the part's polynomial is
//!   `scale·(1 − X)·inner` (only `y = 0` counts and nothing else depends on `y`); binding
//!   multiplies `scale` by `1 − w_j`.
//! - **A summed round** (`w_j` one of the part's `z`): the part's polynomial is `scale` times the
//!   plain round polynomial of `inner` over the part's own tables — the folded operands and the
//!   public tables (`2^{m−i}` entries, degree `deg F`) for the `F` part, `[eq(r, ·), R_T]`
//!   (`2^{n−i}` entries, degree 2) for the output part — from the generic kernel (nodes
//!   `0, 2, …`, the value at 1 from `inner`), extended to the nodes up to `D` by interpolation.
//!
//! The final operand evaluations are the folded operand tables (`P'(c*, z*_F)`, equal to the
//! generic `P̃(c*, w*)` since a table repeated over `y` folds to itself), the output mask's the
//! folded `R_T` (`R_T(z*_R)`). Nothing is materialised beyond the inputs and the eq table of the
//! output point.

use p3_field::{PackedFieldExtension, PrimeCharacteristicRing};
use p3_maybe_rayon::prelude::*;

use super::super::prover::{BLOCK, LANES, PackedEF, fold_in_place, round_poly};
use super::super::verifier::interpolate_at;
use super::super::zk::{RoundPolys, ZkMask, prove_zk_with};
use super::super::{ProductTerm, round_degree, terms_degree};
use super::{SumcheckRun, ZkRelation};
use crate::field::EF;
use crate::mle::eq_table;
use crate::transcript::Transcript;

/// Runs the relation's zero-knowledge sumcheck with [`RelationRounds`] (the shapes are checked by
/// the caller).
pub(super) fn run(rel: ZkRelation, mask: &ZkMask, transcript: &mut Transcript) -> SumcheckRun {
    let (num_vars, degree, claim) = (
        rel.shape.sumcheck_vars(),
        rel.shape.degree(),
        rel.shape.claim.value,
    );
    let mut rounds = RelationRounds::new(rel);
    let out = prove_zk_with(num_vars, degree, claim, mask, transcript, &mut rounds);
    let (operand_evals, output_mask_eval) = rounds.final_evals();
    SumcheckRun {
        proof: out.proof,
        rho: out.rho,
        point: out.point,
        mask_eval: out.mask_eval,
        operand_evals,
        output_mask_eval,
    }
}

/// One part of the sum after round 0: `scale · Σ_{w} eq(0, y)·inner_summand(z)` over its `pad`
/// leading padding variables `y` and `vars` summed variables `z`.
struct Part {
    /// The part's tables over the unbound `z` (all of one length).
    tables: Vec<Vec<EF>>,
    terms: Vec<ProductTerm>,
    /// The part's own round degree (at least 1).
    degree: usize,
    pad: usize,
    vars: usize,
    /// The constant factor: the selector's `c` factor, `Π (1 − w_j)` over the bound padding, and
    /// the part's coefficient.
    scale: EF,
    /// The exact sum of the part's summand over the unbound variables (without `scale`).
    inner: EF,
    /// The part's unscaled round polynomial of the current summed round, kept for the binding.
    current: Vec<EF>,
}

impl Part {
    /// The part's polynomial in round `j` of `w` (`total` variables in `w`), at `0..=degree`.
    fn round_poly(&mut self, j: usize, total: usize, degree: usize) -> Vec<EF> {
        if j < self.pad {
            // scale·(1 − X)·inner.
            return (0..=degree)
                .map(|s| self.scale * (EF::ONE - EF::from_usize(s)) * self.inner)
                .collect();
        }
        debug_assert_eq!(total, self.pad + self.vars, "padding and summed variables");
        let half = 1usize << (total - j - 1);
        self.current = round_poly(&self.tables, half, &self.terms, self.degree, self.inner);
        extend(&self.current, degree)
            .into_iter()
            .map(|v| self.scale * v)
            .collect()
    }

    /// Binds round `j`'s variable to `r`.
    fn bind(&mut self, j: usize, r: EF) {
        if j < self.pad {
            self.scale *= EF::ONE - r;
            return;
        }
        self.inner = interpolate_at(&self.current, r);
        for t in &mut self.tables {
            fold_in_place(t, r);
        }
    }
}

/// The evaluations at `0..=degree` of the polynomial given by its evaluations at
/// `0..evals.len()` (of degree `< evals.len()`).
fn extend(evals: &[EF], degree: usize) -> Vec<EF> {
    (0..=degree)
        .map(|s| match evals.get(s) {
            Some(&v) => v,
            None => interpolate_at(evals, EF::from_usize(s)),
        })
        .collect()
}

/// Round 0's state: the operands over `(c, z)`, and `A` at `0, 1, …, e` once computed.
struct FirstRound {
    /// Operand tables `[P ; R_P]`: lines in `c`.
    operands: Vec<Vec<EF>>,
    a_evals: Vec<EF>,
}

/// The specialised round source of the relation's sumcheck (module documentation): round 0
/// binds `c`, rounds `1..=k` bind `w_0, …, w_{k−1}`.
pub(super) struct RelationRounds {
    c0: EF,
    /// The sumcheck's round degree `D`.
    degree: usize,
    num_operands: usize,
    /// `k`.
    padded_vars: usize,
    round: usize,
    first: Option<FirstRound>,
    /// The `F` part: tables `[P'(c1, ·) …, pub …]` over `z_F`, terms `F`. Before round 0 is
    /// bound its tables are the public tables alone.
    f: Part,
    /// The output part: tables `[eq(r, ·), R_T]` over `z_R`, the term `eq·R_T`.
    r: Part,
}

impl RelationRounds {
    /// The round source for a relation whose shapes were checked.
    pub(super) fn new(rel: ZkRelation) -> Self {
        let ZkRelation {
            shape,
            operands,
            public,
            output_mask,
        } = rel;
        let (m, n, k) = (shape.num_vars, shape.output_vars(), shape.padded_vars());
        let num_operands = operands.len();
        let eq = eq_table(&shape.claim.point);
        let f_degree = round_degree(terms_degree(&shape.terms));
        Self {
            c0: shape.claim.c,
            degree: shape.degree(),
            num_operands,
            padded_vars: k,
            round: 0,
            first: Some(FirstRound {
                operands,
                a_evals: Vec::new(),
            }),
            f: Part {
                tables: public,
                terms: shape.terms,
                degree: f_degree,
                pad: k - m,
                vars: m,
                scale: EF::ZERO,
                inner: EF::ZERO,
                current: Vec::new(),
            },
            r: Part {
                tables: vec![eq, output_mask],
                terms: vec![ProductTerm {
                    coeff: EF::ONE,
                    factors: vec![0, 1],
                }],
                degree: 2,
                pad: k - n,
                vars: n,
                scale: EF::ZERO,
                inner: EF::ZERO,
                current: Vec::new(),
            },
        }
    }

    /// `U = Σ_z eq(r, z)·R_T(z)`.
    fn output_sum(&self) -> EF {
        let [eq, mask] = [&self.r.tables[0], &self.r.tables[1]];
        eq.par_chunks(BLOCK)
            .zip(mask.par_chunks(BLOCK))
            .map(|(e, u)| e.iter().zip(u).map(|(&e, &u)| e * u).sum::<EF>())
            .sum()
    }

    /// Round 0: `g_0(s) = (1 − c0)·(1 − s)·A(s) + c0·s·U` at `s = 0, 2, …, D`, with `A` at
    /// `0, 1, …, e` from [`first_round_sums`] extended by interpolation (`deg A ≤ e`).
    fn first_round_poly(&mut self, claim: EF) -> Vec<EF> {
        let u = self.output_sum();
        let first = self.first.as_mut().expect("round 0 state");
        first.a_evals =
            first_round_sums(&first.operands, &self.f.tables, &self.f.terms, self.f.vars);
        let one_minus_c0 = EF::ONE - self.c0;
        let mut evals: Vec<EF> = extend(&first.a_evals, self.degree)
            .into_iter()
            .enumerate()
            .map(|(s, a)| {
                let s = EF::from_usize(s);
                one_minus_c0 * (EF::ONE - s) * a + self.c0 * s * u
            })
            .collect();
        evals[1] = claim - evals[0];
        self.r.inner = u;
        evals
    }

    /// Binds `c = c1`: folds the operands into the `F` part's tables, sets both parts' scales
    /// and `A(c1)`.
    fn bind_first(&mut self, c1: EF) {
        let FirstRound {
            mut operands,
            a_evals,
        } = self.first.take().expect("round 0 state");
        self.f.inner = interpolate_at(&a_evals, c1);
        for t in &mut operands {
            fold_in_place(t, c1);
        }
        let public = std::mem::take(&mut self.f.tables);
        operands.extend(public);
        self.f.tables = operands;
        self.f.scale = (EF::ONE - self.c0) * (EF::ONE - c1);
        self.r.scale = self.c0 * c1;
    }

    /// The operand evaluations `P'_j(c*, z*_F)` and `R_T(z*_R)`, after the last round.
    pub(super) fn final_evals(&self) -> (Vec<EF>, EF) {
        let operands = self.f.tables[..self.num_operands]
            .iter()
            .map(|t| t[0])
            .collect();
        (operands, self.r.tables[1][0])
    }
}

/// A term of `F` with its factors split: operand indices (lines in `c` in round 0) and public
/// indices (constant in `c`).
struct SplitTerm {
    coeff: EF,
    operands: Vec<usize>,
    public: Vec<usize>,
}

/// `A(s) = Σ_{z ∈ {0,1}^m} F(P'(s, z), pub(z))` at `s = 0, 1, …, e`, `e` the largest number of
/// operand factors in a term (at least 0): `A` has degree at most `e`, since the public tables
/// do not depend on `c`. Per `z` and term, the product of the public factors scales the first
/// operand's line once (two multiplications) instead of every node's product; parallel over
/// blocks of `z`, SIMD-packed as in the generic kernel.
fn first_round_sums(
    operands: &[Vec<EF>],
    public: &[Vec<EF>],
    terms: &[ProductTerm],
    m: usize,
) -> Vec<EF> {
    let p = operands.len();
    let split: Vec<SplitTerm> = terms
        .iter()
        .map(|t| SplitTerm {
            coeff: t.coeff,
            operands: t.factors.iter().copied().filter(|&j| j < p).collect(),
            public: t
                .factors
                .iter()
                .filter(|&&j| j >= p)
                .map(|&j| j - p)
                .collect(),
        })
        .collect();
    let nodes = split.iter().map(|t| t.operands.len()).max().unwrap_or(0) + 1;
    let half = 1usize << m;
    let block = |start: usize, end: usize| {
        first_round_block(operands, public, &split, nodes, half, start, end)
    };
    let num_blocks = half.div_ceil(BLOCK);
    let sums = if num_blocks <= 1 {
        block(0, half)
    } else {
        (0..num_blocks).into_par_iter().par_fold_reduce(
            || vec![EF::ZERO; split.len() * nodes],
            |mut acc, b| {
                let start = b * BLOCK;
                add_assign(&mut acc, &block(start, (start + BLOCK).min(half)));
                acc
            },
            |mut a, b| {
                add_assign(&mut a, &b);
                a
            },
        )
    };
    let mut a_evals = vec![EF::ZERO; nodes];
    for (term, s) in split.iter().zip(sums.chunks_exact(nodes)) {
        for (a, &v) in a_evals.iter_mut().zip(s) {
            *a += term.coeff * v;
        }
    }
    a_evals
}

fn add_assign(acc: &mut [EF], part: &[EF]) {
    for (a, &p) in acc.iter_mut().zip(part) {
        *a += p;
    }
}

/// [`first_round_sums`]' per-term sums (without coefficients) over `z ∈ [start, end)`,
/// `terms.len() × nodes` row-major: packed when the range allows it.
fn first_round_block(
    operands: &[Vec<EF>],
    public: &[Vec<EF>],
    terms: &[SplitTerm],
    nodes: usize,
    half: usize,
    start: usize,
    end: usize,
) -> Vec<EF> {
    if LANES > 1 && start.is_multiple_of(LANES) && (end - start).is_multiple_of(LANES) {
        let load = |t: &[EF], i: usize| PackedEF::from_ext_slice(&t[i..i + LANES]);
        let indices = (start..end).step_by(LANES);
        first_round_block_in(operands, public, terms, nodes, half, indices, load)
            .iter()
            .map(|p| (0..LANES).map(|lane| p.extract(lane)).sum())
            .collect()
    } else {
        let load = |t: &[EF], i: usize| t[i];
        first_round_block_in(operands, public, terms, nodes, half, start..end, load)
    }
}

/// The kernel of [`first_round_block`] in any arithmetic `A` (one extension element, or `LANES`
/// of them packed); `load(table, i)` reads the value(s) at index `i`.
fn first_round_block_in<A: PrimeCharacteristicRing + Copy>(
    operands: &[Vec<EF>],
    public: &[Vec<EF>],
    terms: &[SplitTerm],
    nodes: usize,
    half: usize,
    indices: impl Iterator<Item = usize>,
    load: impl Fn(&[EF], usize) -> A,
) -> Vec<A> {
    let mut sums = vec![A::ZERO; terms.len() * nodes];
    // Every operand's line at the nodes (`[lo, hi, …]`), and one scaled line.
    let mut lines = vec![A::ZERO; operands.len() * nodes];
    let mut scaled = vec![A::ZERO; nodes];
    for i in indices {
        for (t, line) in operands.iter().zip(lines.chunks_exact_mut(nodes)) {
            expand_line(load(t, i), load(t, i + half), line);
        }
        for (term, acc) in terms.iter().zip(sums.chunks_exact_mut(nodes)) {
            let public_product = term
                .public
                .iter()
                .map(|&j| load(&public[j], i))
                .reduce(|a, b| a * b);
            let Some((&first, rest)) = term.operands.split_first() else {
                let v = public_product.unwrap_or(A::ONE);
                acc.iter_mut().for_each(|a| *a += v);
                continue;
            };
            // A term with an operand has `nodes ≥ 2`: the line holds `lo` and `hi`.
            let first_line = &lines[first * nodes..(first + 1) * nodes];
            let first_line: &[A] = match public_product {
                None => first_line,
                Some(q) => {
                    expand_line(first_line[0] * q, first_line[1] * q, &mut scaled);
                    &scaled
                }
            };
            for (s, a) in acc.iter_mut().enumerate() {
                *a += rest
                    .iter()
                    .fold(first_line[s], |x, &j| x * lines[j * nodes + s]);
            }
        }
    }
    sums
}

/// The line through `(0, lo)` and `(1, hi)` at `0, 1, …, out.len() − 1`.
fn expand_line<A: PrimeCharacteristicRing + Copy>(lo: A, hi: A, out: &mut [A]) {
    let diff = hi - lo;
    let mut cur = lo;
    for (s, o) in out.iter_mut().enumerate() {
        if s > 0 {
            cur += diff;
        }
        *o = cur;
    }
}

impl RoundPolys for RelationRounds {
    fn round_poly(&mut self, claim: EF) -> Vec<EF> {
        if self.round == 0 {
            return self.first_round_poly(claim);
        }
        let (j, k, d) = (self.round - 1, self.padded_vars, self.degree);
        let f = self.f.round_poly(j, k, d);
        let r = self.r.round_poly(j, k, d);
        let mut evals: Vec<EF> = f.iter().zip(&r).map(|(&a, &b)| a + b).collect();
        evals[1] = claim - evals[0];
        evals
    }

    fn bind(&mut self, r: EF) {
        if self.round == 0 {
            self.bind_first(r);
        } else {
            let j = self.round - 1;
            self.f.bind(j, r);
            self.r.bind(j, r);
        }
        self.round += 1;
    }
}

/// The dense padded instance of the module documentation, every factor materialised over
/// `k + 1` variables: the reference the specialised prover is tested against.
#[cfg(test)]
pub(super) fn padded_instance(rel: ZkRelation) -> super::super::SumOfProducts {
    let shape = &rel.shape;
    let (m, n, k) = (shape.num_vars, shape.output_vars(), shape.padded_vars());
    let (rep_f, rep_r) = (1usize << (k - m), 1usize << (k - n));
    let repeat = |table: &[EF], times: usize| table.repeat(times);
    let mut poly = super::super::SumOfProducts::new(k + 1);
    for op in &rel.operands {
        let (lo, hi) = op.split_at(1 << m);
        let mut t = repeat(lo, rep_f);
        t.extend(repeat(hi, rep_f));
        poly.add_table(t);
    }
    for p in &rel.public {
        poly.add_table(repeat(p, 2 * rep_f));
    }
    let mut selector = vec![EF::ZERO; 2 << k];
    selector[..1 << m].fill(EF::ONE);
    poly.add_table(selector);
    let mut q = vec![EF::ZERO; 2 << k];
    q[1 << k..(1 << k) + (1 << n)].copy_from_slice(&eq_table(&shape.claim.point));
    poly.add_table(q);
    poly.add_table(repeat(&rel.output_mask, 2 * rep_r));
    poly.terms = shape.sumcheck_terms();
    poly
}

/// The relation's sumcheck by the generic prover on [`padded_instance`] (the implementation the
/// specialised prover replaced; tests compare the two byte for byte).
#[cfg(test)]
pub(super) fn run_generic(
    rel: ZkRelation,
    mask: &ZkMask,
    transcript: &mut Transcript,
) -> SumcheckRun {
    let p = rel.shape.num_operands;
    let claim = rel.shape.claim.value;
    let out = super::super::zk::prove_zk(padded_instance(rel), claim, mask, transcript);
    SumcheckRun {
        operand_evals: out.table_evals[..p].to_vec(),
        output_mask_eval: *out.table_evals.last().expect("R̃ is the last table"),
        proof: out.proof,
        rho: out.rho,
        point: out.point,
        mask_eval: out.mask_eval,
    }
}
