//! Sumcheck for sums of products of multilinear tables, and the ML-shaped protocols built on it.
//!
//! The core protocol proves `Σ_{x ∈ {0,1}^n} g(x) = claimed_sum` for
//! `g(x) = Σ_t coeff_t · Π_{j ∈ factors_t} table_j(x)`, every table a multilinear polynomial given
//! by its `2^n` evaluations (lexicographic, `point[0]` = most significant index bit, bound first).
//! The verifier ends with a [`Subclaim`]: a random point `r` and the value `g(r)` must take; the
//! caller turns it into claims on the tables' evaluations at `r` (checked with
//! [`Subclaim::check`]), which later layers or the commitment openings discharge.
//!
//! Soundness: a false claim survives a round with probability at most `degree / |EF|`
//! (`|EF| ≈ 2^192`), so at most `n · 5 / 2^192` overall, before Fiat–Shamir's hash assumptions.
//! [`prove`]/[`verify`] are not zero-knowledge: round polynomials and the final evaluations
//! reveal linear information about the tables. [`zk`] masks the round polynomials (Libra-style)
//! and documents what its callers must still hide (the final table evaluations).
//!
//! Every protocol here reduces claims to claims: it takes [`crate::mle::EvalClaim`]s on its
//! outputs and returns `EvalClaim`s on its inputs, and never opens a commitment.
//!
//! | module | what it proves |
//! |---|---|
//! | [`prover`], [`verifier`] | the generic sum-of-products sumcheck (degree 1..=5) |
//! | [`proof`], [`error`] | proof and claim types, typed verifier errors |
//! | [`batch`] | many claims `P_j(z_i) = v_i` ⇒ one claim per polynomial at one point |
//! | [`hadamard`] | `C = A ∘ B` (1 to 4 factors): a claim on `C` ⇒ claims on the factors |
//! | [`matmul`] | `C = A·B`: a claim on `C` ⇒ claims on `A` and `B` |
//! | [`zk`] | zero-knowledge variant of the generic sumcheck (Libra-style mask, simulator) |
//! | [`zk_relation`] | zero-knowledge claim reduction on blinded tensors: relations, linear steps, batching |
//!
//! [`hadamard`] is proved by a private eq-factored prover (`eq_product`, Gruen-style, with a
//! base-field first round) and [`batch`] by a base-field first round followed by the generic
//! rounds; both emit exactly the proof [`prove`] would, so [`verify`] checks them (tests compare
//! the proofs byte for byte).

pub mod batch;
mod eq_product;
pub mod error;
pub mod hadamard;
pub mod matmul;
pub mod proof;
pub mod prover;
pub mod verifier;
pub mod zk;
pub mod zk_pack;
pub mod zk_relation;

use p3_field::PrimeCharacteristicRing;

use crate::field::EF;

pub use error::SumcheckError;
pub use proof::{ProverOutput, Subclaim, SumcheckProof};
pub use prover::prove;
pub use verifier::verify;

/// Largest supported degree of `g` in each variable (the longest product).
pub const MAX_DEGREE: usize = 5;

/// One term `coeff · Π_{j ∈ factors} table_j(x)` of a [`SumOfProducts`]. An empty factor list is
/// the constant `coeff`; a table may appear several times (a power).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductTerm {
    pub coeff: EF,
    pub factors: Vec<usize>,
}

/// `g(x) = Σ_t coeff_t · Π_{j ∈ factors_t} table_j(x)` over `x ∈ {0,1}^num_vars`, every table a
/// multilinear polynomial given by its `2^num_vars` evaluations.
#[derive(Clone, Debug)]
pub struct SumOfProducts {
    pub num_vars: usize,
    pub tables: Vec<Vec<EF>>,
    pub terms: Vec<ProductTerm>,
}

impl SumOfProducts {
    /// An empty sum over `num_vars` variables.
    pub fn new(num_vars: usize) -> Self {
        Self {
            num_vars,
            tables: Vec::new(),
            terms: Vec::new(),
        }
    }

    /// Adds a table, returns its index.
    ///
    /// # Panics
    /// If `evals.len() != 2^num_vars` (a caller bug).
    pub fn add_table(&mut self, evals: Vec<EF>) -> usize {
        assert_eq!(
            evals.len(),
            1usize << self.num_vars,
            "sumcheck table of length {} for {} variables",
            evals.len(),
            self.num_vars
        );
        self.tables.push(evals);
        self.tables.len() - 1
    }

    /// Adds the term `coeff · Π_{j ∈ factors} table_j`.
    ///
    /// Factors may name tables added later; [`prove`] checks that they all exist.
    ///
    /// # Panics
    /// If the term has more than [`MAX_DEGREE`] factors.
    pub fn add_term(&mut self, coeff: EF, factors: Vec<usize>) {
        assert!(
            factors.len() <= MAX_DEGREE,
            "sumcheck term of degree {} > {MAX_DEGREE}",
            factors.len()
        );
        self.terms.push(ProductTerm { coeff, factors });
    }

    /// Degree of `g` in each variable: the longest product (0 if every term is constant).
    pub fn degree(&self) -> usize {
        terms_degree(&self.terms)
    }

    /// `Σ_x g(x)`, computed directly (the honest claimed sum).
    pub fn sum(&self) -> EF {
        let n = 1usize << self.num_vars;
        self.terms
            .iter()
            .map(|term| {
                let s: EF = (0..n)
                    .map(|i| {
                        term.factors
                            .iter()
                            .map(|&j| self.tables[j][i])
                            .product::<EF>()
                    })
                    .sum();
                term.coeff * s
            })
            .sum()
    }

    /// `g` at a point, from the tables' evaluations at that point.
    ///
    /// # Panics
    /// If `table_evals` has fewer entries than there are tables.
    pub fn combine(&self, table_evals: &[EF]) -> EF {
        combine_terms(&self.terms, table_evals)
    }
}

/// Degree of a list of terms: the longest product.
pub fn terms_degree(terms: &[ProductTerm]) -> usize {
    terms.iter().map(|t| t.factors.len()).max().unwrap_or(0)
}

/// Verifier-side twin of [`SumOfProducts::combine`]: the terms alone (no tables), so verifiers
/// need no witness.
///
/// # Panics
/// If a term names a table index `≥ table_evals.len()`; use [`try_combine_terms`] on untrusted
/// input.
pub fn combine_terms(terms: &[ProductTerm], table_evals: &[EF]) -> EF {
    try_combine_terms(terms, table_evals).expect("a term names a table without an evaluation")
}

/// [`combine_terms`] returning an error instead of panicking when a term names a table index
/// `≥ table_evals.len()`.
pub fn try_combine_terms(terms: &[ProductTerm], table_evals: &[EF]) -> Result<EF, SumcheckError> {
    let mut acc = EF::ZERO;
    for term in terms {
        let mut prod = term.coeff;
        for &j in &term.factors {
            let v = table_evals.get(j).ok_or(SumcheckError::WrongCount {
                what: "table evaluations",
                expected: j + 1,
                got: table_evals.len(),
            })?;
            prod *= *v;
        }
        acc += prod;
    }
    Ok(acc)
}

/// The degree round polynomials are sent with: `degree`, but at least 1.
pub(crate) fn round_degree(degree: usize) -> usize {
    degree.max(1)
}

#[cfg(test)]
mod tests;
