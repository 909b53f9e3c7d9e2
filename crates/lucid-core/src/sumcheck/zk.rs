//! Zero-knowledge sum-of-products sumcheck with a Libra-style masking polynomial.
//!
//! Proves `Σ_{x ∈ {0,1}^n} f(x) = claimed_sum` for the same `f = Σ_t coeff_t · Π table_j` as the
//! plain [`super::prove`]/[`super::verify`], but the round polynomials reveal nothing about the
//! tables (Xie et al., "Libra", CRYPTO 2019, §4.1; Zhang et al., "Virgo", S&P 2020). The
//! Plonky3 `p3-sumcheck` 0.8.0 `zk` module was read and not reused: it is tied to WHIR's
//! folding rounds (a product of two multilinears, degree 2, masks encoded and committed by an
//! MMCS inside the protocol), whereas Lucid needs any degree up to [`MAX_DEGREE`] and leaves
//! commitments to the caller.
//!
//! # Protocol
//!
//! Let `d` be the round degree (`f`'s degree, at least 1).
//! 1. The prover samples a mask `g(x) = Σ_{i<n} g_i(x_i)`, every `g_i` a univariate polynomial
//!    of degree `d` with uniform [`EF`] coefficients ([`ZkMask::random`]: `n·(d+1)` elements).
//! 2. **Caller:** commits `g`'s coefficients ([`ZkMask::coeffs`], [`ZkMask::to_base_coeffs`])
//!    with a *hiding* commitment and absorbs the commitment into the transcript *before*
//!    [`prove_zk`]/[`verify_zk`] (the mask must be fixed before `ρ` is drawn).
//! 3. The prover sends `H = Σ_x g(x)`; the verifier draws `ρ`.
//! 4. Both run the sumcheck on `f + ρ·g` for the sum `claimed_sum + ρ·H`.
//! 5. The verifier ends with a [`ZkSubclaim`]: a point `r` and the value `v` that `f + ρ·g` must
//!    take at `r`. **Caller:** opens the committed mask at `r`, getting `g(r)`, and checks the
//!    tables' claimed evaluations with [`ZkSubclaim::check`]`(terms, table_evals, g(r))`, i.e.
//!    `f(r) = v − ρ·g(r)`.
//!
//! The prover needs only `f`'s plain round polynomials: [`prove_zk`] computes them from the
//! tables with the generic kernel; a caller with a structured `f` can supply them itself
//! ([`prove_zk_with`], [`RoundPolys`]) and gets the same masking, messages and transcript.
//!
//! Soundness: as the plain sumcheck plus one event: if `Σ f ≠ claimed_sum` then
//! `Σ (f + ρ g) ≠ claimed_sum + ρ·H` except for one value of `ρ` (probability `1/|EF|`), since
//! `g` (hence `Σ g`) is bound by the commitment before `ρ`. A wrong `H` is a wrong sum for
//! `f + ρ·g` and is caught by the round checks or by the final check against the opened `g(r)`.
//!
//! # What is revealed, and why it is simulatable
//!
//! Write `g_i = s_i/2 + h_i` with `s_i = g_i(0) + g_i(1)` and `h_i` in the `d`-dimensional space
//! `V_0 = {h : deg h ≤ d, h(0) + h(1) = 0}`; since `g_i` is uniform, `s_i` and `h_i` are uniform
//! and independent. The round-`i` polynomial (0-indexed) is
//! `p_i(X) = F_i(X) + ρ·2^{n−1−i}·(Σ_{j<i} g_j(r_j) + g_i(X) + ½·Σ_{j>i} s_j)`, where `F_i` is the
//! plain round polynomial of `f`. Everything but `ρ·2^{n−1−i}·h_i(X)` is fixed by the witness,
//! the other masks and `s_i`, and `p_i(0) + p_i(1)` equals the public running claim. So,
//! given everything sent before it and `ρ ≠ 0`, `p_i` is uniform among the polynomials of degree
//! `≤ d` with `p_i(0) + p_i(1)` = running claim — whatever the witness. `H = 2^{n−1}·Σ s_i` is
//! uniform (for `n ≥ 1`; for `n = 0` the mask is empty, `H = 0` and nothing beyond the statement
//! is sent). [`simulate_zk`] produces exactly this distribution from the statement alone
//! (`num_vars`, `degree`, `claimed_sum`), computing the Fiat–Shamir challenges itself.
//!
//! Revealed, in full: the statement (`num_vars`, `degree`, `claimed_sum`); `H` (uniform); `ρ`
//! and `r` (public coins); the round polynomials (uniform on the running-claim constraint);
//! through the caller, `g(r)` (or the `n` values `g_i(r_i)`) and the tables' evaluations at `r`.
//!
//! The sumcheck's view is therefore simulatable *given one evaluation `f(r)`* (Libra's "zero
//! knowledge with one query to f"): the final value `v = p_{n−1}(r_{n−1})` and the opened `g(r)`
//! satisfy `g(r) = (v − f(r))/ρ`, so a simulator that knows `f(r)` opens the (simulated, hiding)
//! mask commitment to that value ([`SimulatedZkProof::mask_eval_for`]).
//!
//! **What the caller must additionally do.** [`ZkProverOutput::table_evals`] are the *unmasked*
//! evaluations of the tables at `r`. Revealing them (or `f(r)`) leaks linear information about
//! private tables. A caller must therefore either
//! - make every private table's committed polynomial a randomized extension, so that its
//!   evaluation at a random point is uniform: e.g. add a most-significant variable `c`, commit
//!   `T'(c, x) = (1 − c)·T(x) + c·R(x)` with `R` a uniformly random table, and prove the sum of
//!   `(1 − c)·f(T'(c, x))` (the public selector `1 − c` is one more multilinear factor); then
//!   `T'(r) = (1 − r_0)·T(r') + r_0·R(r')` is uniform as long as `R` was queried at fewer
//!   linearly independent points than its size; or Libra's `T + Z·R` with `Z` vanishing on the
//!   cube (not multilinear, outside this prover). [`blind_tables`] builds the former.
//! - or never reveal `table_evals` and `g(r)` separately, and instead prove
//!   `combine(table_evals) + ρ·g(r) = v` inside a zero-knowledge opening argument of the hiding
//!   commitments, which reveals only `v` (already in the transcript). This module provides no
//!   such argument.
//!
//! Opening the mask with a multilinear commitment (WHIR): `g(r) = Σ_i g_i(r_i)` and
//! `g_i(r_i)` is the multilinear extension of the table [`ZkMask::row_table`]`(i)` (subset sums
//! of `g_i`'s coefficients) at [`mask_row_point`]`(r_i)` = `(r_i^{2^{m−1}}, …, r_i^2, r_i)`: `n`
//! evaluation claims on committed rows, batched like any other claims. Revealing the `g_i(r_i)`
//! separately is still simulatable: the view depends on the `s_i` only through `Σ_i s_i` (fixed
//! by `H`), so given the view the `g_i(r_i) = s_i/2 + h_i(r_i)` are uniform subject to
//! `Σ_i g_i(r_i) = g(r)`.
//!
//! The hiding of the commitments themselves (HVZK-WHIR) is computational; everything this module
//! emits is perfectly simulatable (given `f(r)`). Honest-verifier ZK, made non-interactive by
//! Fiat–Shamir.

