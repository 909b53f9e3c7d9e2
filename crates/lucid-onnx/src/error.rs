//! Errors of the ONNX import.

use lucid_model::input::InputError;
use thiserror::Error;

/// A node the lowering cannot translate into Lucid's IR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The node's name in tract's typed graph (ONNX node names are kept).
    pub node: String,
    /// tract's name for the operator (`op.name()`).
    pub op: String,
    /// Why it was refused.
    pub reason: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node '{}' (op {}): {}", self.node, self.op, self.reason)
    }
}

/// Why a model could not be imported.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The model file does not exist.
    #[error("model file not found: {path}")]
    NotFound {
        /// The path given.
        path: String,
    },
    /// tract refused the model (malformed ONNX, inconsistent shapes, unknown operator …).
    #[error("tract failed to {stage} the model: {message}")]
    Tract {
        /// The stage: parse, type, reference run …
        stage: &'static str,
        /// tract's error chain.
        message: String,
    },
    /// tract panicked on the model (a bug in tract, reported as an error instead of aborting).
    #[error("tract panicked while trying to {stage} the model: {message}")]
    TractPanic {
        /// The stage.
        stage: &'static str,
        /// The panic message.
        message: String,
    },
    /// An input has no declared shape and the input file gives none either.
    #[error("input '{input}' has no declared shape and the input file gives none")]
    UnknownInputShape {
        /// The input's name.
        input: String,
    },
    /// The input file does not fit the model.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A value does not fit its input's element type (a fraction for an integer input …).
    #[error("input '{input}' has type {datum_type} but value #{index} is {value}")]
    BadInputValue {
        /// The input's name.
        input: String,
        /// Position in the flat list.
        index: usize,
        /// The value.
        value: f64,
        /// The input's tract datum type.
        datum_type: String,
    },
    /// One or more nodes cannot be lowered (every such node is listed).
    #[error("{} unsupported node(s): {}", .0.len(), list(.0))]
    Unsupported(Vec<Unsupported>),
    /// The lowered graph failed the IR's own validation (a lowering bug).
    #[error("the lowered graph is invalid: {0}")]
    Invalid(String),
}

fn list(u: &[Unsupported]) -> String {
    u.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
