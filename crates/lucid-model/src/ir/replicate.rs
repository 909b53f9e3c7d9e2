//! Replication of a graph along axis 0: the graph run on `copies` copies of its inputs stacked
//! along axis 0, and the block helpers ([`tile`], [`blocks_equal`], [`first_block`]) that go
//! with it.
//!
//! # Why
//!
//! Zero-knowledge mode hides every tensor with random masks, which are too small to hide
//! anything when a tensor has fewer than 16 padded entries. A small model (input `[1, 3]`,
//! output `[1, 4]`, ...) is therefore proved as `B` stacked copies of itself: the input tiled
//! `B` times along axis 0, so every per-example tensor has `B` times the entries. The prover
//! runs [`replicate`]`(graph, B)` on [`tile`]d inputs and reads the answer back with
//! [`first_block`] (checking [`blocks_equal`] on the outputs).
//!
//! # Block independence
//!
//! This is only sound when the graph treats the `B` blocks of axis 0 independently: block `i`
//! of every output depends only on block `i` of every input, by the same function as the
//! unreplicated graph. A node is *batched* when it depends (transitively) on a graph input;
//! its tensor of shape `[d0, d1, ..]` becomes `[B·d0, d1, ..]`, block `i` being rows
//! `i·d0 .. (i+1)·d0`. Constant nodes stay as they are (the same constant serves every
//! block), except where an operator needs a constant operand stacked like a batched one
//! (Concat, full-rank elementwise/batched-MatMul operands, GatherElements/ScatterElements
//! indices): it is then tiled, which makes it a batched operand whose every block is the
//! original constant. [`replicate`] refuses (naming the node) every batched node it cannot
//! argue is block-independent. By induction over the nodes, assuming every batched operand is
//! block-stacked:
//!
//! - every batched node must have rank ≥ 1 and replicated shape exactly `[B·d0, d1, ..]`
//!   (checked after shape inference); with the rules below this rules out reductions over
//!   axis 0, transposes moving it, and broadcasts repeating it;
//! - elementwise ops (Binary, Compare, Logic, Not, Where, Unary, Cast, Identity): each batched
//!   operand has the output's rank, so its axis 0 is the output's axis 0, and (shape check)
//!   its dim 0 equals the output's; output row `r` reads only row `r` of batched operands;
//! - MatMul: a batched rank-2 `a` (not transposed) has rows `m` on axis 0 and row `r` of the
//!   product reads only row `r` of `a`; a batched rank-2 `b` is refused (axis 0 is `k` or
//!   `n`); batched operands of rank ≥ 3 (equal to the output's) have a batch axis on axis 0;
//! - Einsum: the batch label is the output's first label; each batched operand has it first
//!   and only once (no diagonal), and no constant operand has it, so output index `r` on it
//!   reads index `r` of batched operands only;
//! - Conv, Deconv, MaxPool, SumPool: axis 0 is `N`, examples never mix; weights and bias must
//!   be constant;
//! - Softmax, LogSoftmax, Reduce, RmsNorm, TopK act along their axes: refused if one is 0,
//!   except that a Softmax, LogSoftmax or keepdims Reduce over axis 0 *and other axes* of an
//!   operand whose axis 0 has size 1 (a model run on one example reducing "everything") acts
//!   on axis 0 as the identity: it is replicated over the other axes only;
//!   Transpose needs `perm[0] = 0`; NearestUpsample `factors[0] = 1`; OneHot `axis ≠ 0`;
//!   Pad `pads[0] = (0, 0)`; Slice and Concat along axis 0 are refused (Concat along another
//!   axis keeps rows, its constant operands are tiled);
//! - Reshape keeps row-major order, so block `i` (the contiguous range `[i·n, (i + 1)·n)` of
//!   the buffer, `n` elements per copy) maps to block `i` whatever the shapes: the target's
//!   dim 0 is scaled by `B`, and the rules above and below only ever rely on blocks being
//!   contiguous runs of axis 0 (a reshape `[1, 3] → [3]` makes a tensor whose per-copy axis 0
//!   has 3 entries, and a later reduction along it is refused like any other);
//!   Broadcast must keep the rank and the leading dim, its target's dim 0 is scaled;
//! - Gather: batched data needs `axis ≠ 0` (indices constant, output axis 0 is data axis 0);
//!   batched indices need constant data and `axis = 0` (output axis 0 is the indices' axis
//!   0); both batched is refused;
//! - GatherElements, ScatterElements: `axis ≠ 0`, data batched, indices (and updates) batched
//!   or tiled with the data's dim 0, so position `i` keeps `i[0]` and stays in its block.
//!
//! A scalar that depends on the input (a model reducing everything to one number) is stacked
//! as one element per copy, shape `[B]`, for element-wise operators, gathers and reshapes from
//! or to one element per copy; any other operator with such a result is refused.
//!
//! Every graph output of the result is block-stacked (a constant output is tiled); a rank-0
//! constant output cannot be and is refused.