use p3_field::{Field, PrimeCharacteristicRing};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::error::SumcheckError;
use super::prover::{fold_in_place, round_poly};
use super::verifier::{check_shape, interpolate_at, replay_rounds};
use super::{
    MAX_DEGREE, ProductTerm, SumOfProducts, round_degree, terms_degree, try_combine_terms,
};
use crate::field::{EF, F};
use crate::transcript::Transcript;

/// The masking polynomial `g(x) = Σ_i g_i(x_i)`: one univariate polynomial of degree `degree`
/// per variable. Secret to the prover; the caller commits its coefficients (hiding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkMask {
    degree: usize,
    /// `coeffs[i][k]`: the coefficient of `x_i^k` in `g_i`, `k = 0..=degree`.
    coeffs: Vec<Vec<EF>>,
}

impl ZkMask {
    /// A uniformly random mask for `num_vars` variables; `degree` is `f`'s degree (raised to 1
    /// like the round polynomials).
    pub fn random<R: Rng + ?Sized>(num_vars: usize, degree: usize, rng: &mut R) -> Self {
        let degree = round_degree(degree);
        let coeffs = (0..num_vars)
            .map(|_| (0..=degree).map(|_| rng.random()).collect())
            .collect();
        Self { degree, coeffs }
    }

    /// A mask from explicit coefficients (`coeffs[i][k]` multiplies `x_i^k`); every row must have
    /// the same length `degree + 1 ≥ 2`.
    pub fn from_coeffs(coeffs: Vec<Vec<EF>>) -> Result<Self, SumcheckError> {
        let width = coeffs.first().map_or(2, Vec::len);
        if width < 2 || coeffs.iter().any(|c| c.len() != width) {
            return Err(SumcheckError::InvalidShape(
                "mask rows must all have degree + 1 >= 2 coefficients",
            ));
        }
        Ok(Self {
            degree: width - 1,
            coeffs,
        })
    }

