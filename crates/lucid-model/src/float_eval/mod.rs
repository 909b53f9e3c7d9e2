//! The f32 reference interpreter of the IR: evaluates every operator exactly as documented in
//! [`crate::ir::Op`], accumulating sums and products in f64 (i128 for integers), and returns
//! every tensor of the graph (the quantizer calibrates scales from them; the accuracy report
//! compares outputs). Contractions and convolutions run in parallel with the `parallel` feature.
//!
//! [`fold_constants`] evaluates constant subgraphs ahead of time.
//!
//! Bad inputs (wrong count, shape or dtype, out-of-range indices, integer overflow) give an
//! [`EvalError`] naming the node; evaluation never panics on user data.

mod elementwise;
mod fold;
mod index;
mod linear;
mod num;
mod pool;
mod reduce;
mod shape;

use thiserror::Error;

pub use elementwise::{apply_unary, erf};
pub use fold::{FOLD_SMALL_ELEMS, fold_constants};

use crate::ir::{Graph, IrError, Node, Op, OpError, TensorFact};
use crate::tensor::{DType, Value};

/// Why a graph could not be evaluated.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// The graph itself is malformed.
    #[error("invalid graph: {0}")]
    Graph(#[from] IrError),
    /// Wrong number of input values.
    #[error("expected {expected} input values, got {got}")]
    InputCount {
        /// Declared inputs.
        expected: usize,
        /// Supplied values.
        got: usize,
    },
    /// An input value does not match its declaration.
    #[error(
        "input {index} '{name}': expected {expected_dtype} {expected:?}, got {got_dtype} {got:?}"
    )]
    InputMismatch {
        /// Input index.
        index: usize,
        /// Input name.
        name: String,
        /// Declared shape.
        expected: Vec<usize>,
        /// Declared dtype.
        expected_dtype: DType,
        /// Supplied shape.
        got: Vec<usize>,
        /// Supplied dtype.
        got_dtype: DType,
    },
    /// An operator failed on its values.
    #[error("node {index} '{node}' ({op}): {source}")]
    Node {
        /// Node index.
        index: usize,
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// The reason.
        source: OpError,
    },
}

/// Shorthand for value-level errors inside operator kernels.
pub(crate) fn bad_value(reason: impl Into<String>) -> OpError {
    OpError::Value {
        reason: reason.into(),
    }
}

/// Evaluates the graph on `inputs` (one value per [`Graph::inputs`], in order) and returns the
/// value of every node, indexed by node id. Validates the graph first.
pub fn run(graph: &Graph, inputs: &[Value]) -> Result<Vec<Value>, EvalError> {
    graph.validate()?;
    if inputs.len() != graph.inputs.len() {
        return Err(EvalError::InputCount {
            expected: graph.inputs.len(),
            got: inputs.len(),
        });
    }
    for (index, (decl, v)) in graph.inputs.iter().zip(inputs).enumerate() {
        if v.shape() != decl.shape.as_slice() || v.dtype() != decl.dtype {
            return Err(EvalError::InputMismatch {
                index,
                name: decl.name.clone(),
                expected: decl.shape.clone(),
                expected_dtype: decl.dtype,
                got: v.shape().to_vec(),
                got_dtype: v.dtype(),
            });
        }
    }
    let mut values: Vec<Value> = Vec::with_capacity(graph.nodes.len());
    for (index, node) in graph.nodes.iter().enumerate() {
        let v = match &node.op {
            Op::Input { index: i } => inputs[*i].clone(),
            op => {
                let args: Vec<&Value> = node.inputs.iter().map(|id| &values[id.0]).collect();
                eval_node(node, op, &args).map_err(|source| EvalError::Node {
                    index,
                    node: node.name.clone(),
                    op: op.name(),
                    source,
                })?
            }
        };
        values.push(v);
    }
    Ok(values)
}

/// Evaluates the graph and returns only its outputs, in [`Graph::outputs`] order.
pub fn run_outputs(graph: &Graph, inputs: &[Value]) -> Result<Vec<Value>, EvalError> {
    let all = run(graph, inputs)?;
    // Outputs may repeat a node, so clone rather than move.
    Ok(graph
        .outputs
        .iter()
        .map(|o| all[o.node.0].clone())
        .collect())
}

