//! Lucid's model IR: a serde-serializable DAG of typed tensor operators, free of tract.
//!
//! - [`Graph`] holds [`Node`]s in topological order; each node applies an [`Op`] to earlier
//!   nodes and produces one tensor whose static shape and [`DType`] are stored in the node.
//! - [`Op`] documents the exact semantics of every operator; [`Op::infer`] is the shape/dtype
//!   rule, used by [`Graph::push`] and [`Graph::validate`].
//! - [`Graph::stats`] gives operator counts, parameters and multiply-accumulates;
//!   [`Graph::prune`] drops nodes no output depends on.
//!
//! The importer (`lucid-onnx`) lowers tract's typed graph into this IR; the float interpreter
//! ([`crate::float_eval`]) is its reference semantics.

mod einsum;
mod error;
mod graph;
mod infer;
mod op;
mod prune;
pub mod replicate;
mod stats;
mod unary;

pub use crate::tensor::{DType, Value};
pub use einsum::EinsumSpec;
pub use error::{IrError, OpError};
pub use graph::{Graph, GraphInput, GraphOutput, Node, NodeId};
pub use infer::{TensorFact, slice_range, window_out};
pub use op::{
    BinaryOp, CmpOp, ConvSpec, DeconvSpec, LogicOp, Op, PadMode, PoolSpec, ReduceKind,
    ScatterReduction, TopKOutput,
};
pub use replicate::{
    ReplicateError, block, block_value, blocks_equal, first_block, first_block_value, replicate,
    stack, tile, tile_tensor, value_blocks_equal,
};
pub use stats::{GraphStats, NodeStats};
pub use unary::UnaryFn;

#[cfg(test)]
mod tests;