    /// Number of variables (one univariate polynomial each).
    pub fn num_vars(&self) -> usize {
        self.coeffs.len()
    }

    /// Degree of every `g_i`.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// The coefficients, `coeffs()[i][k]` multiplying `x_i^k`: what the caller commits.
    pub fn coeffs(&self) -> &[Vec<EF>] {
        &self.coeffs
    }

    /// The coefficients flattened to base-field limbs (variable-major, then power, then the three
    /// limbs of each extension element), ready for a base-field commitment.
    pub fn to_base_coeffs(&self) -> Vec<F> {
        use p3_field::BasedVectorSpace;
        self.coeffs
            .iter()
            .flatten()
            .flat_map(|c| c.as_basis_coefficients_slice().to_vec())
            .collect()
    }

    /// Row `i` as a multilinear table over `m = ⌈log2(degree + 1)⌉` variables whose
    /// multilinear extension at [`mask_row_point`]`(x, degree)` is `g_i(x)`: the coefficients
    /// (zero-padded to `2^m`) are the monomial coefficients of that multilinear polynomial, so
    /// the table holds their subset sums `table[b] = Σ_{k ⊆ b} coeffs[i][k]`.
    ///
    /// # Panics
    /// If `i ≥ num_vars`.
    pub fn row_table(&self, i: usize) -> Vec<EF> {
        let mut table = self.coeffs[i].clone();
        let size = (self.degree + 1).next_power_of_two();
        table.resize(size, EF::ZERO);
        let mut bit = 1;
        while bit < size {
            for idx in 0..size {
                if idx & bit != 0 {
                    let lower = table[idx ^ bit];
                    table[idx] += lower;
                }
            }
            bit <<= 1;
        }
        table
    }

    /// `g_i(x)` by Horner's rule.
    fn univariate(&self, i: usize, x: EF) -> EF {
        self.coeffs[i]
            .iter()
            .rev()
            .fold(EF::ZERO, |acc, &c| acc * x + c)
    }

    /// `g_i(0) + g_i(1)` for every variable.
    fn var_sums(&self) -> Vec<EF> {
        self.coeffs
            .iter()
            .map(|c| c[0] + c.iter().copied().sum::<EF>())
            .collect()
    }

    /// `H = Σ_{x ∈ {0,1}^n} g(x) = 2^{n−1}·Σ_i (g_i(0) + g_i(1))` (0 when `n = 0`).
    pub fn sum(&self) -> EF {
        let n = self.num_vars();
        if n == 0 {
            return EF::ZERO;
        }
        let total: EF = self.var_sums().into_iter().sum();
        total * pow2(n - 1)
    }

    /// `g(point) = Σ_i g_i(point[i])`; an error if the point has the wrong length.
    pub fn evaluate(&self, point: &[EF]) -> Result<EF, SumcheckError> {
        if point.len() != self.num_vars() {
            return Err(SumcheckError::WrongPointLength {
                what: "zk mask evaluation",
                expected: self.num_vars(),
                got: point.len(),
            });
        }
        Ok(point
            .iter()
            .enumerate()
            .map(|(i, &x)| self.univariate(i, x))
            .sum())
    }
}

/// The point at which the multilinear extension of a [`ZkMask::row_table`] of a degree-`degree`
/// mask equals the row's polynomial at `x`: `(x^{2^{m−1}}, …, x^2, x)` with
/// `m = ⌈log2(degree + 1)⌉` (`point[0]` is the most significant index bit).
pub fn mask_row_point(x: EF, degree: usize) -> Vec<EF> {
    let m = (degree + 1).next_power_of_two().trailing_zeros() as usize;
    let mut point = Vec::with_capacity(m);
    let mut pow = x;
    for _ in 0..m {
        point.push(pow);
        pow = pow.square();
    }
    point.reverse();
    point
}