use std::collections::HashMap;

use thiserror::Error;

use super::einsum::EinsumSpec;
use super::error::IrError;
use super::graph::{Graph, GraphOutput, Node, NodeId};
use super::op::Op;
use crate::tensor::{Tensor, Value};

/// Why a graph cannot be replicated, or a tensor cannot be tiled or split into blocks.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ReplicateError {
    /// The number of copies is 0.
    #[error("the number of copies must be at least 1, got {0}")]
    Copies(usize),
    /// A node of the graph is not block-independent along axis 0 (or cannot be replicated).
    #[error("node {index} '{node}' ({op}) cannot be replicated along axis 0: {reason}")]
    Node {
        /// Node index in the original graph.
        index: usize,
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// Why.
        reason: String,
    },
    /// The original graph is invalid, or the replicated one does not validate.
    #[error(transparent)]
    Ir(#[from] IrError),
    /// A tensor of rank 0 has no axis 0 to tile or split.
    #[error("a rank-0 tensor has no axis 0 to stack")]
    Scalar,
    /// Dim 0 of a tensor is not a multiple of the number of copies.
    #[error("dim 0 of shape {shape:?} is not a multiple of {copies} copies")]
    NotMultiple {
        /// The tensor shape.
        shape: Vec<usize>,
        /// The number of copies.
        copies: usize,
    },
    /// A block index is not below the number of copies.
    #[error("block {index} out of range for {copies} copies")]
    BlockIndex {
        /// Requested block.
        index: usize,
        /// The number of copies.
        copies: usize,
    },
    /// Values to stack differ in type or shape, or there are none.
    #[error("cannot stack values of different shapes or types ({0})")]
    Stack(String),
    /// A size overflows `usize`.
    #[error("shape {shape:?} times {copies} copies overflows")]
    Overflow {
        /// The shape.
        shape: Vec<usize>,
        /// The number of copies.
        copies: usize,
    },
}

/// `shape` with dim 0 multiplied by `copies`, or an error for rank 0 or on overflow.
fn scaled(shape: &[usize], copies: usize) -> Result<Vec<usize>, ReplicateError> {
    let (&d0, rest) = shape.split_first().ok_or(ReplicateError::Scalar)?;
    let overflow = || ReplicateError::Overflow {
        shape: shape.to_vec(),
        copies,
    };
    let mut out = vec![d0.checked_mul(copies).ok_or_else(overflow)?];
    out.extend_from_slice(rest);
    crate::tensor::checked_numel(&out).map_err(|_| overflow())?;
    Ok(out)
}

/// `tensor` stacked `copies` times along axis 0 (shape `[copies·d0, ..]`); errors on rank 0,
/// `copies = 0` or overflow.
pub fn tile_tensor<T: Clone>(
    tensor: &Tensor<T>,
    copies: usize,
) -> Result<Tensor<T>, ReplicateError> {
    if copies == 0 {
        return Err(ReplicateError::Copies(copies));
    }
    let shape = scaled(tensor.shape(), copies)?;
    // Row-major with axis 0 outermost: stacking along axis 0 repeats the whole buffer.
    let mut data = Vec::with_capacity(tensor.len() * copies);
    for _ in 0..copies {
        data.extend_from_slice(tensor.data());
    }
    Tensor::new(shape, data).map_err(|_| ReplicateError::Overflow {
        shape: tensor.shape().to_vec(),
        copies,
    })
}

/// `value` stacked `copies` times along axis 0 (shape `[copies·d0, ..]`); errors on rank 0.
pub fn tile(value: &Value, copies: usize) -> Result<Value, ReplicateError> {
    Ok(match value {
        Value::F32(t) => Value::F32(tile_tensor(t, copies)?),
        Value::I64(t) => Value::I64(tile_tensor(t, copies)?),
        Value::Bool(t) => Value::Bool(tile_tensor(t, copies)?),
    })
}

