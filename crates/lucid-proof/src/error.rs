//! Why compiling, proving or verifying failed.

use thiserror::Error;

/// An error of the graph prover or verifier, or of the key and proof formats.
#[derive(Debug, Error)]
pub enum ProofError {
    /// The graph has an operator (or a use of one) the prover cannot prove yet.
    #[error("node '{node}' ({op}) is not provable: {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Operator name.
        op: String,
        /// Why.
        reason: String,
    },
    /// A tensor has too few entries for zero-knowledge masks (`lucid compile` then proves the
    /// model as stacked copies of itself, when its graph allows it).
    #[error(
        "node '{node}' ({op}): its tensor of shape {shape:?} is too small for zero-knowledge mode (needs at least {min_entries} padded entries)"
    )]
    TooSmallForZeroKnowledge {
        /// Node name.
        node: String,
        /// Operator name.
        op: String,
        /// The tensor's shape.
        shape: Vec<usize>,
        /// Fewest padded entries a masked tensor may have.
        min_entries: usize,
    },
    /// The witness does not satisfy what the proof needs (e.g. a saturating requantization).
    #[error("node '{node}': {reason}")]
    Witness {
        /// Node name.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// Verification failed: the proof does not prove the statement.
    #[error("verification failed at {at}: {reason}")]
    Rejected {
        /// Where (node, phase).
        at: String,
        /// Why.
        reason: String,
    },
    /// The proof does not have the shape the verifying key requires.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The statement (public inputs or outputs) does not match the key.
    #[error("statement: {0}")]
    Statement(String),
    /// A key or proof file could not be decoded.
    #[error("{what}: {reason}")]
    Format {
        /// Which artifact.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A layer protocol failed.
    #[error("node '{node}': {source}")]
    Layer {
        /// Node name.
        node: String,
        /// The layer's error.
        source: crate::layers::LayerError,
    },
    /// The lookup argument failed.
    #[error("lookups: {0}")]
    Lookup(#[from] lucid_lookup::LookupError),
    /// A commitment operation failed.
    #[error("{what} commitment: {source}")]
    Pcs {
        /// Which commitment (weights, witness).
        what: &'static str,
        /// The commitment scheme's error.
        source: lucid_pcs::PcsError,
    },
    /// The integer run failed.
    #[error("integer evaluation: {0}")]
    Eval(#[from] lucid_model::int_eval::IntEvalError),
}
