//! Dead-node elimination: keep only what the graph outputs depend on (and every input).

use super::graph::{Graph, GraphOutput, NodeId};
use super::op::Op;

impl Graph {
    /// For each node, the nodes that read it (in graph order).
    pub fn consumers(&self) -> Vec<Vec<NodeId>> {
        let mut users = vec![Vec::new(); self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for id in &n.inputs {
                if let Some(u) = users.get_mut(id.0) {
                    u.push(NodeId(i));
                }
            }
        }
        users
    }

    /// A copy without the nodes no output depends on. `Input` nodes are always kept (the
    /// graph's input signature does not change); node order is preserved and ids renumbered.
    /// Assumes a graph that passed [`Graph::validate`] (references out of range are dropped).
    pub fn prune(&self) -> Graph {
        let n = self.nodes.len();
        let mut live = vec![false; n];
        for o in &self.outputs {
            if let Some(l) = live.get_mut(o.node.0) {
                *l = true;
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if matches!(node.op, Op::Input { .. }) {
                live[i] = true;
            }
        }
        for i in (0..n).rev() {
            if live[i] {
                for id in &self.nodes[i].inputs {
                    if id.0 < i {
                        live[id.0] = true;
                    }
                }
            }
        }
        let mut remap = vec![None; n];
        let mut nodes = Vec::with_capacity(live.iter().filter(|l| **l).count());
        for (i, node) in self.nodes.iter().enumerate() {
            if !live[i] {
                continue;
            }
            let mut node = node.clone();
            node.inputs = node
                .inputs
                .iter()
                .filter_map(|id| remap.get(id.0).copied().flatten())
                .collect();
            remap[i] = Some(NodeId(nodes.len()));
            nodes.push(node);
        }
        let outputs = self
            .outputs
            .iter()
            .filter_map(|o| {
                remap
                    .get(o.node.0)
                    .copied()
                    .flatten()
                    .map(|node| GraphOutput {
                        node,
                        name: o.name.clone(),
                    })
            })
            .collect();
        Graph {
            nodes,
            inputs: self.inputs.clone(),
            outputs,
        }
    }
}
