//! The exact integer interpreter of the quantized graph. Its run IS the prover's witness: every
//! node's integer tensor, computed deterministically with exactly the semantics documented on
//! [`QOp`], plus the dequantized outputs.
//!
//! Inputs are quantized as the graph's `Input` nodes say (round half away from zero at the
//! input's scale, clamped into its proven range), so every later value lies in the range the
//! quantizer proved; a value outside it is reported as an internal error rather than ignored.

pub mod kernels;

use thiserror::Error;

use crate::float_eval;
use crate::ir::{Op, OpError, TensorFact};
use crate::quant::fixed::{clamp_i128, quantize, rescale};
use crate::quant::graph::{QGraph, QKind, QNode, QOp};
use crate::quant::table::Table;
use crate::tensor::{DType, Tensor, TensorError, Value};

use kernels::IntReduce;

/// Errors of the integer interpreter.
#[derive(Debug, Error)]
pub enum IntEvalError {
    /// Wrong number of inputs.
    #[error("expected {expected} inputs, got {got}")]
    InputCount {
        /// Inputs of the graph.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
    /// An input has the wrong shape or type.
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
        /// Declared type.
        expected_dtype: DType,
        /// Given shape.
        got: Vec<usize>,
        /// Given type.
        got_dtype: DType,
    },
    /// Inconsistent shapes inside a kernel (a malformed quantized graph).
    #[error("shape error: {reason}")]
    Shape {
        /// What is wrong.
        reason: String,
    },
    /// A node failed.
    #[error("node {index} '{node}' ({op}): {reason}")]
    Node {
        /// Quantized node index.
        index: usize,
        /// Node name.
        node: String,
        /// Operator.
        op: &'static str,
        /// Why.
        reason: String,
    },
}

/// The result of a run: the witness and the dequantized outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Witness {
    /// The integer tensor of every node of the quantized graph (booleans as 0/1).
    pub tensors: Vec<Tensor<i64>>,
    /// The graph outputs, dequantized (`f32` for fixed point), in output order.
    pub outputs: Vec<Value>,
}

impl Witness {
    /// The dequantized value of IR node `ir_node` (if the quantized graph holds it).
    pub fn ir_value(&self, q: &QGraph, ir_node: usize) -> Option<Value> {
        let id = (*q.ir_map.get(ir_node)?)?;
        Some(q.dequantize(id, &self.tensors[id]))
    }
}

fn to_value(kind: QKind, t: &Tensor<i64>) -> Value {
    match kind {
        QKind::Bool => t.map(|&v| v != 0).into(),
        _ => t.clone().into(),
    }
}

fn from_value(v: Value) -> Result<Tensor<i64>, TensorError> {
    match v {
        Value::I64(t) => Ok(t),
        Value::Bool(t) => Ok(t.map(|&b| i64::from(b))),
        Value::F32(_) => Err(TensorError::DType {
            expected: DType::I64,
            got: DType::F32,
        }),
    }
}

/// Quantizes one input value as input node `node` prescribes.
fn quantize_input(node: &QNode, v: &Value) -> Tensor<i64> {
    let (lo, hi) = (node.range.lo as i64, node.range.hi as i64);
    match v {
        Value::F32(t) => t.map(|&x| quantize(x as f64, node.scale, lo, hi)),
        Value::I64(t) => t.map(|&x| x.clamp(lo, hi)),
        Value::Bool(t) => t.map(|&b| i64::from(b)),
    }
}

/// Runs the quantized graph on `inputs` (one per graph input, in order; the dtype must match the
/// input's kind: `f32` for fixed point).
pub fn run(q: &QGraph, inputs: &[Value]) -> Result<Witness, IntEvalError> {
    q.validate()
        .map_err(|reason| IntEvalError::Shape { reason })?;
    if inputs.len() != q.inputs.len() {
        return Err(IntEvalError::InputCount {
            expected: q.inputs.len(),
            got: inputs.len(),
        });
    }
    for (index, (decl, v)) in q.inputs.iter().zip(inputs).enumerate() {
        if v.shape() != decl.shape.as_slice() || v.dtype() != decl.kind.dtype() {
            return Err(IntEvalError::InputMismatch {
                index,
                name: decl.name.clone(),
                expected: decl.shape.clone(),
                expected_dtype: decl.kind.dtype(),
                got: v.shape().to_vec(),
                got_dtype: v.dtype(),
            });
        }
    }
    let mut tensors: Vec<Tensor<i64>> = Vec::with_capacity(q.nodes.len());
    let mut tables: Vec<Table> = Vec::new();
    for (index, node) in q.nodes.iter().enumerate() {
        let fail = |reason: String| IntEvalError::Node {
            index,
            node: node.name.clone(),
            op: node.op.name(),
            reason,
        };
        let args: Vec<&Tensor<i64>> = node.inputs.iter().map(|&i| &tensors[i]).collect();
        let t = match &node.op {
            QOp::Input { index: i } => quantize_input(node, &inputs[*i]),
            _ => eval_node(q, node, &args, &mut tables).map_err(|e| fail(e.to_string()))?,
        };
        if t.shape() != node.shape.as_slice() {
            return Err(fail(format!(
                "produced shape {:?}, declared {:?}",
                t.shape(),
                node.shape
            )));
        }
        if let Some(v) = t
            .data()
            .iter()
            .find(|&&v| !(node.range.lo..=node.range.hi).contains(&(v as i128)))
        {
            return Err(fail(format!(
                "value {v} outside the proven range [{}, {}]",
                node.range.lo, node.range.hi
            )));
        }
        tensors.push(t);
    }
    let outputs = q
        .outputs
        .iter()
        .map(|o| q.dequantize(o.node, &tensors[o.node]))
        .collect();
    Ok(Witness { tensors, outputs })
}