/// `2^k` in the extension field.
fn pow2(k: usize) -> EF {
    EF::from(F::TWO.exp_u64(k as u64))
}

/// A zero-knowledge sumcheck proof: the mask's sum and one round polynomial per variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkSumcheckProof {
    /// `H = Σ_x g(x)`.
    pub mask_sum: EF,
    /// Round i: the masked round polynomial's evaluations at 0, 1, …, degree.
    pub round_polys: Vec<Vec<EF>>,
}

impl ZkSumcheckProof {
    /// Number of extension-field elements in the proof.
    pub fn num_elements(&self) -> usize {
        1 + self.round_polys.iter().map(Vec::len).sum::<usize>()
    }
}

/// What the prover ends with. `table_evals` are the **unmasked** tables at `point`: they must
/// not be revealed for private tables (see the module documentation).
#[derive(Clone, Debug)]
pub struct ZkProverOutput {
    pub proof: ZkSumcheckProof,
    /// The batching challenge `ρ` (the sumcheck ran on `f + ρ·g`).
    pub rho: EF,
    pub point: Vec<EF>,
    pub table_evals: Vec<EF>,
    /// `g(point)`: the value the caller opens the mask commitment to.
    pub mask_eval: EF,
}

/// What the verifier is left with: `f(point) + ρ·g(point)` must equal `expected_eval`. The caller
/// opens the committed mask at `point` and checks the tables with [`ZkSubclaim::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkSubclaim {
    pub point: Vec<EF>,
    /// The value of `f + ρ·g` at `point`.
    pub expected_eval: EF,
    pub rho: EF,
}

impl ZkSubclaim {
    /// The value `f(point)` must take, given the opened mask evaluation `g(point)`.
    pub fn expected_f_eval(&self, mask_eval: EF) -> EF {
        self.expected_eval - self.rho * mask_eval
    }

    /// Checks claimed table evaluations and the opened `g(point)` against the subclaim:
    /// `combine(terms, table_evals) + ρ·mask_eval = expected_eval`. Never panics.
    pub fn check(
        &self,
        terms: &[ProductTerm],
        table_evals: &[EF],
        mask_eval: EF,
    ) -> Result<(), SumcheckError> {
        let got = try_combine_terms(terms, table_evals)?;
        let expected = self.expected_f_eval(mask_eval);
        if got != expected {
            return Err(SumcheckError::FinalEvalMismatch { expected, got });
        }
        Ok(())
    }
}

/// Proves `Σ_x poly(x) = claimed_sum` in zero knowledge, masking with `mask` (whose commitment
/// the caller has already absorbed into `transcript`). With a wrong claimed sum the proof is
/// rejected, never a panic.
///
/// # Panics
/// As [`super::prove`]; also if `mask` has a different number of variables or a degree other
/// than `round_degree(poly.degree())` (caller bugs).
///
/// # Transcript
/// (After the caller's mask commitment.) `observe_ext(b"zk-sumcheck/claim", claimed_sum)`,
/// `observe_ext(b"zk-sumcheck/mask-sum", H)`, `sample_ext(b"zk-sumcheck/rho")`; then per round:
/// `observe_ext_slice(b"zk-sumcheck/round", round evaluations at 0..=degree)`,
/// `sample_ext(b"zk-sumcheck/challenge")`.
pub fn prove_zk(
    poly: SumOfProducts,
    claimed_sum: EF,
    mask: &ZkMask,
    transcript: &mut Transcript,
) -> ZkProverOutput {
    let SumOfProducts {
        num_vars,
        mut tables,
        terms,
    } = poly;
    let degree = round_degree(terms_degree(&terms));
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
    assert_eq!(mask.num_vars(), num_vars, "zk mask has the wrong arity");
    assert_eq!(mask.degree(), degree, "zk mask has the wrong degree");

    let mut rounds = TableRounds {
        tables: &mut tables,
        terms: &terms,
        degree,
        num_vars,
        round: 0,
    };
    let out = prove_zk_with(num_vars, degree, claimed_sum, mask, transcript, &mut rounds);
    ZkProverOutput {
        proof: out.proof,
        rho: out.rho,
        point: out.point,
        table_evals: tables.iter().map(|t| t[0]).collect(),
        mask_eval: out.mask_eval,
    }
}

