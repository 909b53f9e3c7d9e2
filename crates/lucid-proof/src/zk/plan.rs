//! The zero-knowledge plan: what both sides derive from the verifying key before any proof
//! message — which tensors carry a blinded table or a committed mask, the tables of the
//! hiding witness commitment in order, how many claims each virtual tensor receives, and the
//! shapes of every zero-knowledge sumcheck (whose Libra masks are committed up front).

use lucid_lookup::zk::ZkLayout;
use lucid_lookup::{InstanceShape, LookupLayout};
use lucid_model::ir::Op;
use lucid_model::quant::{QGraph, QNode, QOp};

use crate::error::ProofError;
use crate::graph::lookups::{self as lk, Column};
use crate::graph::plan::{BYTE_BITS, Plan, RANGE_BITS, Role, Visibility};
use crate::key::VerifyingKey;
use crate::layout::PaddedShape;
use lucid_lookup::TableSpec;

/// Least number of (padded) variables of a tensor with a mask: its mask of `2^n` base-field
/// entries must stay uniform under every extension-field evaluation revealed (3 base-field
/// functionals each), and a tensor is queried at most 5 times in an MLP-shaped graph
/// (`3·5 < 2^4`). The prover also checks the actual count ([`super::prover`]).
pub const MIN_MASKED_VARS: usize = 4;

/// How one node's tensor is represented in the zero-knowledge proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A public input: its mask is zero, the verifier evaluates it.
    PublicInput,
    /// Committed blinded, `[T ; R_T]` (private inputs, requantization and lookup outputs,
    /// layer outputs a lookup reads).
    Committed,
    /// A compile-time weight: bound by the key's plain weights commitment and not blinded. Its
    /// "mask" is the weight itself, `W' = [W ; W]`, so `W'(c, x) = W(x)` for every `c`: a claim
    /// on it is a plain claim on the weights commitment.
    Weight,
    /// A virtual tensor whose mask `R_T` is committed (a matrix product's output).
    CommittedMask,
    /// A virtual tensor whose mask is a linear image of its operands' masks.
    Derived,
    /// A constant without a data role, or a node no claim reaches.
    None,
}

/// Which protocol a zero-knowledge sumcheck belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumcheckKind {
    /// Several claims (or an output claim) on a virtual tensor batched into one.
    Batch,
    /// A matrix product's or a convolution's relation.
    Relation,
    /// A ReLU's zero-check `Σ_x eq(τ, x)·z(x)·(z(x) − y(x)) = 0`.
    Product,
    /// A public linear map (index map, product with a weight) onto a blinded input.
    Map,
}

/// One zero-knowledge sumcheck of the proof, in proving order: its Libra mask's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SumcheckSlot {
    pub node: usize,
    pub kind: SumcheckKind,
    pub vars: usize,
    pub degree: usize,
}

/// A looked-up column in zero-knowledge mode: one of the plain proof's columns, or the
/// difference `z − y` of a ReLU's output and input.
#[derive(Clone, Debug, PartialEq)]
pub enum ZkColumn {
    Plain(Column),
    Diff {
        z: usize,
        y: usize,
    },
    /// The committed low byte `v0` of split check `s` ([`ZkSplit`]).
    Low(usize),
    /// The high byte `(V − v0)·2^{−8}` of split check `s`: an affine image of `V`'s blinded
    /// tables and of the low byte's.
    High(usize),
}

/// A 16-bit range check of a column `V` made, in byte mode, as two lookups into `[0, 2^8)`:
/// the committed low byte `v0` and the high byte `(V − v0)·2^{−8}` (see `graph::range`; both
/// bytes in `[0, 2^8)` force `V = v0 + 2^8·v1 ∈ [0, 2^16)`).
#[derive(Clone, Debug, PartialEq)]
pub struct ZkSplit {
    /// The checked column ([`ZkColumn::Plain`] or [`ZkColumn::Diff`]).
    pub whole: ZkColumn,
    /// Entries of `V` and of the low byte.
    pub len: usize,
}

/// One zero-knowledge lookup: a public table and its columns.
#[derive(Clone, Debug)]
pub struct ZkLookup {
    pub table: TableSpec,
    pub columns: Vec<ZkColumn>,
    pub len: usize,
}