/// `parts` (of one shape and type) stacked along axis 0: block `i` of the result is
/// `parts[i]`. [`tile`] is the case of equal parts.
pub fn stack(parts: &[&Value]) -> Result<Value, ReplicateError> {
    let first = parts
        .first()
        .ok_or_else(|| ReplicateError::Stack("no values".into()))?;
    if let Some(p) = parts
        .iter()
        .find(|p| p.shape() != first.shape() || p.dtype() != first.dtype())
    {
        return Err(ReplicateError::Stack(format!(
            "{} {:?} and {} {:?}",
            first.dtype(),
            first.shape(),
            p.dtype(),
            p.shape()
        )));
    }
    let shape = scaled(first.shape(), parts.len())?;
    let join = |e: crate::tensor::TensorError| ReplicateError::Stack(e.to_string());
    Ok(match first {
        Value::F32(_) => Value::F32(
            Tensor::new(shape, concat(parts, |p| p.as_f32().map_err(join))?).map_err(join)?,
        ),
        Value::I64(_) => Value::I64(
            Tensor::new(shape, concat(parts, |p| p.as_i64().map_err(join))?).map_err(join)?,
        ),
        Value::Bool(_) => Value::Bool(
            Tensor::new(shape, concat(parts, |p| p.as_bool().map_err(join))?).map_err(join)?,
        ),
    })
}

/// The buffers of `parts` (as tensors of one type), one after the other.
fn concat<'a, T: Clone + 'a>(
    parts: &[&'a Value],
    as_tensor: impl Fn(&'a Value) -> Result<&'a Tensor<T>, ReplicateError>,
) -> Result<Vec<T>, ReplicateError> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(as_tensor(p)?.data());
    }
    Ok(out)
}

/// The flat length of one block, or an error if `tensor` is not `copies` blocks along axis 0.
fn block_len<T>(tensor: &Tensor<T>, copies: usize) -> Result<usize, ReplicateError> {
    if copies == 0 {
        return Err(ReplicateError::Copies(copies));
    }
    let d0 = *tensor.shape().first().ok_or(ReplicateError::Scalar)?;
    if d0 % copies != 0 {
        return Err(ReplicateError::NotMultiple {
            shape: tensor.shape().to_vec(),
            copies,
        });
    }
    Ok(tensor.len() / copies)
}

/// Whether `tensor` (shape `[copies·d0, ..]`) is `copies` equal blocks along axis 0 (false if
/// its dim 0 is not a multiple of `copies`, if it has rank 0, or if `copies = 0`).
pub fn blocks_equal<T: PartialEq>(tensor: &Tensor<T>, copies: usize) -> bool {
    let Ok(n) = block_len(tensor, copies) else {
        return false;
    };
    let data = tensor.data();
    let first = &data[..n];
    (1..copies).all(|b| &data[b * n..(b + 1) * n] == first)
}

/// Block `index` of `copies` blocks along axis 0 (shape `[d0/copies, ..]`); errors if dim 0
/// is not a multiple of `copies`, on rank 0, or if `index ≥ copies`.
pub fn block<T: Clone>(
    tensor: &Tensor<T>,
    copies: usize,
    index: usize,
) -> Result<Tensor<T>, ReplicateError> {
    let n = block_len(tensor, copies)?;
    if index >= copies {
        return Err(ReplicateError::BlockIndex { index, copies });
    }
    let mut shape = tensor.shape().to_vec();
    shape[0] /= copies;
    let data = tensor.data()[index * n..(index + 1) * n].to_vec();
    Tensor::new(shape, data).map_err(|_| ReplicateError::NotMultiple {
        shape: tensor.shape().to_vec(),
        copies,
    })
}

/// The first of `copies` blocks along axis 0 (shape `[d0/copies, ..]`); errors if dim 0 is not
/// a multiple of `copies` or on rank 0.
pub fn first_block<T: Clone>(
    tensor: &Tensor<T>,
    copies: usize,
) -> Result<Tensor<T>, ReplicateError> {
    block(tensor, copies, 0)
}

