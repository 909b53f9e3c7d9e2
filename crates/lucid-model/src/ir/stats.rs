//! Graph statistics for `lucid inspect`: operator counts, parameter count and the
//! multiply-accumulate (MAC) count of every node.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::einsum::EinsumSpec;
use super::graph::Graph;
use super::op::Op;
use crate::tensor::{DType, numel};

/// Statistics of one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    /// Node name.
    pub name: String,
    /// Operator name.
    pub op: String,
    /// Output shape.
    pub shape: Vec<usize>,
    /// Multiply-accumulates of contractions (MatMul, Einsum, Conv, Deconv); 0 otherwise.
    pub macs: u64,
    /// Window reads of pooling nodes (output elements × window size); 0 otherwise.
    pub window_reads: u64,
    /// Output element count.
    pub output_elems: u64,
}

/// Whole-graph statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphStats {
    /// Number of nodes per operator name (including Input and Const).
    pub op_counts: BTreeMap<String, usize>,
    /// Number of F32 constant elements (weights, biases).
    pub params: u64,
    /// Number of I64/Bool constant elements (index tables, masks).
    pub int_const_elems: u64,
    /// Total multiply-accumulates.
    pub macs: u64,
    /// Per node, in graph order.
    pub nodes: Vec<NodeStats>,
}

fn prod_u64(dims: &[usize]) -> u64 {
    dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64))
}

impl Graph {
    /// Operator counts, parameter count and MACs per node. Assumes a graph that passed
    /// [`Graph::validate`]; malformed nodes count as 0 MACs rather than failing.
    pub fn stats(&self) -> GraphStats {
        let mut op_counts = BTreeMap::new();
        let (mut params, mut int_const_elems, mut total) = (0u64, 0u64, 0u64);
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            *op_counts.entry(node.op.name().to_string()).or_insert(0) += 1;
            let in_shape = |k: usize| -> &[usize] {
                node.inputs
                    .get(k)
                    .and_then(|id| self.nodes.get(id.0))
                    .map_or(&[][..], |n| n.shape.as_slice())
            };
            let out_elems = prod_u64(&node.shape);
            let mut macs = 0u64;
            let mut window_reads = 0u64;
            match &node.op {
                Op::Const(v) => {
                    if v.dtype() == DType::F32 {
                        params += numel(v.shape()) as u64;
                    } else {
                        int_const_elems += numel(v.shape()) as u64;
                    }
                }
                Op::MatMul { transpose_a, .. } => {
                    let a = in_shape(0);
                    if a.len() >= 2 {
                        let k = if *transpose_a {
                            a[a.len() - 2]
                        } else {
                            a[a.len() - 1]
                        };
                        macs = out_elems.saturating_mul(k as u64);
                    }
                }
                Op::Einsum { expr } => {
                    if let Ok(spec) = EinsumSpec::parse(expr) {
                        let shapes: Vec<&[usize]> = (0..node.inputs.len()).map(in_shape).collect();
                        if let Ok(sizes) = spec.label_sizes(&shapes) {
                            macs = spec.all_labels().iter().fold(1u64, |a, &l| {
                                a.saturating_mul(sizes[l as usize].unwrap_or(1) as u64)
                            });
                        }
                    }
                }
                Op::Conv(_) => {
                    let w = in_shape(1);
                    if w.len() >= 2 {
                        // Each output element reads C/group × kernel weights.
                        macs = out_elems.saturating_mul(prod_u64(&w[1..]));
                    }
                }
                Op::Deconv(_) => {
                    let (x, w) = (in_shape(0), in_shape(1));
                    if w.len() >= 2 {
                        // Each input element is scattered to O/group × kernel outputs.
                        macs = prod_u64(x).saturating_mul(prod_u64(&w[1..]));
                    }
                }
                Op::MaxPool(p) | Op::SumPool { pool: p, .. } => {
                    window_reads = out_elems.saturating_mul(prod_u64(&p.kernel));
                }
                _ => {}
            }
            total = total.saturating_add(macs);
            nodes.push(NodeStats {
                name: node.name.clone(),
                op: node.op.name().to_string(),
                shape: node.shape.clone(),
                macs,
                window_reads,
                output_elems: out_elems,
            });
        }
        GraphStats {
            op_counts,
            params,
            int_const_elems,
            macs: total,
            nodes,
        }
    }
}