/// A ReLU `z = max(y, 0)` proved without a function table: `z` and `z − y` range-checked into
/// `[0, 2^16)` (`[0, 2^8)` in byte mode when the domain allows) and the zero-check `z·(z − y) = 0` (together: `z = 0 ≤ −y` or `z = y ≥ 0`, as
/// the field has no zero divisors and the ranges cannot wrap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReluCheck {
    /// The ReLU node (`z`).
    pub node: usize,
    /// Its input (`y`).
    pub input: usize,
}

/// The ReLU nodes of the plan whose function lookup has a domain inside `(−2^16, 2^16)`.
fn relu_checks(graph: &QGraph, plan: &Plan) -> Result<Vec<ReluCheck>, ProofError> {
    let mut out = Vec::new();
    for (id, role) in plan.roles.iter().enumerate() {
        let Role::Lookup { function } = role else {
            continue;
        };
        let f = &plan.functions[*function];
        let span = 1i64 << RANGE_BITS;
        if f.log_size > RANGE_BITS || f.lo <= -span || f.lo + (1i64 << f.log_size) > span {
            continue;
        }
        let outputs = lk::function_outputs(graph, id, f.lo, f.log_size)?;
        let is_relu = outputs
            .iter()
            .enumerate()
            .all(|(i, &v)| v == (f.lo + i as i64).max(0));
        if is_relu {
            out.push(ReluCheck {
                node: id,
                input: graph.nodes[id].inputs[f.operand],
            });
        }
    }
    Ok(out)
}

/// The table a ReLU column with values in `[0, bound]` uses: the plan's range table when they
/// fit, else the 16-bit table.
fn relu_table(plan: &Plan, bound: i64) -> TableSpec {
    if bound < 1i64 << plan.range_bits {
        lk::range_table_bits(plan.range_bits)
    } else {
        lk::range_table()
    }
}

/// The zero-knowledge lookups: the plain proof's, with each [`ReluCheck`]'s function lookup
/// replaced by two range lookups (`z` and `z − y`), and — in byte mode (`plan.range_bits` =
/// [`BYTE_BITS`]) — every single-column check in the 16-bit table split into two byte lookups
/// (low byte, then high byte, at the check's place). Returns the lookups and the splits.
fn zk_lookups(
    graph: &QGraph,
    plan: &Plan,
    relus: &[ReluCheck],
) -> Result<(Vec<ZkLookup>, Vec<ZkSplit>), ProofError> {
    let mut checks = Vec::new();
    for l in lk::lookups(graph, plan)? {
        let relu = match l.columns.get(1) {
            Some(Column::Shifted { node, .. }) => relus.iter().find(|r| r.node == *node),
            _ => None,
        };
        match relu {
            Some(r) => {
                // Honest values: `z ∈ [0, lo + 2^k − 1]`, `z − y ∈ [0, −lo]`; padding 0.
                let f = plan.functions.iter().find(|f| f.node == r.node);
                let (z_max, d_max) = f.map_or((i64::MAX, i64::MAX), |f| {
                    ((f.lo + (1i64 << f.log_size) - 1).max(0), (-f.lo).max(0))
                });
                checks.push(ZkLookup {
                    table: relu_table(plan, z_max),
                    columns: vec![ZkColumn::Plain(Column::Shifted {
                        node: r.node,
                        pad: 0,
                    })],
                    len: l.len,
                });
                checks.push(ZkLookup {
                    table: relu_table(plan, d_max),
                    columns: vec![ZkColumn::Diff {
                        z: r.node,
                        y: r.input,
                    }],
                    len: l.len,
                });
            }
            None => checks.push(ZkLookup {
                table: l.table,
                columns: l.columns.into_iter().map(ZkColumn::Plain).collect(),
                len: l.len,
            }),
        }
    }
    let wide = lk::range_table();
    let mut out = Vec::with_capacity(checks.len());
    let mut splits = Vec::new();
    for mut l in checks {
        if plan.range_bits < RANGE_BITS && l.table == wide && l.columns.len() == 1 {
            let s = splits.len();
            let byte = lk::range_table_bits(BYTE_BITS);
            out.push(ZkLookup {
                table: byte.clone(),
                columns: vec![ZkColumn::Low(s)],
                len: l.len,
            });
            out.push(ZkLookup {
                table: byte,
                columns: vec![ZkColumn::High(s)],
                len: l.len,
            });
            splits.push(ZkSplit {
                whole: l.columns.remove(0),
                len: l.len,
            });
        } else {
            out.push(l);
        }
    }
    Ok((out, splits))
}