/// The plain round polynomials of `f`, supplied round by round (most significant variable
/// first) by a caller's own prover to [`prove_zk_with`]. [`prove_zk`] uses the generic
/// sum-of-products kernel; a specialised prover for a structured `f` may compute the same
/// polynomials more cheaply.
pub trait RoundPolys {
    /// The plain round polynomial of `f` in the next unbound variable (summed over the later
    /// ones, the earlier ones bound to the challenges so far): its evaluations at
    /// `0, 1, …, degree`, where the value at 1 must be given as `claim − value at 0` (`claim`:
    /// the running claim on `f`), as [`super::prove`] does, so that a false claimed sum yields a
    /// rejected proof.
    fn round_poly(&mut self, claim: EF) -> Vec<EF>;

    /// Binds that variable to the challenge `r`.
    fn bind(&mut self, r: EF);
}

/// [`RoundPolys`] of a [`SumOfProducts`] by the generic kernel, folding the tables in place.
struct TableRounds<'a> {
    tables: &'a mut [Vec<EF>],
    terms: &'a [ProductTerm],
    degree: usize,
    num_vars: usize,
    round: usize,
}

impl RoundPolys for TableRounds<'_> {
    fn round_poly(&mut self, claim: EF) -> Vec<EF> {
        // From the round number, so that constant terms count right even without tables.
        let half = 1usize << (self.num_vars - self.round - 1);
        round_poly(self.tables, half, self.terms, self.degree, claim)
    }

    fn bind(&mut self, r: EF) {
        for t in self.tables.iter_mut() {
            fold_in_place(t, r);
        }
        self.round += 1;
    }
}

/// What [`prove_zk_with`] ends with: [`ZkProverOutput`] without the table evaluations, which
/// belong to the caller's round source.
#[derive(Clone, Debug)]
pub struct ZkRoundsOutput {
    pub proof: ZkSumcheckProof,
    /// The batching challenge `ρ`.
    pub rho: EF,
    pub point: Vec<EF>,
    /// `g(point)`: the value the caller opens the mask commitment to.
    pub mask_eval: EF,
}

/// [`prove_zk`] with the plain round polynomials of `f` (`num_vars` variables, round degree
/// `degree`) supplied by `rounds`: the mask's sum, `ρ`, the masking of every round and the
/// transcript are exactly [`prove_zk`]'s, so the proof is the one [`prove_zk`] would produce for
/// an `f` with the same round polynomials, and [`verify_zk`] checks it.
///
/// # Panics
/// If `degree` is 0 or above [`MAX_DEGREE`], if `mask` has another number of variables or
/// degree, or if `rounds` returns a round polynomial without `degree + 1` evaluations (caller
/// bugs).
///
/// # Transcript
/// As [`prove_zk`].
pub fn prove_zk_with<R: RoundPolys + ?Sized>(
    num_vars: usize,
    degree: usize,
    claimed_sum: EF,
    mask: &ZkMask,
    transcript: &mut Transcript,
    rounds: &mut R,
) -> ZkRoundsOutput {
    assert!(
        (1..=MAX_DEGREE).contains(&degree),
        "sumcheck round degree {degree} outside 1..={MAX_DEGREE}"
    );
    assert_eq!(mask.num_vars(), num_vars, "zk mask has the wrong arity");
    assert_eq!(mask.degree(), degree, "zk mask has the wrong degree");

    let mask_sum = mask.sum();
    transcript.observe_ext(b"zk-sumcheck/claim", claimed_sum);
    transcript.observe_ext(b"zk-sumcheck/mask-sum", mask_sum);
    let rho = transcript.sample_ext(b"zk-sumcheck/rho");

    let half_inv = EF::from(F::TWO.inverse());
    let var_sums = mask.var_sums();
    // Σ_{j>i} s_j, Σ_{j<i} g_j(r_j), and the running claim of the plain f.
    let mut suffix: EF = var_sums.iter().copied().sum();
    let mut prefix = EF::ZERO;
    let mut f_claim = claimed_sum;
    let mut round_polys = Vec::with_capacity(num_vars);
    let mut point = Vec::with_capacity(num_vars);
    for (i, s_i) in var_sums.iter().enumerate() {
        let f_evals = rounds.round_poly(f_claim);
        assert_eq!(
            f_evals.len(),
            degree + 1,
            "a round polynomial needs degree + 1 evaluations"
        );
        suffix -= *s_i;
        let scale = rho * pow2(num_vars - 1 - i);
        let constant = prefix + suffix * half_inv;
        let evals: Vec<EF> = f_evals
            .iter()
            .enumerate()
            .map(|(x, &fe)| fe + scale * (constant + mask.univariate(i, EF::from_usize(x))))
            .collect();
        transcript.observe_ext_slice(b"zk-sumcheck/round", &evals);
        let r = transcript.sample_ext(b"zk-sumcheck/challenge");
        f_claim = interpolate_at(&f_evals, r);
        prefix += mask.univariate(i, r);
        round_polys.push(evals);
        point.push(r);
        rounds.bind(r);
    }
    ZkRoundsOutput {
        proof: ZkSumcheckProof {
            mask_sum,
            round_polys,
        },
        rho,
        point,
        mask_eval: prefix,
    }
}

