//! The graph: nodes in topological order, each producing one tensor with a static type.

use serde::{Deserialize, Serialize};

use super::error::{IrError, OpError};
use super::infer::TensorFact;
use super::op::Op;
use crate::tensor::{DType, Value};

/// Index of a node in [`Graph::nodes`]; also names the node's (single) output tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub usize);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A declared graph input (the values a user supplies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphInput {
    /// Name in the ONNX model.
    pub name: String,
    /// Fixed shape.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
}

/// A graph output: a node's tensor under the ONNX output name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphOutput {
    /// The node producing it.
    pub node: NodeId,
    /// Name in the ONNX model.
    pub name: String,
}

/// One operator application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Name from the ONNX/tract graph (for messages); need not be unique.
    pub name: String,
    /// The operator.
    pub op: Op,
    /// Operand nodes, each strictly earlier in [`Graph::nodes`].
    pub inputs: Vec<NodeId>,
    /// Static output shape.
    pub shape: Vec<usize>,
    /// Output element type.
    pub dtype: DType,
}

impl Node {
    /// The output type of this node.
    pub fn fact(&self) -> TensorFact {
        TensorFact::new(self.shape.clone(), self.dtype)
    }
}

/// A model as a DAG of [`Node`]s in topological order. Build it with [`Graph::add_input`],
/// [`Graph::push`] (which infers and stores each node's type) and [`Graph::add_output`];
/// check a deserialized graph with [`Graph::validate`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Graph {
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
    /// Declared inputs; input `i` is read by the node with `Op::Input { index: i }`.
    pub inputs: Vec<GraphInput>,
    /// Outputs in ONNX order.
    pub outputs: Vec<GraphOutput>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a graph input and appends the `Input` node that reads it.
    pub fn add_input(
        &mut self,
        name: impl Into<String>,
        shape: Vec<usize>,
        dtype: DType,
    ) -> NodeId {
        let name = name.into();
        let index = self.inputs.len();
        self.inputs.push(GraphInput {
            name: name.clone(),
            shape: shape.clone(),
            dtype,
        });
        self.nodes.push(Node {
            name,
            op: Op::Input { index },
            inputs: Vec::new(),
            shape,
            dtype,
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Appends a constant node.
    pub fn add_const(&mut self, name: impl Into<String>, value: Value) -> NodeId {
        let shape = value.shape().to_vec();
        let dtype = value.dtype();
        self.nodes.push(Node {
            name: name.into(),
            op: Op::Const(value),
            inputs: Vec::new(),
            shape,
            dtype,
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Appends a node after inferring its output type; errors (naming the node) if the inputs
    /// are missing or rejected by the operator.
    pub fn push(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: Vec<NodeId>,
    ) -> Result<NodeId, IrError> {
        let name = name.into();
        let index = self.nodes.len();
        if let Op::Input { index: i } = op {
            return Err(IrError::BadInput {
                index: i,
                reason: format!("node '{name}': use Graph::add_input to create Input nodes"),
            });
        }
        let mut facts = Vec::with_capacity(inputs.len());
        for (k, id) in inputs.iter().enumerate() {
            match self.nodes.get(id.0) {
                Some(n) => facts.push(n.fact()),
                None => {
                    return Err(IrError::BadInputRef {
                        index,
                        node: name,
                        op: op.name(),
                        input: k,
                        target: id.0,
                    });
                }
            }
        }
        let fact = op.infer(&facts).map_err(|source| IrError::Node {
            index,
            node: name.clone(),
            op: op.name(),
            source,
        })?;
        self.nodes.push(Node {
            name,
            op,
            inputs,
            shape: fact.shape,
            dtype: fact.dtype,
        });
        Ok(NodeId(index))
    }

    /// Marks a node's tensor as a graph output.
    pub fn add_output(&mut self, node: NodeId, name: impl Into<String>) -> Result<(), IrError> {
        let name = name.into();
        if node.0 >= self.nodes.len() {
            return Err(IrError::BadOutput {
                name,
                target: node.0,
            });
        }
        self.outputs.push(GraphOutput { node, name });
        Ok(())
    }

    /// The node with this id, if any.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0)
    }

    /// The input facts of node `index` (its operands' stored types).
    pub fn input_facts(&self, index: usize) -> Result<Vec<TensorFact>, IrError> {
        let node = self.nodes.get(index).ok_or(IrError::BadOutput {
            name: "<node>".into(),
            target: index,
        })?;
        node.inputs
            .iter()
            .enumerate()
            .map(|(k, id)| {
                if id.0 >= index {
                    return Err(IrError::BadInputRef {
                        index,
                        node: node.name.clone(),
                        op: node.op.name(),
                        input: k,
                        target: id.0,
                    });
                }
                Ok(self.nodes[id.0].fact())
            })
            .collect()
    }

    /// Checks the whole graph: topological order (every operand strictly earlier), every
    /// operator's input count/dtypes/shapes, that stored output types match inference, that
    /// each graph input is read by exactly one consistent `Input` node, and that outputs exist.
    pub fn validate(&self) -> Result<(), IrError> {
        let mut input_seen = vec![false; self.inputs.len()];
        for (index, node) in self.nodes.iter().enumerate() {
            let facts = self.input_facts(index)?;
            let inferred = match &node.op {
                Op::Input { index: i } => {
                    let decl = self.inputs.get(*i).ok_or_else(|| IrError::BadInput {
                        index: *i,
                        reason: format!("node {index} '{}' reads a missing input", node.name),
                    })?;
                    if !facts.is_empty() {
                        return Err(IrError::Node {
                            index,
                            node: node.name.clone(),
                            op: "Input",
                            source: OpError::InputCount {
                                expected: "0".into(),
                                got: facts.len(),
                            },
                        });
                    }
                    if std::mem::replace(&mut input_seen[*i], true) {
                        return Err(IrError::BadInput {
                            index: *i,
                            reason: "read by more than one Input node".into(),
                        });
                    }
                    TensorFact::new(decl.shape.clone(), decl.dtype)
                }
                op => op.infer(&facts).map_err(|source| IrError::Node {
                    index,
                    node: node.name.clone(),
                    op: op.name(),
                    source,
                })?,
            };
            if inferred.shape != node.shape || inferred.dtype != node.dtype {
                return Err(IrError::StaleShape {
                    index,
                    node: node.name.clone(),
                    op: node.op.name(),
                    declared: node.shape.clone(),
                    declared_dtype: node.dtype,
                    inferred: inferred.shape,
                    inferred_dtype: inferred.dtype,
                });
            }
        }
        if let Some(i) = input_seen.iter().position(|s| !s) {
            return Err(IrError::BadInput {
                index: i,
                reason: "not read by any Input node".into(),
            });
        }
        for o in &self.outputs {
            if o.node.0 >= self.nodes.len() {
                return Err(IrError::BadOutput {
                    name: o.name.clone(),
                    target: o.node.0,
                });
            }
        }
        Ok(())
    }

    /// For each node, how many times its tensor is read (by nodes and graph outputs).
    pub fn use_counts(&self) -> Vec<usize> {
        let mut uses = vec![0usize; self.nodes.len()];
        for n in &self.nodes {
            for i in &n.inputs {
                if let Some(u) = uses.get_mut(i.0) {
                    *u += 1;
                }
            }
        }
        for o in &self.outputs {
            if let Some(u) = uses.get_mut(o.node.0) {
                *u += 1;
            }
        }
        uses
    }
}
