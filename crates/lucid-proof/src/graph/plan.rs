//! The proof plan: what the prover does with each node of a quantized graph.
//!
//! Both sides derive the same plan from the verifying key alone (graph structure, ranges and
//! visibilities), so nothing about it travels in the proof. The plan says which tensors are
//! committed (and in which commitment), which nodes are proved by a layer protocol, by a
//! requantization identity or by a lookup, and which lookups the LogUp-GKR argument proves.

use lucid_model::ir::{BinaryOp, Op, UnaryFn};
use lucid_model::quant::{QGraph, QOp};
use serde::{Deserialize, Serialize};

use crate::error::ProofError;
use crate::layers;

/// Width of the one range table every range check uses: `[0, 2^RANGE_BITS)`.
pub const RANGE_BITS: u32 = 16;

/// Largest function table built for an exact non-linear element-wise op (ReLU, …).
pub const MAX_FUNCTION_TABLE_BITS: u32 = 18;

/// Who sees a tensor class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    /// In the statement: the verifier has the values.
    Public,
    /// Committed inside the proof, not revealed.
    Private,
}

/// How one node's tensor is produced and proved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// A public input: the verifier evaluates it itself.
    PublicInput,
    /// A private input: committed in the witness commitment.
    PrivateInput,
    /// A constant operand (weights): committed at compile time, table `index` of the weights
    /// commitment.
    Weight {
        /// Table index in the weights commitment.
        index: usize,
    },
    /// A constant whose values the verifying key holds (index operands of gathers).
    PublicConst,
    /// Proved by a layer protocol from its operands (never committed unless `committed`).
    Layer,
    /// `Requant` with a positive shift, or a non-positive one whose clamp may act: the output
    /// and the remainder limbs (none for a left shift) are committed, the identity
    /// `x + off = 2^shift·y + Σ 2^{16i}·limb_i` (for a left shift `x·2^{−shift} = y`) is checked
    /// at a fresh point, the limbs and the output bounds are range-checked. The clamp itself is
    /// not proved: the prover refuses a witness where it acted.
    Requant {
        /// Number of 16-bit remainder limbs.
        limbs: usize,
        /// The output needs the check `y − lo ∈ [0, 2^16)`.
        check_lo: bool,
        /// The output needs the check `hi − y ∈ [0, 2^16)`.
        check_hi: bool,
    },
    /// An element-wise function proved by a lookup of `(x, f(x))` into a function table.
    Lookup {
        /// Index into [`Plan::functions`].
        function: usize,
    },
}

/// An element-wise function table: its domain `[lo, lo + 2^log_size)` and how to compute it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionTable {
    /// The node whose operator defines the function (its `QOp::Table` spec or exact op).
    pub node: usize,
    /// The node's operand the function is applied to (the other operand, if any, is a public
    /// scalar constant).
    pub operand: usize,
    /// First input of the domain.
    pub lo: i64,
    /// The domain has `2^log_size` inputs.
    pub log_size: u32,
}

/// The plan of a whole graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// One role per node.
    pub roles: Vec<Role>,
    /// Nodes whose tensor is committed in the witness commitment (besides private inputs),
    /// in commitment order.
    pub committed: Vec<usize>,
    /// The function tables, one per lookup node.
    pub functions: Vec<FunctionTable>,
    /// Number of tables in the weights commitment.
    pub num_weights: usize,
}

/// Number of 16-bit limbs needed for a remainder in `[0, 2^shift)`.
pub fn remainder_limbs(shift: u32) -> usize {
    shift.div_ceil(RANGE_BITS) as usize
}

/// The value of a scalar constant node.
pub fn scalar_const(graph: &QGraph, id: usize) -> Option<i64> {
    match &graph.nodes.get(id)?.op {
        QOp::Const(t) if t.data().len() == 1 => t.data().first().copied(),
        _ => None,
    }
}

