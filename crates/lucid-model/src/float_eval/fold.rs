//! Constant folding: every node whose operands are all constants is evaluated (with the float
//! interpreter, i.e. the model's reference semantics) and replaced by a `Const`; dead nodes
//! are then pruned. Folding never grows the constants much: a node is folded only when its
//! output has at most as many elements as its operands together, or at most
//! [`FOLD_SMALL_ELEMS`] (so `Broadcast` of a scalar to a large shape stays an operator).

use super::{EvalError, eval_op};
use crate::ir::{Graph, Op, TensorFact};
use crate::tensor::numel;

/// Outputs up to this many elements are always folded.
pub const FOLD_SMALL_ELEMS: usize = 4096;

/// Folds constant subgraphs and prunes dead nodes; the result computes the same outputs.
pub fn fold_constants(graph: &Graph) -> Result<Graph, EvalError> {
    graph.validate()?;
    let mut g = graph.clone();
    for index in 0..g.nodes.len() {
        let node = &g.nodes[index];
        if matches!(node.op, Op::Input { .. } | Op::Const(_)) || node.inputs.is_empty() {
            continue;
        }
        let mut args = Vec::with_capacity(node.inputs.len());
        for id in &node.inputs {
            match &g.nodes[id.0].op {
                Op::Const(v) => args.push(v),
                _ => break,
            }
        }
        if args.len() != node.inputs.len() {
            continue;
        }
        let in_elems: usize = args.iter().map(|v| v.len()).sum();
        let out_elems = numel(&node.shape);
        if out_elems > in_elems && out_elems > FOLD_SMALL_ELEMS {
            continue;
        }
        let fact = TensorFact::new(node.shape.clone(), node.dtype);
        let value = eval_op(&node.op, &args, &fact).map_err(|source| EvalError::Node {
            index,
            node: node.name.clone(),
            op: node.op.name(),
            source,
        })?;
        let node = &mut g.nodes[index];
        node.op = Op::Const(value);
        node.inputs.clear();
    }
    let g = g.prune();
    g.validate()?;
    Ok(g)
}