/// A table of the first (phase-1) hiding commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table1 {
    /// `[T ; R_T]` of a committed node.
    Blinded(usize),
    /// `[L ; R_L]` of remainder limb `.1` of requantization `.0`.
    Limb(usize, usize),
    /// `R_T` of a virtual node.
    Mask(usize),
    /// The blinded multiplicities of distinct lookup table `j`.
    Multiplicity(usize),
    /// `[v0 ; R]` of the low byte of split check `s` (byte mode).
    LowByte(usize),
    /// The packed Libra mask of sumcheck slot `k`.
    Libra(usize),
}

/// The zero-knowledge plan of a verifying key.
#[derive(Clone, Debug)]
pub struct ZkPlan {
    pub plan: Plan,
    pub kinds: Vec<Kind>,
    /// Claims each node receives before its own reduction (virtual nodes; structural).
    pub counts: Vec<usize>,
    /// Whether a virtual node's claims are batched first.
    pub batched: Vec<bool>,
    pub sumchecks: Vec<SumcheckSlot>,
    pub lookups: Vec<ZkLookup>,
    /// The 16-bit checks made as two byte lookups (byte mode; empty otherwise).
    pub splits: Vec<ZkSplit>,
    /// The ReLUs proved by range checks and a zero-check.
    pub relus: Vec<ReluCheck>,
    pub shapes: Vec<InstanceShape>,
    /// The zero-knowledge lookup layout (`None` without lookups).
    pub lookup_layout: Option<ZkLayout>,
    pub tables: Vec<Table1>,
}

fn unsupported(node: &QNode, reason: impl Into<String>) -> ProofError {
    ProofError::Unsupported {
        node: node.name.clone(),
        op: node.op.name().to_string(),
        reason: reason.into(),
    }
}

fn not_yet(node: &QNode) -> ProofError {
    unsupported(node, "not yet supported in zero-knowledge mode")
}

/// The padded variables of node `n`.
pub fn node_vars(graph: &QGraph, n: usize) -> usize {
    PaddedShape::new(&graph.nodes[n].shape).num_vars()
}

/// Whether a reshape keeps the padded layout (every real entry at the same padded offset).
pub fn reshape_keeps_layout(from: &[usize], to: &[usize]) -> bool {
    let (a, b) = (PaddedShape::new(from), PaddedShape::new(to));
    a.num_vars() == b.num_vars() && a.real_to_padded() == b.real_to_padded()
}

/// The matrix product's operand and output variables, if the product has no batch variables:
/// `(rows of A, contraction, columns of B)` padded variables.
pub fn matmul_dims(graph: &QGraph, node: &QNode) -> Option<(usize, usize, usize)> {
    let QOp::MatMul {
        transpose_a,
        transpose_b,
    } = node.op
    else {
        return None;
    };
    let sa = &graph.nodes[*node.inputs.first()?].shape;
    let sb = &graph.nodes[*node.inputs.get(1)?].shape;
    let so = &node.shape;
    if sa.len() < 2 || sb.len() < 2 || so.len() < 2 {
        return None;
    }
    let lead = |s: &[usize]| s[..s.len() - 2].iter().product::<usize>();
    if lead(sa) != 1 || lead(sb) != 1 || lead(so) != 1 {
        return None;
    }
    let (ra, rb) = (sa.len(), sb.len());
    let (m, k) = if transpose_a {
        (sa[ra - 1], sa[ra - 2])
    } else {
        (sa[ra - 2], sa[ra - 1])
    };
    let (k2, n) = if transpose_b {
        (sb[rb - 1], sb[rb - 2])
    } else {
        (sb[rb - 2], sb[rb - 1])
    };
    let ro = so.len();
    if k != k2 || so[ro - 2] != m || so[ro - 1] != n {
        return None;
    }
    let v = |d: usize| PaddedShape::new(&[d]).num_vars();
    Some((v(m), v(k), v(n)))
}