/// If the node's exact operator is an element-wise function of one operand that a function
/// table can prove, that operand's position (and the position of a public scalar constant
/// operand, if any): `Relu`, `Abs`, `Sign`, and `Max`/`Min` with a scalar constant (tract's ReLU).
pub fn exact_function(
    graph: &QGraph,
    node: &lucid_model::quant::QNode,
) -> Option<(usize, Option<usize>)> {
    let QOp::Exact(op) = &node.op else {
        return None;
    };
    let same_shape = |operand: usize| {
        node.inputs
            .get(operand)
            .is_some_and(|&i| graph.nodes[i].shape == node.shape)
    };
    match op {
        Op::Unary(UnaryFn::Relu | UnaryFn::Abs | UnaryFn::Sign) if same_shape(0) => Some((0, None)),
        Op::Binary(BinaryOp::Max | BinaryOp::Min) if node.inputs.len() == 2 => {
            let c0 = scalar_const(graph, node.inputs[0]).is_some();
            let c1 = scalar_const(graph, node.inputs[1]).is_some();
            match (c0, c1) {
                (false, true) if same_shape(0) => Some((0, Some(1))),
                (true, false) if same_shape(1) => Some((1, Some(0))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Checks what the plan and the verifier index into: operands of earlier nodes, unary
/// operators with one operand, inputs and outputs in range. (A verifying key is a file a user
/// hands over: it must give errors, not panics.)
fn check_structure(graph: &QGraph) -> Result<(), ProofError> {
    let bad = |what: String| ProofError::Format {
        what: "verifying key",
        reason: what,
    };
    for (i, n) in graph.nodes.iter().enumerate() {
        if let Some(&j) = n.inputs.iter().find(|&&j| j >= i) {
            return Err(bad(format!(
                "node {i} '{}' reads node {j}, not an earlier node",
                n.name
            )));
        }
        let needs_operand = matches!(
            n.op,
            QOp::Requant { .. }
                | QOp::Table(_)
                | QOp::Exact(_)
                | QOp::SumPool(_)
                | QOp::ReduceSum { .. }
        );
        if needs_operand && n.inputs.is_empty() {
            return Err(bad(format!("node {i} '{}' has no operand", n.name)));
        }
        if let QOp::Input { index } = n.op
            && index >= graph.inputs.len()
        {
            return Err(bad(format!("node {i} reads missing input {index}")));
        }
        if n.range.lo > n.range.hi {
            return Err(bad(format!("node {i} '{}' has an empty range", n.name)));
        }
        if n.shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_none_or(|len| len as u64 > 1 << 32)
        {
            return Err(bad(format!(
                "node {i} '{}' has an impossible shape {:?}",
                n.name, n.shape
            )));
        }
    }
    for (k, input) in graph.inputs.iter().enumerate() {
        if !matches!(graph.nodes.get(input.node).map(|n| &n.op), Some(QOp::Input { index }) if *index == k)
        {
            return Err(bad(format!(
                "input {k} '{}' is not read by its input node",
                input.name
            )));
        }
    }
    if let Some(o) = graph.outputs.iter().find(|o| o.node >= graph.nodes.len()) {
        return Err(bad(format!("output '{}' refers to a missing node", o.name)));
    }
    Ok(())
}

impl Plan {
    /// Derives the plan of `graph` with the given input visibility.
    pub fn new(graph: &QGraph, input: Visibility) -> Result<Self, ProofError> {
        check_structure(graph)?;
        let n = graph.nodes.len();
        // Which constants are read as indices only.
        let mut index_use = vec![false; n];
        let mut data_use = vec![false; n];
        for node in &graph.nodes {
            let idx = layers::index_operands(&node.op);
            let public_scalar = exact_function(graph, node).and_then(|(_, c)| c);
            for (pos, &operand) in node.inputs.iter().enumerate() {
                if idx.contains(&pos) || public_scalar == Some(pos) {
                    index_use[operand] = true;
                } else {
                    data_use[operand] = true;
                }
            }
        }

        let mut roles = Vec::with_capacity(n);
        let mut committed = Vec::new();
        let mut functions = Vec::new();
        let mut num_weights = 0;
        let mut must_commit = vec![false; n];
        for (id, node) in graph.nodes.iter().enumerate() {
            let unsupported = |reason: &str| ProofError::Unsupported {
                node: node.name.clone(),
                op: node.op.name().to_string(),
                reason: reason.to_string(),
            };
            let role = match &node.op {
                QOp::Input { .. } => match input {
                    Visibility::Public => Role::PublicInput,
                    Visibility::Private => Role::PrivateInput,
                },
                // A constant read as indices is public (the verifier needs its values), even
                // when it is also read as data.
                QOp::Const(_) if index_use[id] => Role::PublicConst,
                QOp::Const(_) if data_use[id] => {
                    num_weights += 1;
                    Role::Weight {
                        index: num_weights - 1,
                    }
                }
                // An unused constant: commit nothing, prove nothing.
                QOp::Const(_) => Role::PublicConst,
                QOp::Requant { shift, lo, hi, .. } => {
                    let range = &graph.nodes[node.inputs[0]].range;
                    let can_saturate = *shift <= 0 && {
                        let up = (-*shift) as u32;
                        let (scaled_lo, scaled_hi) = (range.lo << up, range.hi << up);
                        scaled_lo < *lo as i128 || scaled_hi > *hi as i128
                    };
                    if *shift <= 0 && !can_saturate {
                        // An exact left shift: a linear map, proved by the layer protocol.
                        Role::Layer
                    } else {
                        let width = (*hi as i128) - (*lo as i128) + 1;
                        let full = 1i128 << RANGE_BITS;
                        if width > full
                            || *lo > 0
                            || -(*lo as i128) >= full
                            || *hi < 0
                            || *hi as i128 >= full
                        {
                            return Err(unsupported(
                                "requantization into a range that is not a signed range of at most 16 bits",
                            ));
                        }
                        Role::Requant {
                            limbs: if *shift > 0 {
                                remainder_limbs(*shift as u32)
                            } else {
                                0
                            },
                            check_lo: true,
                            check_hi: width < full,
                        }
                    }
                }
                QOp::Table(spec) => {
                    must_commit[node.inputs[0]] = true;
                    functions.push(FunctionTable {
                        node: id,
                        operand: 0,
                        lo: spec.in_lo,
                        log_size: spec.log_size,
                    });
                    Role::Lookup {
                        function: functions.len() - 1,
                    }
                }
                QOp::Exact(_) if exact_function(graph, node).is_some() => {
                    let (operand, _) = exact_function(graph, node).expect("checked by the guard");
                    let x = node.inputs[operand];
                    let range = &graph.nodes[x].range;
                    let width = (range.hi - range.lo + 1).max(1) as u128;
                    let log_size = width.next_power_of_two().trailing_zeros().max(1);
                    if log_size > MAX_FUNCTION_TABLE_BITS {
                        return Err(unsupported(&format!(
                            "input range [{}, {}] needs a table of 2^{log_size} entries (max 2^{MAX_FUNCTION_TABLE_BITS})",
                            range.lo, range.hi
                        )));
                    }
                    must_commit[x] = true;
                    functions.push(FunctionTable {
                        node: id,
                        operand,
                        lo: range.lo as i64,
                        log_size,
                    });
                    Role::Lookup {
                        function: functions.len() - 1,
                    }
                }
                op if layers::is_layer_op(op) => {
                    let computed_index = layers::index_operands(op).iter().any(|&pos| {
                        node.inputs
                            .get(pos)
                            .is_none_or(|&i| !matches!(graph.nodes[i].op, QOp::Const(_)))
                    });
                    if computed_index {
                        return Err(unsupported(
                            "indices computed at run time (only constant indices are provable)",
                        ));
                    }
                    Role::Layer
                }
                QOp::Einsum { .. } => {
                    return Err(unsupported("einsum contractions of more than two operands"));
                }
                _ => {
                    return Err(unsupported(
                        "this operator (comparison, max, selection, arg-max, …) is not provable yet",
                    ));
                }
            };
            roles.push(role);
        }
        for (id, role) in roles.iter().enumerate() {
            let produced_here = matches!(role, Role::Requant { .. } | Role::Lookup { .. });
            let needs = produced_here || (must_commit[id] && matches!(role, Role::Layer));
            if needs {
                committed.push(id);
            }
        }
        Ok(Self {
            roles,
            committed,
            functions,
            num_weights,
        })
    }

    /// Whether node `id`'s tensor is in the witness commitment (private inputs included).
    pub fn is_committed(&self, id: usize) -> bool {
        matches!(self.roles[id], Role::PrivateInput) || self.committed.contains(&id)
    }
}
