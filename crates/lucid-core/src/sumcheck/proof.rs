//! The sumcheck proof and the claims each side ends with.

use serde::{Deserialize, Serialize};

use super::error::SumcheckError;
use super::{ProductTerm, try_combine_terms};
use crate::field::EF;

/// Bytes of one extension-field element in a serialized proof (three Goldilocks limbs).
pub const EF_BYTES: usize = 24;

/// A sumcheck proof: one round polynomial per variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumcheckProof {
    /// Round i: the round polynomial's evaluations at 0, 1, …, degree.
    pub round_polys: Vec<Vec<EF>>,
}

impl SumcheckProof {
    /// Number of extension-field elements in the proof.
    pub fn num_elements(&self) -> usize {
        self.round_polys.iter().map(Vec::len).sum()
    }

    /// Size of the proof's field elements in bytes (`24` per extension-field element).
    pub fn size_bytes(&self) -> usize {
        self.num_elements() * EF_BYTES
    }
}

/// What the prover ends with: the random point (one challenge per variable, `point[0]` bound
/// first) and every table's evaluation there.
#[derive(Clone, Debug)]
pub struct ProverOutput {
    pub proof: SumcheckProof,
    pub point: Vec<EF>,
    pub table_evals: Vec<EF>,
}

/// What the verifier is left with: the point and the value `g(point)` must take. The caller
/// checks it against claimed table evaluations (which become its new claims).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subclaim {
    pub point: Vec<EF>,
    pub expected_eval: EF,
}

impl Subclaim {
    /// Checks that claimed table evaluations at [`Subclaim::point`] combine, through `terms`,
    /// to [`Subclaim::expected_eval`]. Never panics: a term naming a missing table is an error.
    pub fn check(&self, terms: &[ProductTerm], table_evals: &[EF]) -> Result<(), SumcheckError> {
        let got = try_combine_terms(terms, table_evals)?;
        if got != self.expected_eval {
            return Err(SumcheckError::FinalEvalMismatch {
                expected: self.expected_eval,
                got,
            });
        }
        Ok(())
    }
}