/// [`block`] of a [`Value`].
pub fn block_value(value: &Value, copies: usize, index: usize) -> Result<Value, ReplicateError> {
    Ok(match value {
        Value::F32(t) => Value::F32(block(t, copies, index)?),
        Value::I64(t) => Value::I64(block(t, copies, index)?),
        Value::Bool(t) => Value::Bool(block(t, copies, index)?),
    })
}

/// [`first_block`] of a [`Value`].
pub fn first_block_value(value: &Value, copies: usize) -> Result<Value, ReplicateError> {
    block_value(value, copies, 0)
}

/// Whether every block of `value` along axis 0 is equal (see [`blocks_equal`]).
pub fn value_blocks_equal(value: &Value, copies: usize) -> bool {
    match value {
        Value::F32(t) => blocks_equal(t, copies),
        Value::I64(t) => blocks_equal(t, copies),
        Value::Bool(t) => blocks_equal(t, copies),
    }
}

/// The graph run on `copies` copies of its inputs stacked along axis 0: every input's shape
/// `[d0, d1, ..]` becomes `[copies·d0, d1, ..]`, and so does every node that depends on an
/// input; constants stay (or are tiled where an operator needs them stacked). Every output of
/// the result has shape `[copies·d0, ..]` and block `i` of it is the original output on block
/// `i` of every input. Errors (naming the node) when the graph is not block-independent along
/// axis 0 by the rules of the module documentation. `copies = 1` returns a clone.
pub fn replicate(graph: &Graph, copies: usize) -> Result<Graph, ReplicateError> {
    if copies == 0 {
        return Err(ReplicateError::Copies(copies));
    }
    graph.validate()?;
    if copies == 1 {
        return Ok(graph.clone());
    }
    let mut r = Replicator {
        old: graph,
        new: Graph::new(),
        copies,
        map: Vec::with_capacity(graph.nodes.len()),
        batched: Vec::with_capacity(graph.nodes.len()),
        tiled: HashMap::new(),
    };
    r.new.inputs = graph.inputs.clone();
    for (index, node) in graph.nodes.iter().enumerate() {
        r.node(index, node)?;
    }
    for out in &graph.outputs {
        let o = out.node.0;
        let node = if r.batched[o] {
            r.map[o]
        } else {
            let old = &graph.nodes[o];
            if old.shape.is_empty() {
                return Err(refuse(
                    o,
                    old,
                    format!(
                        "graph output '{}' is a rank-0 constant, which cannot be stacked",
                        out.name
                    ),
                ));
            }
            r.tiled_const(o)?
        };
        r.new.outputs.push(GraphOutput {
            node,
            name: out.name.clone(),
        });
    }
    r.new.validate()?;
    Ok(r.new)
}

/// Whether an operator with a scalar result that depends on the input can be stacked as one
/// element per copy: element-wise operators (their batched operands are scalars too, by the
/// rank rule), reshapes (one element per copy on both sides) and gathers (a scalar index into a
/// constant).
fn scalar_result_stacks(op: &Op) -> bool {
    matches!(
        op,
        Op::Reshape { .. }
            | Op::Unary(_)
            | Op::Cast { .. }
            | Op::Identity
            | Op::Binary(_)
            | Op::Compare(_)
            | Op::Logic(_)
            | Op::Not
            | Op::Where
            | Op::Gather { .. }
    )
}

/// `axes` without axis 0, when acting along axis 0 is a no-op on the model: the operand's
/// axis 0 has size 1 (a reduction or normalization over it alone changes nothing), the axis is
/// kept (`keepdims`) and other axes remain. `None` otherwise.
fn unit_axis_0_dropped(operand: &[usize], axes: &[usize], keepdims: bool) -> Option<Vec<usize>> {
    let rest: Vec<usize> = axes.iter().copied().filter(|&a| a != 0).collect();
    (operand.first() == Some(&1) && keepdims && !rest.is_empty()).then_some(rest)
}

fn refuse(index: usize, node: &Node, reason: impl Into<String>) -> ReplicateError {
    ReplicateError::Node {
        index,
        node: node.name.clone(),
        op: node.op.name(),
        reason: reason.into(),
    }
}

/// State of one [`replicate`] run.
struct Replicator<'a> {
    old: &'a Graph,
    new: Graph,
    copies: usize,
    /// New id of each old node.
    map: Vec<NodeId>,
    /// Whether each old node depends on a graph input.
    batched: Vec<bool>,
    /// Tiled versions of constant old nodes, created on demand.
    tiled: HashMap<usize, NodeId>,
}