/// The layer operators supported in zero-knowledge mode.
fn check_layer(graph: &QGraph, id: usize) -> Result<(), ProofError> {
    let node = &graph.nodes[id];
    let operand_shape = |i: usize| &graph.nodes[node.inputs[i]].shape;
    match &node.op {
        QOp::MatMul { .. } => {
            if node.inputs.len() != 2 || matmul_dims(graph, node).is_none() {
                return Err(unsupported(
                    node,
                    "only matrix products without batch dimensions are supported in zero-knowledge mode",
                ));
            }
        }
        QOp::Add { .. } | QOp::Sub { .. } => {
            if node.inputs.len() != 2 {
                return Err(unsupported(node, "needs two operands"));
            }
            for i in 0..2 {
                crate::layout::Broadcast::new(operand_shape(i), &node.shape)
                    .map_err(|e| unsupported(node, e.to_string()))?;
            }
        }
        QOp::Requant { shift, .. } if *shift <= 0 && *shift >= -62 => {
            if node.inputs.len() != 1 || operand_shape(0) != &node.shape {
                return Err(unsupported(node, "operand shape differs from the output"));
            }
        }
        QOp::Exact(Op::Identity) => {
            if node.inputs.len() != 1 || operand_shape(0) != &node.shape {
                return Err(unsupported(node, "operand shape differs from the output"));
            }
        }
        QOp::Conv(_) | QOp::Deconv(_) => {
            super::conv::ConvGeom::new(graph, id).map_err(|e| unsupported(node, e))?;
        }
        QOp::Mul => {
            if let Err(scale) = super::maps::ZkScale::new(graph, id) {
                super::product::ZkProduct::new(graph, id)
                    .map_err(|product| unsupported(node, format!("{scale}; {product}")))?;
            }
        }
        op if super::maps::is_index_map(op) => {
            super::maps::map_kind(graph, id).map_err(|e| unsupported(node, e))?;
        }
        QOp::Exact(Op::Transpose { perm }) => {
            let from = operand_shape(0);
            let permuted: Vec<usize> = perm
                .iter()
                .map(|&p| from.get(p).copied().unwrap_or(0))
                .collect();
            if node.inputs.len() != 1 || perm.len() != from.len() || permuted != node.shape {
                return Err(unsupported(
                    node,
                    "transpose does not give the output shape",
                ));
            }
        }
        _ => return Err(not_yet(node)),
    }
    Ok(())
}

/// Whether node `id` is an element-wise product of two activations (proved by a relation,
/// [`super::product`]) rather than a product with a weight ([`super::maps::ZkScale`]).
pub fn is_product(graph: &QGraph, id: usize) -> bool {
    matches!(graph.nodes[id].op, QOp::Mul) && super::maps::ZkScale::new(graph, id).is_err()
}

/// The sumcheck slots of a convolution, a product, an index map (one per operand) or a
/// product with a weight, and the operands its reduction leaves claims on.
fn extra_slots(graph: &QGraph, id: usize) -> Option<(Vec<SumcheckSlot>, Vec<usize>)> {
    let node = &graph.nodes[id];
    let slot = |kind, vars, degree| SumcheckSlot {
        node: id,
        kind,
        vars,
        degree,
    };
    match node.op {
        QOp::Conv(_) | QOp::Deconv(_) => {
            let g = super::conv::ConvGeom::new(graph, id).ok()?;
            Some((
                vec![slot(SumcheckKind::Relation, g.sumcheck_vars(), 4)],
                node.inputs.clone(),
            ))
        }
        QOp::Mul if is_product(graph, id) => {
            let p = super::product::ZkProduct::new(graph, id).ok()?;
            Some((
                vec![slot(SumcheckKind::Relation, p.sumcheck_vars(), p.degree())],
                p.operand_nodes(),
            ))
        }
        QOp::Mul => {
            let s = super::maps::ZkScale::new(graph, id).ok()?;
            let (vars, degree) =
                lucid_core::sumcheck::zk_relation::blinded_map_shape(node_vars(graph, id), 2);
            Some((
                vec![slot(SumcheckKind::Map, vars, degree)],
                vec![node.inputs[s.input], node.inputs[s.weight]],
            ))
        }
        _ => {
            let m = super::maps::node_map(graph, id)?;
            let slots = (0..m.num_parts())
                .map(|k| {
                    let (vars, degree) =
                        lucid_core::sumcheck::zk_relation::blinded_map_shape(m.input_vars(k), 1);
                    slot(SumcheckKind::Map, vars, degree)
                })
                .collect();
            Some((slots, super::maps::claimed_inputs(graph, id)))
        }
    }
}