fn eval_node(node: &Node, op: &Op, args: &[&Value]) -> Result<Value, OpError> {
    let facts: Vec<TensorFact> = args
        .iter()
        .map(|v| TensorFact::new(v.shape().to_vec(), v.dtype()))
        .collect();
    let fact = op.infer(&facts)?;
    if fact.shape != node.shape || fact.dtype != node.dtype {
        return Err(bad_value(format!(
            "operands give {} {:?}, node declares {} {:?}",
            fact.dtype, fact.shape, node.dtype, node.shape
        )));
    }
    eval_op(op, args, &fact)
}

/// Evaluates one operator on values already checked by [`Op::infer`] (which gave `out`).
pub fn eval_op(op: &Op, args: &[&Value], out: &TensorFact) -> Result<Value, OpError> {
    match op {
        Op::Input { .. } => Err(bad_value("Input nodes take the graph's input values")),
        Op::Const(v) => Ok(v.clone()),
        Op::MatMul {
            transpose_a,
            transpose_b,
        } => linear::matmul(args[0], args[1], *transpose_a, *transpose_b, out),
        Op::Einsum { expr } => linear::einsum(expr, args, out),
        Op::Conv(spec) => linear::conv(spec, args, out),
        Op::Deconv(spec) => linear::deconv(spec, args, out),
        Op::Binary(b) => elementwise::binary(*b, args[0], args[1]),
        Op::Compare(c) => elementwise::compare(*c, args[0], args[1]),
        Op::Logic(l) => elementwise::logic(*l, args[0], args[1]),
        Op::Not => Ok(Value::Bool(args[0].as_bool()?.map(|b| !b))),
        Op::Where => elementwise::select(args[0], args[1], args[2]),
        Op::Unary(f) => elementwise::unary(*f, args[0]),
        Op::Softmax { axes } => reduce::softmax(args[0], axes, false),
        Op::LogSoftmax { axes } => reduce::softmax(args[0], axes, true),
        Op::Reduce {
            kind,
            axes,
            keepdims: _,
        } => reduce::reduce(*kind, args[0], axes, out),
        Op::RmsNorm { axis, eps } => reduce::rms_norm(args[0], *axis, *eps),
        Op::MaxPool(spec) => pool::max_pool(spec, args[0], out),
        Op::SumPool {
            pool: spec,
            normalize,
            count_include_pad,
        } => pool::sum_pool(spec, *normalize, *count_include_pad, args[0], out),
        Op::Reshape { shape } => shape::reshape(args[0], shape),
        Op::Transpose { perm } => shape::transpose(args[0], perm),
        Op::Broadcast { shape } => shape::broadcast(args[0], shape),
        Op::Concat { axis } => shape::concat(args, *axis, out),
        Op::Slice {
            axis,
            start,
            end,
            step,
        } => shape::slice(args[0], *axis, *start, *end, *step),
        Op::Pad { pads, mode, value } => shape::pad(args[0], pads, *mode, *value),
        Op::Gather { axis } => index::gather(args[0], args[1], *axis),
        Op::GatherElements { axis } => index::gather_elements(args[0], args[1], *axis),
        Op::ScatterElements { axis, reduction } => {
            index::scatter_elements(args[0], args[1], args[2], *axis, *reduction)
        }
        Op::NearestUpsample { factors } => shape::upsample(args[0], factors),
        Op::OneHot {
            axis,
            depth,
            on,
            off,
            dtype,
        } => index::one_hot(args[0], *axis, *depth, *on, *off, *dtype),
        Op::TopK {
            axis,
            k,
            largest,
            output,
        } => index::top_k(args[0], *axis, *k, *largest, *output),
        Op::Cast { to } => Ok(elementwise::cast(args[0], *to)),
        Op::Identity => Ok(args[0].clone()),
    }
}

/// Applies a dtype-generic expression to the tensor inside a [`Value`], rewrapping the result
/// in the same variant. `$body` must evaluate to `Result<Tensor<T>, OpError>`.
macro_rules! per_dtype {
    ($v:expr, |$t:ident| $body:expr) => {
        match $v {
            $crate::tensor::Value::F32($t) => $crate::tensor::Value::F32($body?),
            $crate::tensor::Value::I64($t) => $crate::tensor::Value::I64($body?),
            $crate::tensor::Value::Bool($t) => $crate::tensor::Value::Bool($body?),
        }
    };
}
pub(crate) use per_dtype;

/// Runs `f(chunk_index, chunk)` over consecutive chunks of `out` of length `chunk`, in parallel
/// with the `parallel` feature.
pub(crate) fn for_each_chunk<T: Send>(
    out: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if chunk == 0 || out.is_empty() {
        return;
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "parallel"))]
    {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    }
}

#[cfg(test)]
mod tests;