impl Replicator<'_> {
    fn shape(&self, id: NodeId) -> &[usize] {
        &self.old.nodes[id.0].shape
    }

    fn node(&mut self, index: usize, node: &Node) -> Result<(), ReplicateError> {
        let batched = match &node.op {
            Op::Input { index: i } => {
                let shape = scaled(&node.shape, self.copies).map_err(|e| {
                    refuse(
                        index,
                        node,
                        format!("the input of shape {:?}: {e}", node.shape),
                    )
                })?;
                self.new.inputs[*i].shape = shape.clone();
                self.new.nodes.push(Node {
                    name: node.name.clone(),
                    op: Op::Input { index: *i },
                    inputs: Vec::new(),
                    shape,
                    dtype: node.dtype,
                });
                self.map.push(NodeId(self.new.nodes.len() - 1));
                self.batched.push(true);
                return Ok(());
            }
            Op::Const(v) => {
                let id = self.new.add_const(node.name.clone(), v.clone());
                self.map.push(id);
                self.batched.push(false);
                return Ok(());
            }
            _ => node.inputs.iter().any(|id| self.batched[id.0]),
        };
        if !batched {
            // A node computed only from constants stays as it is.
            let inputs = node.inputs.iter().map(|id| self.map[id.0]).collect();
            let id = self.new.push(node.name.clone(), node.op.clone(), inputs)?;
            self.map.push(id);
            self.batched.push(false);
            return Ok(());
        }
        let expected = if node.shape.is_empty() {
            // A scalar that depends on the input becomes one element per copy, `[copies]`,
            // for the operators that keep elements in place (and a reshape from or to one
            // element per copy); any other operator on it is refused.
            if !scalar_result_stacks(&node.op) {
                return Err(refuse(
                    index,
                    node,
                    "its scalar result depends on an input and this operator cannot keep one element per copy",
                ));
            }
            vec![self.copies]
        } else {
            scaled(&node.shape, self.copies).map_err(|e| {
                refuse(
                    index,
                    node,
                    format!(
                        "its result of shape {:?} depends on an input: {e}",
                        node.shape
                    ),
                )
            })?
        };
        let (op, inputs) = self
            .plan(node)
            .map_err(|reason| refuse(index, node, reason))?;
        let id = self.new.push(node.name.clone(), op, inputs).map_err(|e| {
            refuse(
                index,
                node,
                format!("shape inference fails on the stacked operands (the operator mixes blocks along axis 0): {e}"),
            )
        })?;
        let got = &self.new.nodes[id.0];
        if got.shape != expected || got.dtype != node.dtype {
            return Err(refuse(
                index,
                node,
                format!(
                    "the stacked result is {} {:?}, expected {} {:?} (the operator mixes blocks along axis 0)",
                    got.dtype, got.shape, node.dtype, expected
                ),
            ));
        }
        self.map.push(id);
        self.batched.push(true);
        Ok(())
    }

    /// A constant old node stacked `copies` times along axis 0 in the new graph: a tiled
    /// `Const` for a constant, a `Concat` along axis 0 of copies of a node computed from
    /// constants.
    fn tiled_const(&mut self, old: usize) -> Result<NodeId, ReplicateError> {
        if let Some(&id) = self.tiled.get(&old) {
            return Ok(id);
        }
        let old_graph = self.old;
        let node = &old_graph.nodes[old];
        let name = format!("{}/tiled", node.name);
        let id = match &node.op {
            Op::Const(v) => {
                let v = tile(v, self.copies)
                    .map_err(|e| refuse(old, node, format!("cannot tile the constant: {e}")))?;
                self.new.add_const(name, v)
            }
            _ => {
                let parts = vec![self.map[old]; self.copies];
                self.new.push(name, Op::Concat { axis: 0 }, parts)?
            }
        };
        self.tiled.insert(old, id);
        Ok(id)
    }

    /// Operand `k` of a batched node, tiled if it is constant.
    fn stacked(&mut self, node: &Node, k: usize) -> Result<NodeId, String> {
        let id = node.inputs[k];
        if self.batched[id.0] {
            return Ok(self.map[id.0]);
        }
        self.tiled_const(id.0).map_err(|e| e.to_string())
    }

    /// Checks the rules for a batched node and gives its replicated operator and operands, or
    /// the reason for refusing it.
    fn plan(&mut self, node: &Node) -> Result<(Op, Vec<NodeId>), String> {
        let ins = &node.inputs;
        let b: Vec<bool> = ins.iter().map(|id| self.batched[id.0]).collect();
        let mut inputs: Vec<NodeId> = ins.iter().map(|id| self.map[id.0]).collect();
        let out_rank = node.shape.len();
        // Rank ≥ 1: the caller refused rank-0 batched results.
        let d0 = node.shape.first().copied().unwrap_or(0);
        let copies = self.copies;
        let op = node.op.clone();
        match &node.op {
            Op::Input { .. } | Op::Const(_) => {
                return Err("internal: inputs and constants are not planned".into());
            }
            Op::Binary(_)
            | Op::Compare(_)
            | Op::Logic(_)
            | Op::Not
            | Op::Where
            | Op::Unary(_)
            | Op::Cast { .. }
            | Op::Identity => {
                for (k, &id) in ins.iter().enumerate() {
                    let r = self.shape(id).len();
                    if b[k] && r != out_rank {
                        return Err(format!(
                            "batched operand {k} has rank {r} but the result has rank {out_rank}, so its axis 0 is not the result's axis 0"
                        ));
                    }
                    // A full-rank constant repeating the leading dim must be stacked too.
                    if !b[k] && r == out_rank && out_rank > 0 && d0 != 1 && self.shape(id)[0] == d0
                    {
                        inputs[k] = self.stacked(node, k)?;
                    }
                }
            }
            Op::MatMul { transpose_a, .. } => {
                for (k, &id) in ins.iter().enumerate() {
                    let r = self.shape(id).len();
                    if b[k] {
                        if r != out_rank {
                            return Err(format!(
                                "batched operand {k} has rank {r} but the product has rank {out_rank}"
                            ));
                        }
                        if r == 2 && k == 1 {
                            return Err(
                                "batched right operand of rank 2 (its axis 0 is the contracted or column axis)"
                                    .into(),
                            );
                        }
                        if r == 2 && *transpose_a {
                            return Err(
                                "batched left operand of rank 2 with transpose_a (its axis 0 is the contracted axis)"
                                    .into(),
                            );
                        }
                    } else if r == out_rank && r >= 3 && d0 != 1 && self.shape(id)[0] == d0 {
                        inputs[k] = self.stacked(node, k)?;
                    }
                }
            }
            Op::Einsum { expr } => {
                let spec = EinsumSpec::parse(expr).map_err(|e| e.to_string())?;
                let &label = spec.output.first().ok_or("einsum output has rank 0")?;
                for (k, labels) in spec.inputs.iter().enumerate() {
                    let uses = labels.iter().filter(|&&l| l == label).count();
                    let ok = if b[k] {
                        labels.first() == Some(&label) && uses == 1
                    } else {
                        uses == 0
                    };
                    if !ok {
                        return Err(format!(
                            "in '{expr}' the batch label '{}' (the output's first) must be the first label, once, of every batched operand and absent from constant ones; operand {k} ({}) breaks this",
                            label as char,
                            if b[k] { "batched" } else { "constant" }
                        ));
                    }
                }
            }
            Op::Conv(_) | Op::Deconv(_) => {
                if let Some(k) = (1..ins.len()).find(|&k| b[k]) {
                    return Err(format!(
                        "operand {k} ({}) depends on an input; weights and bias must be constant",
                        if k == 1 { "weight" } else { "bias" }
                    ));
                }
            }
            Op::MaxPool(_) | Op::SumPool { .. } => {}
            Op::Softmax { axes } | Op::LogSoftmax { axes } if axes.contains(&0) => {
                let rest =
                    unit_axis_0_dropped(self.shape(ins[0]), axes, true).ok_or_else(|| {
                        format!("normalizes over axes {axes:?}, which include axis 0")
                    })?;
                let op = match &node.op {
                    Op::Softmax { .. } => Op::Softmax { axes: rest },
                    _ => Op::LogSoftmax { axes: rest },
                };
                return Ok((op, inputs));
            }
            Op::Softmax { .. } | Op::LogSoftmax { .. } => {}
            Op::Reduce {
                kind,
                axes,
                keepdims,
            } if axes.contains(&0) => {
                let rest = unit_axis_0_dropped(self.shape(ins[0]), axes, *keepdims)
                    .ok_or_else(|| format!("reduces over axes {axes:?}, which include axis 0"))?;
                let op = Op::Reduce {
                    kind: *kind,
                    axes: rest,
                    keepdims: true,
                };
                return Ok((op, inputs));
            }
            Op::Reduce { .. } => {}
            Op::RmsNorm { axis: 0, .. } => return Err("normalizes over axis 0".into()),
            Op::RmsNorm { .. } => {}
            Op::TopK { axis: 0, .. } => return Err("selects along axis 0".into()),
            Op::TopK { .. } => {}
            Op::Transpose { perm } if perm.first() != Some(&0) => {
                return Err(format!("permutation {perm:?} moves axis 0"));
            }
            Op::Transpose { .. } => {}
            Op::NearestUpsample { factors } if factors.first() != Some(&1) => {
                return Err(format!("upsamples axis 0 (factors {factors:?})"));
            }
            Op::NearestUpsample { .. } => {}
            Op::OneHot { axis: 0, .. } => {
                return Err("inserts the one-hot axis at axis 0".into());
            }
            Op::OneHot { .. } => {}
            Op::Pad { pads, .. } if pads.first() != Some(&(0, 0)) => {
                return Err(format!("pads axis 0 by {:?}", pads.first()));
            }
            Op::Pad { .. } => {}
            Op::Slice { axis: 0, .. } => return Err("slices along axis 0".into()),
            Op::Slice { .. } => {}
            Op::Concat { axis: 0 } => return Err("concatenates along axis 0".into()),
            Op::Concat { .. } => {
                for k in 0..ins.len() {
                    if !b[k] {
                        inputs[k] = self.stacked(node, k)?;
                    }
                }
            }
            Op::Reshape { shape } => {
                let from = self.shape(ins[0]);
                let one = |s: &[usize]| s.iter().product::<usize>() == 1;
                if one(from) && one(shape) {
                    // One element per copy on both sides (a scalar is `[copies]` once
                    // stacked): the copies stay in order.
                    let target = if shape.is_empty() {
                        vec![copies]
                    } else {
                        scaled(shape, copies).map_err(|e| e.to_string())?
                    };
                    return Ok((Op::Reshape { shape: target }, inputs));
                }
                // Any other reshape (both sides of rank ≥ 1): block `i` is the contiguous
                // range `[i·n, (i + 1)·n)` of the row-major buffer (`n` elements per copy) on
                // both sides, i.e. rows `i·t0 .. (i + 1)·t0` of the scaled target.
                return Ok((
                    Op::Reshape {
                        shape: scaled(shape, copies).map_err(|e| e.to_string())?,
                    },
                    inputs,
                ));
            }
            Op::Broadcast { shape } => {
                let from = self.shape(ins[0]);
                if from.len() != shape.len() || from.first() != shape.first() {
                    return Err(format!(
                        "broadcasts {from:?} to {shape:?}: rank and leading dim must be kept"
                    ));
                }
                return Ok((
                    Op::Broadcast {
                        shape: scaled(shape, copies).map_err(|e| e.to_string())?,
                    },
                    inputs,
                ));
            }
            Op::Gather { axis } => match (b[0], b[1], *axis) {
                (true, true, _) => {
                    return Err("both data and indices depend on an input".into());
                }
                (true, false, 0) => return Err("gathers batched data along axis 0".into()),
                (false, true, a) if a != 0 => {
                    return Err(format!(
                        "batched indices into constant data along axis {a} (must be 0, so the result's axis 0 is the indices' axis 0)"
                    ));
                }
                _ => {}
            },
            Op::GatherElements { axis } | Op::ScatterElements { axis, .. } => {
                if *axis == 0 {
                    return Err("indexes along axis 0".into());
                }
                if !b[0] {
                    return Err("batched indices or updates into constant data".into());
                }
                let data_d0 = self.shape(ins[0])[0];
                for k in 1..ins.len() {
                    let dk = self.shape(ins[k])[0];
                    if dk != data_d0 {
                        return Err(format!(
                            "operand {k} has dim 0 = {dk} but the data has {data_d0} (rows would shift between blocks)"
                        ));
                    }
                    if !b[k] {
                        inputs[k] = self.stacked(node, k)?;
                    }
                }
            }
        }
        Ok((op, inputs))
    }
}

#[cfg(test)]
#[path = "replicate_tests.rs"]
mod tests;
