//! Errors of the commitment scheme: bad parameters, bad claims, and rejected proofs.

use p3_whir::{VerifierError, WhirConfigError, ZkConfigError, ZkVerifierError};
use thiserror::Error;

/// Everything that can go wrong while committing, opening or verifying.
///
/// Verification of a malformed or forged proof always ends in one of these, never in a panic.
#[derive(Debug, Error)]
pub enum PcsError {
    /// `commit` was called with no table.
    #[error("a commitment needs at least one table")]
    NoTables,
    /// A table has no entry.
    #[error("table {table} is empty")]
    EmptyTable {
        /// Index of the empty table.
        table: usize,
    },
    /// The stacked polynomial would be too large for the field's two-adic domain.
    #[error("{num_variables} stacked variables exceed the supported maximum {max}")]
    TooLarge {
        /// Variables of the stacked polynomial.
        num_variables: usize,
        /// Largest supported number of variables.
        max: usize,
    },
    /// A claim names a table that the commitment does not hold.
    #[error("claim {claim} names table {table}, but the commitment holds {num_tables} tables")]
    NoSuchTable {
        /// Index of the claim in the caller's list.
        claim: usize,
        /// Table index named by the claim.
        table: usize,
        /// Number of committed tables.
        num_tables: usize,
    },
    /// A claim's point does not have one coordinate per variable of its table.
    #[error("claim {claim} on table {table}: point has {got} coordinates, expected {expected}")]
    PointArity {
        /// Index of the claim in the caller's list.
        claim: usize,
        /// Table index named by the claim.
        table: usize,
        /// Variables of the (power-of-two padded) table.
        expected: usize,
        /// Coordinates of the supplied point.
        got: usize,
    },
    /// The prover was asked to prove a claimed value that is not the table's evaluation.
    #[error(
        "claim {claim} on table {table}: claimed value differs from the committed table's evaluation"
    )]
    WrongClaimedValue {
        /// Index of the claim in the caller's list.
        claim: usize,
        /// Table index named by the claim.
        table: usize,
    },
    /// The prover data handed to `open` does not belong to the commitment scheme's parameters.
    #[error("prover data was made with different parameters")]
    ParameterMismatch,
    /// The commitment is malformed (e.g. a Merkle cap with the wrong number of roots).
    #[error("malformed commitment: expected {expected} Merkle root(s), got {got}")]
    MalformedCommitment {
        /// Expected number of roots.
        expected: usize,
        /// Number of roots found.
        got: usize,
    },
    /// The parameters cannot reach the security target for this shape and claim count.
    #[error("security {achieved:.1} bits is below the {target}-bit target")]
    InsufficientSecurity {
        /// Target in bits.
        target: usize,
        /// Composed level achieved (bits).
        achieved: f64,
    },
    /// WHIR could not derive a configuration (folding, PoW budget, claim budget...).
    #[error("WHIR configuration: {0}")]
    Config(#[from] WhirConfigError),
    /// The WHIR verifier rejected the proof.
    #[error("proof rejected: {0}")]
    Rejected(#[from] VerifierError),
    /// The proof's mode (plain or hiding) is not the commitment's.
    #[error("proof mode does not match the commitment: expected {expected}, got {got}")]
    ModeMismatch {
        /// Mode of the commitment.
        expected: &'static str,
        /// Mode of the proof or prover data.
        got: &'static str,
    },
    /// Hiding prover data was already opened through a clone (a second opening would reveal
    /// more codeword positions than the commitment's randomness hides).
    #[error("hiding prover data can be opened only once")]
    HidingDataShared,
    /// The hiding proof's evaluations differ from the verifier's claims.
    #[error("hiding proof: evaluation {claim} differs from the claimed value")]
    HidingEvalMismatch {
        /// Index of the claim in the caller's list.
        claim: usize,
    },
    /// The hiding proof carries a different number of evaluations than there are claims.
    #[error("hiding proof carries {got} evaluations, expected {expected}")]
    HidingEvalCount {
        /// Number of claims.
        expected: usize,
        /// Evaluations in the proof.
        got: usize,
    },
    /// A hiding proof carries a claim batch where none is due, or lacks one that is.
    #[error("hiding proof: claim batch {}", if *expected { "missing" } else { "not expected" })]
    BatchPresence {
        /// Whether the claims had to be batched.
        expected: bool,
    },
    /// A hiding proof carries another number of stack openings than there are stacks with
    /// claims.
    #[error("hiding proof carries {got} stack openings, expected {expected}")]
    HidingStackCount {
        /// Stacks holding a claimed table.
        expected: usize,
        /// Openings in the proof.
        got: usize,
    },
    /// A claim batch carries another number of mask rows than the stack has variables.
    #[error("hiding proof: claim batch carries {got} mask rows, expected {expected}")]
    BatchRowCount {
        /// Variables of the stack.
        expected: usize,
        /// Rows in the proof.
        got: usize,
    },
    /// The claim-batching sumcheck was rejected.
    #[error("hiding proof: claim batch rejected: {0}")]
    BatchRejected(String),
    /// HVZK-WHIR could not derive a configuration.
    #[error("HVZK-WHIR configuration: {0}")]
    HidingConfig(#[from] ZkConfigError),
    /// The HVZK-WHIR verifier rejected the proof.
    #[error("hiding proof rejected: {0}")]
    HidingRejected(#[from] ZkVerifierError),

    #[error("stored prover data is unusable: {reason}")]
    BadProverData {
        /// What does not match.
        reason: String,
    },
}
