//! Typed errors of the sumcheck verifiers: each names the failing round or check and what was
//! expected versus what the proof carried.

use thiserror::Error;

use crate::field::EF;

/// Why a sumcheck proof (or the claims it leaves open) was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SumcheckError {
    /// The round polynomials would have a degree this implementation does not support.
    #[error("unsupported sumcheck degree {got} (supported: 1..={max})")]
    UnsupportedDegree { max: usize, got: usize },
    /// The proof has a different number of rounds than the number of variables.
    #[error("wrong number of sumcheck rounds: expected {expected}, got {got}")]
    WrongNumberOfRounds { expected: usize, got: usize },
    /// A round polynomial has the wrong number of evaluations (it must be `degree + 1`).
    #[error("round {round}: round polynomial has {got} evaluations, expected {expected}")]
    WrongRoundPolyLength {
        round: usize,
        expected: usize,
        got: usize,
    },
    /// `g_i(0) + g_i(1)` differs from the claim carried into round `i`.
    #[error("round {round}: g(0) + g(1) = {got:?}, expected the running claim {expected:?}")]
    RoundSumMismatch { round: usize, expected: EF, got: EF },
    /// The claimed table evaluations do not combine to the value the last round requires.
    #[error("final check failed: the table evaluations give {got:?}, expected {expected:?}")]
    FinalEvalMismatch { expected: EF, got: EF },
    /// A list of claimed evaluations has the wrong length.
    #[error("wrong number of {what}: expected {expected}, got {got}")]
    WrongCount {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A claimed point has the wrong number of coordinates.
    #[error("{what}: point has {got} coordinates, expected {expected}")]
    WrongPointLength {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// The shape of a protocol instance is invalid (e.g. a dimension that is not a power of two).
    #[error("invalid shape: {0}")]
    InvalidShape(&'static str),
}