fn binary(
    a: &Tensor<i64>,
    b: &Tensor<i64>,
    f: impl Fn(i64, i64) -> i64,
) -> Result<Tensor<i64>, IntEvalError> {
    a.zip_broadcast(b, |&x, &y| f(x, y))
        .map_err(|e| IntEvalError::Shape {
            reason: e.to_string(),
        })
}

fn eval_node(
    q: &QGraph,
    node: &QNode,
    args: &[&Tensor<i64>],
    tables: &mut Vec<Table>,
) -> Result<Tensor<i64>, IntEvalError> {
    match &node.op {
        QOp::Input { .. } => Err(IntEvalError::Shape {
            reason: "input handled by run".into(),
        }),
        QOp::Const(t) => Ok(t.clone()),
        QOp::MatMul {
            transpose_a,
            transpose_b,
        } => kernels::matmul(args[0], args[1], *transpose_a, *transpose_b),
        QOp::Einsum { expr } => kernels::einsum(expr, args),
        QOp::Conv(spec) => kernels::conv(args[0], args[1], args.get(2).copied(), spec),
        QOp::Deconv(spec) => kernels::deconv(args[0], args[1], args.get(2).copied(), spec),
        QOp::Add { shifts } => {
            let (sa, sb) = (shifts[0], shifts[1]);
            binary(args[0], args[1], |x, y| (x << sa) + (y << sb))
        }
        QOp::Sub { shifts } => {
            let (sa, sb) = (shifts[0], shifts[1]);
            binary(args[0], args[1], |x, y| (x << sa) - (y << sb))
        }
        QOp::Mul => binary(args[0], args[1], |x, y| x * y),
        QOp::SumPool(spec) => kernels::pool(args[0], spec, false),
        QOp::ReduceSum { axes, keepdims } => {
            kernels::reduce(args[0], axes, *keepdims, IntReduce::Sum)
        }
        QOp::Requant {
            shift,
            rounding,
            lo,
            hi,
        } => Ok(args[0].map(|&x| clamp_i128(rescale(x as i128, *shift, *rounding), *lo, *hi))),
        QOp::Table(spec) => {
            // Tables are rebuilt from their parameters (deterministic), exactly as the prover
            // does; each distinct table once per run.
            let pos = match tables.iter().position(|t| t.spec == *spec) {
                Some(p) => p,
                None => {
                    let t = Table::new(*spec).map_err(|e| IntEvalError::Shape {
                        reason: e.to_string(),
                    })?;
                    tables.push(t);
                    tables.len() - 1
                }
            };
            let table = &tables[pos];
            Ok(args[0].map(|&x| table.lookup(x)))
        }
        QOp::Exact(Op::MaxPool(spec)) => kernels::pool(args[0], spec, true),
        QOp::Exact(op) => {
            let values: Vec<Value> = node
                .inputs
                .iter()
                .zip(args)
                .map(|(&i, t)| to_value(q.nodes[i].kind, t))
                .collect();
            let refs: Vec<&Value> = values.iter().collect();
            let dtype = if node.kind == QKind::Bool {
                DType::Bool
            } else {
                DType::I64
            };
            let facts: Vec<TensorFact> = values
                .iter()
                .map(|v| TensorFact::new(v.shape().to_vec(), v.dtype()))
                .collect();
            let fact = op.infer(&facts).map_err(|e| IntEvalError::Shape {
                reason: e.to_string(),
            })?;
            if fact.shape != node.shape {
                return Err(IntEvalError::Shape {
                    reason: format!(
                        "operands give {:?}, node declares {:?}",
                        fact.shape, node.shape
                    ),
                });
            }
            let fact = TensorFact::new(node.shape.clone(), dtype);
            let v = float_eval::eval_op(op, &refs, &fact).map_err(|e: OpError| {
                IntEvalError::Shape {
                    reason: e.to_string(),
                }
            })?;
            from_value(v).map_err(|e| IntEvalError::Shape {
                reason: e.to_string(),
            })
        }
    }
}