/// Verifies a zero-knowledge sumcheck proof that a `num_vars`-variate `f` of the given degree
/// sums to `claimed_sum`. The caller must have absorbed the mask commitment into `transcript`
/// exactly as the prover did, and must then open the mask at [`ZkSubclaim::point`] and call
/// [`ZkSubclaim::check`]. Never panics on a malformed proof.
///
/// # Transcript
/// As [`prove_zk`]: `observe_ext(b"zk-sumcheck/claim", claimed_sum)`,
/// `observe_ext(b"zk-sumcheck/mask-sum", H)`, `sample_ext(b"zk-sumcheck/rho")`; then per round:
/// `observe_ext_slice(b"zk-sumcheck/round", round evaluations at 0..=degree)`,
/// `sample_ext(b"zk-sumcheck/challenge")`.
pub fn verify_zk(
    num_vars: usize,
    degree: usize,
    claimed_sum: EF,
    proof: &ZkSumcheckProof,
    transcript: &mut Transcript,
) -> Result<ZkSubclaim, SumcheckError> {
    let degree = check_shape(num_vars, degree, &proof.round_polys)?;
    transcript.observe_ext(b"zk-sumcheck/claim", claimed_sum);
    transcript.observe_ext(b"zk-sumcheck/mask-sum", proof.mask_sum);
    let rho = transcript.sample_ext(b"zk-sumcheck/rho");
    let (point, claim) = replay_rounds(
        &proof.round_polys,
        degree,
        claimed_sum + rho * proof.mask_sum,
        (b"zk-sumcheck/round", b"zk-sumcheck/challenge"),
        transcript,
    )?;
    Ok(ZkSubclaim {
        point,
        expected_eval: claim,
        rho,
    })
}

/// A transcript produced by [`simulate_zk`] without any witness.
#[derive(Clone, Debug)]
pub struct SimulatedZkProof {
    pub proof: ZkSumcheckProof,
    pub rho: EF,
    pub point: Vec<EF>,
    /// The final value `v` of `f + ρ·g` at `point`.
    pub final_eval: EF,
}

impl SimulatedZkProof {
    /// The mask value the (simulated, hiding) mask commitment must be opened to so that the
    /// final check passes for a given `f(point)`: `(v − f(point))/ρ`; `None` if `ρ = 0`.
    pub fn mask_eval_for(&self, f_eval: EF) -> Option<EF> {
        self.rho
            .try_inverse()
            .map(|inv| (self.final_eval - f_eval) * inv)
    }
}

/// The honest-verifier simulator: from the statement alone (`num_vars`, `degree`, `claimed_sum`)
/// it produces a proof with the distribution of a real [`prove_zk`] proof (see the module
/// documentation), drawing the Fiat–Shamir challenges from `transcript` as the verifier will.
/// `H` is uniform (0 when `num_vars = 0`); each round polynomial is uniform subject to
/// `p(0) + p(1)` = the running claim.
///
/// # Panics
/// If `degree > MAX_DEGREE`.
pub fn simulate_zk<R: Rng + ?Sized>(
    num_vars: usize,
    degree: usize,
    claimed_sum: EF,
    transcript: &mut Transcript,
    rng: &mut R,
) -> SimulatedZkProof {
    assert!(
        degree <= MAX_DEGREE,
        "sumcheck degree {degree} > {MAX_DEGREE}"
    );
    let degree = round_degree(degree);
    let mask_sum = if num_vars == 0 {
        EF::ZERO
    } else {
        rng.random()
    };
    transcript.observe_ext(b"zk-sumcheck/claim", claimed_sum);
    transcript.observe_ext(b"zk-sumcheck/mask-sum", mask_sum);
    let rho = transcript.sample_ext(b"zk-sumcheck/rho");
    let mut claim = claimed_sum + rho * mask_sum;
    let mut round_polys = Vec::with_capacity(num_vars);
    let mut point = Vec::with_capacity(num_vars);
    for _ in 0..num_vars {
        let mut evals: Vec<EF> = (0..=degree).map(|_| rng.random()).collect();
        evals[1] = claim - evals[0];
        transcript.observe_ext_slice(b"zk-sumcheck/round", &evals);
        let r = transcript.sample_ext(b"zk-sumcheck/challenge");
        claim = interpolate_at(&evals, r);
        round_polys.push(evals);
        point.push(r);
    }
    SimulatedZkProof {
        proof: ZkSumcheckProof {
            mask_sum,
            round_polys,
        },
        rho,
        point,
        final_eval: claim,
    }
}