impl ZkPlan {
    /// Derives the plan; refuses (naming node and op) what zero-knowledge mode cannot prove.
    ///
    /// The range width is chosen from the key alone (so both sides agree): byte mode
    /// ([`BYTE_BITS`]) when its estimated cost ([`ZkPlan::cost`]) is smaller than the 16-bit
    /// table's, else [`RANGE_BITS`]. Byte mode trades the 16-bit table's fixed cost (its
    /// blinded multiplicities and its three blinded helper limbs, `8·2^16` committed elements)
    /// for a committed low byte and a second looked-up column per checked column, so it wins
    /// on models with few range-checked entries (MLPs) and loses on large CNNs.
    pub fn new(vk: &VerifyingKey) -> Result<Self, ProofError> {
        let wide = Self::with_range(vk, RANGE_BITS)?;
        // A key byte mode cannot plan keeps the 16-bit plan.
        let Ok(byte) = Self::with_range(vk, BYTE_BITS) else {
            return Ok(wide);
        };
        Ok(if byte.cost(&vk.graph) < wide.cost(&vk.graph) {
            byte
        } else {
            wide
        })
    }

    /// The estimated proving cost, in committed base-field entries: the stacked sizes of the
    /// two hiding commitments (each table rounded up to a power of two of at least 16 entries,
    /// the sum rounded up to a power of two). Their encoding, hashing and openings dominate the
    /// zero-knowledge prover.
    pub fn cost(&self, graph: &QGraph) -> usize {
        let stacked = |lens: &mut dyn Iterator<Item = usize>| -> usize {
            lens.map(|l| l.next_power_of_two().max(16))
                .sum::<usize>()
                .next_power_of_two()
        };
        let first = stacked(&mut self.table_lens(graph).into_iter());
        let second = self.lookup_layout.as_ref().map_or(0, |layout| {
            stacked(
                &mut super::common::helper_tables(layout)
                    .into_iter()
                    .map(|t| t.1),
            )
        });
        first + second
    }

