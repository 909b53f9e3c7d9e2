//! Errors of graph construction and validation. Every error names the node and its operator.

use thiserror::Error;

use crate::tensor::{DType, TensorError};

/// Why an operator rejects its inputs or parameters (shape inference).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpError {
    /// Wrong number of inputs.
    #[error("expected {expected} inputs, got {got}")]
    InputCount {
        /// Accepted count, e.g. "2" or "2 or 3".
        expected: String,
        /// Actual count.
        got: usize,
    },
    /// An input has the wrong element type.
    #[error("input {input}: expected dtype {expected}, got {got}")]
    DType {
        /// Input position.
        input: usize,
        /// Accepted type(s).
        expected: String,
        /// Actual type.
        got: DType,
    },
    /// An input has the wrong rank.
    #[error("input {input}: expected rank {expected}, got shape {got:?}")]
    Rank {
        /// Input position.
        input: usize,
        /// Accepted rank(s).
        expected: String,
        /// Actual shape.
        got: Vec<usize>,
    },
    /// An axis is out of range.
    #[error("axis {axis} out of range for rank {rank}")]
    Axis {
        /// The axis.
        axis: usize,
        /// The rank.
        rank: usize,
    },
    /// Input shapes are incompatible with each other or with the parameters.
    #[error("incompatible shapes: {reason}")]
    Shape {
        /// What does not match.
        reason: String,
    },
    /// A parameter is invalid in itself.
    #[error("invalid parameter: {reason}")]
    Param {
        /// What is wrong.
        reason: String,
    },
    /// The data is invalid for the operator at evaluation time (index out of range, integer
    /// overflow or division by zero, an input value of the wrong shape).
    #[error("invalid value: {reason}")]
    Value {
        /// What is wrong.
        reason: String,
    },
    /// A tensor-level error (broadcasting, sizes).
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

/// A graph-level error. Node-level failures carry the node's index, name and operator.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum IrError {
    /// An operator rejected its inputs.
    #[error("node {index} '{node}' ({op}): {source}")]
    Node {
        /// Node index.
        index: usize,
        /// Node name (from the ONNX/tract graph).
        node: String,
        /// Operator name.
        op: &'static str,
        /// The reason.
        source: OpError,
    },
    /// A node reads a node that is not strictly before it (not topological, or missing).
    #[error(
        "node {index} '{node}' ({op}): input {input} refers to node {target}, which is not an earlier node"
    )]
    BadInputRef {
        /// Node index.
        index: usize,
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// Input position.
        input: usize,
        /// The referenced node id.
        target: usize,
    },
    /// The stored output shape/dtype of a node differs from what its operator computes.
    #[error(
        "node {index} '{node}' ({op}): declared {declared_dtype} {declared:?}, inferred {inferred_dtype} {inferred:?}"
    )]
    StaleShape {
        /// Node index.
        index: usize,
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// Stored shape.
        declared: Vec<usize>,
        /// Stored dtype.
        declared_dtype: DType,
        /// Computed shape.
        inferred: Vec<usize>,
        /// Computed dtype.
        inferred_dtype: DType,
    },
    /// A graph output refers to a missing node.
    #[error("graph output '{name}' refers to missing node {target}")]
    BadOutput {
        /// Output name.
        name: String,
        /// The referenced node id.
        target: usize,
    },
    /// A graph input is not read by exactly one `Input` node, or an `Input` node is invalid.
    #[error("graph input {index}: {reason}")]
    BadInput {
        /// Input index.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}