/// Blinds private tables with a most-significant extra variable `c`, so that their evaluations
/// at the sumcheck point are uniform (the first option of the module documentation).
///
/// Returns the instance over `num_vars + 1` variables whose sum equals `poly`'s:
/// - a private table `T` becomes `T' = [T ; R]` (`T'(0, x) = T(x)`, `T'(1, x) = R(x)`, `R` a
///   fresh uniform table); the caller commits `T'` (hiding) instead of `T`;
/// - a public table `P` becomes `[P ; P]`, so `P'(r) = P(r[1..])` is computable by the verifier;
/// - a selector table `[1 ; 0]` (MLE `1 − c`) is appended last and multiplied into every term
///   ([`blinded_terms`] gives the verifier the same terms), so only `c = 0` counts.
///
/// At the point `r = (r_0, r')` the prover reveals `T'(r) = (1 − r_0)·T(r') + r_0·R(r')`: uniform
/// whenever `r_0 ≠ 0`, and independent across queries as long as `R` is evaluated at linearly
/// independent points (fewer than `2^num_vars` queries per table). Costs: tables double, degree
/// grows by one (an error beyond [`MAX_DEGREE`]).
pub fn blind_tables<R: Rng + ?Sized>(
    poly: SumOfProducts,
    private: &[usize],
    rng: &mut R,
) -> Result<SumOfProducts, SumcheckError> {
    let degree = terms_degree(&poly.terms) + 1;
    if degree > MAX_DEGREE {
        return Err(SumcheckError::UnsupportedDegree {
            max: MAX_DEGREE,
            got: degree,
        });
    }
    let num_tables = poly.tables.len();
    if let Some(&j) = private.iter().find(|&&j| j >= num_tables) {
        return Err(SumcheckError::WrongCount {
            what: "tables",
            expected: j + 1,
            got: num_tables,
        });
    }
    let size = 1usize << poly.num_vars;
    let mut tables: Vec<Vec<EF>> = poly
        .tables
        .into_iter()
        .enumerate()
        .map(|(j, mut t)| {
            if private.contains(&j) {
                t.extend((0..size).map(|_| rng.random::<EF>()));
            } else {
                t.extend_from_within(..);
            }
            t
        })
        .collect();
    let mut selector = vec![EF::ONE; size];
    selector.resize(2 * size, EF::ZERO);
    tables.push(selector);
    Ok(SumOfProducts {
        num_vars: poly.num_vars + 1,
        tables,
        terms: blinded_terms(&poly.terms, num_tables),
    })
}

/// The terms of a [`blind_tables`] instance, for the verifier: every term of the original
/// `terms` times the selector table, which has index `num_tables` (appended after the
/// original tables). Its evaluation at the point is [`blinded_selector_eval`].
pub fn blinded_terms(terms: &[ProductTerm], num_tables: usize) -> Vec<ProductTerm> {
    terms
        .iter()
        .map(|t| {
            let mut factors = t.factors.clone();
            factors.push(num_tables);
            ProductTerm {
                coeff: t.coeff,
                factors,
            }
        })
        .collect()
}

/// The selector of a [`blind_tables`] instance at `point`: `1 − point[0]` (`None` for an empty
/// point).
pub fn blinded_selector_eval(point: &[EF]) -> Option<EF> {
    point.first().map(|&c| EF::ONE - c)
}

#[cfg(test)]
#[path = "zk_tests.rs"]
mod tests;
