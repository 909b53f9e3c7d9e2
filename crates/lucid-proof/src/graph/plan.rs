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
use crate::graph::{clamp, range};
use crate::layers;
use crate::layout::PaddedShape;

/// Width of the wide range table `[0, 2^RANGE_BITS)`: the widest value a range check proves,
/// and the table every range check of the zero-knowledge proof uses.
pub const RANGE_BITS: u32 = 16;

/// Width of the byte range table `[0, 2^BYTE_BITS)` the plain proof uses instead of the wide
/// one when that makes its witness smaller (see [`Plan::range_bits`]).
pub const BYTE_BITS: u32 = 8;

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
    /// `x + off = 2^shift·y + Σ 2^{Bi}·limb_i` (`B` = [`Plan::range_bits`]; for a left shift
    /// `x·2^{−shift} = y`) is checked at a fresh point, the limbs and the output bounds are
    /// range-checked. The clamp itself is not proved: the prover refuses a witness where it
    /// acted.
    Requant {
        /// Number of `B`-bit remainder limbs.
        limbs: usize,
        /// The output needs the check `y − lo ∈ [0, W)` (`W` = `2^B` when the output range has
        /// at most `2^B` values, else `2^16`).
        check_lo: bool,
        /// The output needs the check `hi − y ∈ [0, W)` (the range has fewer than `W` values).
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
    /// Width `B` of the range table: [`RANGE_BITS`] (16) or [`BYTE_BITS`] (8). Remainder limbs
    /// are `B` bits wide; with `B = 8` a check of a value up to 16 bits wide is split into two
    /// byte checks (`graph::range`). [`Plan::new`] picks the width from the estimated proving
    /// cost ([`Plan::cost`]).
    pub range_bits: u32,
}

/// Number of `bits`-bit limbs needed for a remainder in `[0, 2^shift)`.
pub fn remainder_limbs(shift: u32, bits: u32) -> usize {
    shift.div_ceil(bits) as usize
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

/// The estimated proving cost of a plan, in table entries (see [`Plan::cost`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanCost {
    /// Entries of the stacked witness commitment: every committed table (tensors, remainder
    /// limbs, low bytes of split checks, multiplicities), each at least 16 entries (the
    /// commitment's folding), summed and rounded up to a power of two.
    pub stacked: usize,
    /// Entries the lookup argument reads: every looked-up column and every table.
    pub read: usize,
}

impl Plan {
    /// Derives the plan of `graph` with the given input visibility, choosing the range table's
    /// width (a deterministic function of the graph, so prover and verifier agree): the byte
    /// table when it makes the stacked witness commitment smaller and the total estimate
    /// ([`Plan::cost`]) smaller, else the 16-bit table. (When the stacked sizes are equal the
    /// byte table's extra tables and claims make the witness opening slower: measured on LeNet-5.)
    pub fn new(graph: &QGraph, input: Visibility) -> Result<Self, ProofError> {
        let wide = Self::new_with_range(graph, input, RANGE_BITS)?;
        let byte = Self::new_with_range(graph, input, BYTE_BITS)?;
        // A graph whose lookups cannot be derived (an unsupported function table) keeps the
        // wide plan: the prover reports the error as it always did.
        let byte_wins = match (wide.cost(graph), byte.cost(graph)) {
            (Ok(cw), Ok(cb)) => {
                cb.stacked < cw.stacked && cb.stacked + cb.read < cw.stacked + cw.read
            }
            _ => false,
        };
        Ok(if byte_wins { byte } else { wide })
    }

    /// The plan's estimated proving cost: the witness commitment's stacked size (its
    /// Merkle hashing dominates the prover on small models) and the lookup argument's work.
    pub fn cost(&self, graph: &QGraph) -> Result<PlanCost, ProofError> {
        let clamps = clamp::clamps(graph, self);
        let arr = range::arrange(graph, self, &clamps)?;
        let len = |n: usize| 1usize << PaddedShape::new(&graph.nodes[n].shape).num_vars();
        let mut tables: Vec<usize> = Vec::new();
        for (id, role) in self.roles.iter().enumerate() {
            if self.is_committed(id) {
                tables.push(len(id));
            }
            if let Role::Requant { limbs, .. } = role {
                tables.extend(std::iter::repeat_n(len(id), *limbs));
            }
        }
        tables.extend(arr.splits.iter().map(|s| s.len));
        let mut distinct: Vec<&lucid_lookup::TableSpec> = Vec::new();
        for i in &arr.instances {
            if !distinct.contains(&&i.table) {
                distinct.push(&i.table);
            }
        }
        let table_entries: usize = distinct.iter().map(|t| t.size()).sum();
        tables.extend(distinct.iter().map(|t| t.size()));
        let stacked = tables
            .iter()
            .map(|&l| l.max(16))
            .sum::<usize>()
            .next_power_of_two();
        let read = arr
            .instances
            .iter()
            .map(|i| i.len * i.columns.len())
            .sum::<usize>()
            + table_entries;
        Ok(PlanCost { stacked, read })
    }

    /// Derives the plan of `graph` with the given input visibility and range width `bits`
    /// ([`RANGE_BITS`] or [`BYTE_BITS`]). The zero-knowledge prover uses `RANGE_BITS`.
    pub fn new_with_range(
        graph: &QGraph,
        input: Visibility,
        bits: u32,
    ) -> Result<Self, ProofError> {
        if bits != RANGE_BITS && bits != BYTE_BITS {
            return Err(ProofError::Format {
                what: "plan",
                reason: format!("range width {bits} bits (only {BYTE_BITS} or {RANGE_BITS})"),
            });
        }
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
                        // The output bounds are checked in one table lookup each when the range
                        // has at most 2^bits values, else in 16 bits (two byte lookups when
                        // bits = 8).
                        let bound = if width <= 1i128 << bits {
                            1i128 << bits
                        } else {
                            full
                        };
                        Role::Requant {
                            limbs: if *shift > 0 {
                                remainder_limbs(*shift as u32, bits)
                            } else {
                                0
                            },
                            check_lo: true,
                            check_hi: width < bound,
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
            range_bits: bits,
        })
    }

    /// Whether node `id`'s tensor is in the witness commitment (private inputs included).
    pub fn is_committed(&self, id: usize) -> bool {
        matches!(self.roles[id], Role::PrivateInput) || self.committed.contains(&id)
    }
}
