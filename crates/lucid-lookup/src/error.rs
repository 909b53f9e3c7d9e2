//! Typed errors of the lookup argument: invalid shapes or witnesses on the prover side, and every
//! reason the verifier rejects a proof (each names the failing group, layer or tree and what was
//! expected versus what the proof carried).

use lucid_core::field::EF;
use lucid_core::sumcheck::SumcheckError;
use thiserror::Error;

/// Why a lookup could not be proved, or why a lookup proof was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LookupError {
    /// A table's `log_size` is 0 or too large.
    #[error("table log-size {got} unsupported (1..={max})")]
    TableSize { max: usize, got: usize },
    /// A table's inputs leave the supported signed range `[-2^62, 2^62]`.
    #[error("table inputs [{offset}, {offset} + 2^{log_size}) leave the supported range")]
    TableOffset { offset: i64, log_size: usize },
    /// A function table's output list has the wrong length.
    #[error("function table has {got} outputs, expected {expected}")]
    TableOutputs { expected: usize, got: usize },
    /// A lookup has no entries, or more than the supported maximum.
    #[error("lookup {instance} has {got} entries (supported: 1..={max})")]
    LookupSize {
        instance: usize,
        max: usize,
        got: usize,
    },
    /// A lookup has a number of columns its table does not take.
    #[error("lookup {instance} has {got} columns, its table takes {expected}")]
    ColumnCount {
        instance: usize,
        expected: usize,
        got: usize,
    },
    /// The columns of a lookup have different lengths.
    #[error("lookup {instance}, column {column}: {got} entries, expected {expected}")]
    ColumnLength {
        instance: usize,
        column: usize,
        expected: usize,
        got: usize,
    },
    /// A looked-up entry is not a row of its table (found while computing multiplicities).
    #[error("lookup {instance}, entry {index}: not a row of its table")]
    NotInTable { instance: usize, index: usize },
    /// The multiplicities do not match the tables (count or length).
    #[error("wrong {what}: expected {expected}, got {got}")]
    Multiplicities {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// The proof has the wrong shape (a list of the wrong length).
    #[error("malformed proof: {what}: expected {expected}, got {got}")]
    ProofShape {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A tree's root denominator is zero, so its fraction is undefined.
    #[error("tree {tree}: root denominator is zero")]
    ZeroDenominator { tree: usize },
    /// For a table, the witness-side fraction sum differs from the table-side fraction sum.
    #[error(
        "table {table}: witness fractions sum to {witness:?}, table fractions to {table_side:?}"
    )]
    RootMismatch {
        table: usize,
        witness: EF,
        table_side: EF,
    },
    /// A layer sumcheck failed.
    #[error("group {group} (2^{num_vars} leaves), layer {layer}: {source}")]
    Sumcheck {
        group: usize,
        num_vars: usize,
        layer: usize,
        source: SumcheckError,
    },
    /// The claimed next-layer evaluations do not combine to the sumcheck's final value.
    #[error("group {group}, layer {layer}: layer evaluations give {got:?}, expected {expected:?}")]
    LayerMismatch {
        group: usize,
        layer: usize,
        expected: EF,
        got: EF,
    },
    /// A tree's leaf claim disagrees with the claimed column, multiplicity or table evaluations.
    #[error("tree {tree}: leaf {what} is {got:?}, the evaluations give {expected:?}")]
    LeafMismatch {
        tree: usize,
        what: &'static str,
        expected: EF,
        got: EF,
    },
}