    /// Derives the plan with range width `bits` ([`RANGE_BITS`] or [`BYTE_BITS`]).
    pub fn with_range(vk: &VerifyingKey, bits: u32) -> Result<Self, ProofError> {
        let graph = &vk.graph;
        let plan = Plan::new_with_range(graph, vk.input_visibility, bits)?;
        let n = graph.nodes.len();
        let mut kinds = vec![Kind::None; n];
        for (id, node) in graph.nodes.iter().enumerate() {
            kinds[id] = match &plan.roles[id] {
                Role::PublicInput => Kind::PublicInput,
                Role::PrivateInput => Kind::Committed,
                Role::Weight { .. } => Kind::Weight,
                Role::PublicConst => Kind::None,
                Role::Requant { .. } | Role::Lookup { .. } => Kind::Committed,
                Role::Layer => {
                    check_layer(graph, id)?;
                    if plan.is_committed(id) {
                        Kind::Committed
                    } else if matches!(node.op, QOp::MatMul { .. } | QOp::Conv(_) | QOp::Deconv(_))
                        || is_product(graph, id)
                    {
                        Kind::CommittedMask
                    } else {
                        Kind::Derived
                    }
                }
            };
        }

        // Structural claim counts (virtual nodes), reverse order.
        let mut counts = vec![0usize; n];
        let mut batched = vec![false; n];
        let mut sumchecks = Vec::new();
        let relus_early = relu_checks(graph, &plan)?;
        for r in &relus_early {
            sumchecks.push(SumcheckSlot {
                node: r.node,
                kind: SumcheckKind::Product,
                vars: node_vars(graph, r.node) + 1,
                degree: 4,
            });
        }
        for (id, role) in plan.roles.iter().enumerate() {
            if matches!(role, Role::Requant { .. }) {
                counts[graph.nodes[id].inputs[0]] += 1;
            }
        }
        let is_output: Vec<bool> = (0..n)
            .map(|id| graph.outputs.iter().any(|o| o.node == id))
            .collect();
        for o in &graph.outputs {
            counts[o.node] += 1;
        }
        let mut reduced = vec![false; n];
        for id in (0..n).rev() {
            if plan.roles[id] != Role::Layer {
                continue;
            }
            let committed = kinds[id] == Kind::Committed;
            // A committed layer node is read by a lookup, so it always has claims.
            if !committed && counts[id] == 0 {
                continue;
            }
            reduced[id] = true;
            let vars = node_vars(graph, id);
            if !committed && (counts[id] > 1 || is_output[id]) {
                batched[id] = true;
                sumchecks.push(SumcheckSlot {
                    node: id,
                    kind: SumcheckKind::Batch,
                    vars: vars + 1,
                    degree: 2,
                });
            }
            let node = &graph.nodes[id];
            if let Some((_, k, _)) = matmul_dims(graph, node) {
                sumchecks.push(SumcheckSlot {
                    node: id,
                    kind: SumcheckKind::Relation,
                    vars: vars.max(k) + 1,
                    degree: 3,
                });
                counts[node.inputs[0]] += 1;
                counts[node.inputs[1]] += 1;
            } else if let Some((slots, inputs)) = extra_slots(graph, id) {
                sumchecks.extend(slots);
                for i in inputs {
                    counts[i] += 1;
                }
            } else {
                for i in super::maps::claimed_inputs(graph, id) {
                    counts[i] += 1;
                }
            }
        }

        // Every tensor with a mask must be large enough to hide its revealed evaluations, and
        // no claim may land on a public constant.
        for (id, node) in graph.nodes.iter().enumerate() {
            let masked = matches!(kinds[id], Kind::Committed)
                || (matches!(kinds[id], Kind::CommittedMask | Kind::Derived) && reduced[id]);
            if masked && node_vars(graph, id) < MIN_MASKED_VARS {
                return Err(ProofError::TooSmallForZeroKnowledge {
                    node: node.name.clone(),
                    op: node.op.name().to_string(),
                    shape: node.shape.clone(),
                    min_entries: 1 << MIN_MASKED_VARS,
                });
            }
            if reduced[id] {
                for i in super::maps::claimed_inputs(graph, id) {
                    if kinds[i] == Kind::None {
                        return Err(unsupported(
                            node,
                            "a public constant operand is not supported in zero-knowledge mode",
                        ));
                    }
                }
            }
            if is_output[id] && kinds[id] == Kind::None {
                return Err(unsupported(node, "a constant output"));
            }
        }
        for (id, k) in kinds.iter_mut().enumerate() {
            if matches!(k, Kind::CommittedMask | Kind::Derived) && !reduced[id] {
                *k = Kind::None;
            }
        }

        let relus = relus_early;
        let (lookups, splits) = zk_lookups(graph, &plan, &relus)?;
        let shapes: Vec<InstanceShape> = lookups
            .iter()
            .map(|l| InstanceShape {
                table: l.table.clone(),
                len: l.len,
            })
            .collect();
        let lookup_layout = if lookups.is_empty() {
            None
        } else {
            Some(ZkLayout::new(&shapes)?)
        };
        let num_mults = if lookups.is_empty() {
            0
        } else {
            LookupLayout::new(&shapes)?.tables.len()
        };

        let mut tables = Vec::new();
        tables.extend(
            (0..n)
                .filter(|&id| kinds[id] == Kind::Committed)
                .map(Table1::Blinded),
        );
        for (id, role) in plan.roles.iter().enumerate() {
            if let Role::Requant { limbs, .. } = role {
                tables.extend((0..*limbs).map(|l| Table1::Limb(id, l)));
            }
        }
        tables.extend(
            (0..n)
                .filter(|&id| kinds[id] == Kind::CommittedMask)
                .map(Table1::Mask),
        );
        tables.extend((0..num_mults).map(Table1::Multiplicity));
        tables.extend((0..splits.len()).map(Table1::LowByte));
        tables.extend((0..sumchecks.len()).map(Table1::Libra));
        if vk.input_visibility == Visibility::Public && graph.inputs.is_empty() {
            return Err(ProofError::Statement("a graph without inputs".into()));
        }
        Ok(Self {
            plan,
            kinds,
            counts,
            batched,
            sumchecks,
            lookups,
            splits,
            relus,
            shapes,
            lookup_layout,
            tables,
        })
    }

    /// Index of a phase-1 table.
    pub fn table(&self, t: Table1) -> Option<usize> {
        self.tables.iter().position(|&x| x == t)
    }

    /// The phase-1 table holding node `n`'s blinded values, if committed.
    pub fn blinded_table(&self, n: usize) -> Option<usize> {
        self.table(Table1::Blinded(n))
    }

    /// Lengths of the phase-1 tables, in order.
    pub fn table_lens(&self, graph: &QGraph) -> Vec<usize> {
        self.tables
            .iter()
            .map(|t| match *t {
                Table1::Blinded(n) | Table1::Limb(n, _) => 2usize << node_vars(graph, n),
                Table1::Mask(n) => 1usize << node_vars(graph, n),
                Table1::Multiplicity(j) => {
                    let layout = self
                        .lookup_layout
                        .as_ref()
                        .expect("multiplicity tables exist only with lookups");
                    2usize << layout.table_vars(j)
                }
                Table1::LowByte(s) => 2 * self.splits[s].len,
                Table1::Libra(k) => {
                    let s = &self.sumchecks[k];
                    super::masks::packed_len(s.vars, s.degree)
                }
            })
            .collect()
    }
}
