//! What the zero-knowledge prover and verifier compute identically: the statement's
//! transcript, the public scalars of every linear step, the matrix-product relation's shape and
//! operand points, where each claim is settled, and how a lookup column's claim maps back to
//! its committed tensor.

use lucid_core::field::{EF, F, from_i64};
use lucid_core::sumcheck::ProductTerm;
use lucid_core::sumcheck::zk_relation::{BlindedClaim, LinearStep, RelationShape};
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_lookup::zk::{ZkClaim, ZkLayout, ZkTableId};
use lucid_model::ir::Op;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::Tensor;
use p3_field::{Field, PrimeCharacteristicRing};

use super::plan::{Kind, Table1, ZkColumn, ZkPlan, matmul_dims};
use crate::error::ProofError;
use crate::graph::lookups::Column;
use crate::graph::plan::{BYTE_BITS, Role, Visibility};
use crate::key::VerifyingKey;
use crate::layout::{Broadcast, PaddedShape};

pub(crate) fn malformed(what: impl Into<String>) -> ProofError {
    ProofError::Malformed(what.into())
}

pub(crate) fn rejected(at: impl Into<String>, reason: impl ToString) -> ProofError {
    ProofError::Rejected {
        at: at.into(),
        reason: reason.to_string(),
    }
}

/// `2^k` in the base field (`k ≤ 63`).
pub(crate) fn pow2(k: u32) -> F {
    F::from_u64(1u64 << k.min(63))
}

/// The transcripts of the three openings (witness, lookup helpers, weights), forked from the
/// proof's transcript once every claim is fixed (labels `zk/open/witness`, `zk/open/helpers`,
/// `zk/open/weights`): independent sub-proofs of claims already bound, which the prover runs
/// side by side.
pub(crate) fn open_transcripts(t: &Transcript) -> (Transcript, Transcript, Transcript) {
    (
        t.fork(b"zk/open/witness"),
        t.fork(b"zk/open/helpers"),
        t.fork(b"zk/open/weights"),
    )
}

/// Binds the zero-knowledge statement and starts the transcript.
///
/// # Transcript
/// `StatementTranscript::new(b"lucid/inference-zk/v1")`; u64s `vk/digest` (4 words); u64s
/// `params`; u64s `zk/visibility` (input public = 1 / private = 0; weights bound to the key's
/// commitment = 1 — the digest covers that commitment); per
/// public input base slice `input`; per output base slice `output`; `finish()`.
pub fn start_transcript(
    vk: &VerifyingKey,
    public_inputs: &[Tensor<i64>],
    outputs: &[Tensor<i64>],
) -> Result<Transcript, ProofError> {
    let mut st = StatementTranscript::new(b"lucid/inference-zk/v1");
    st.observe_u64s(b"vk/digest", &vk.digest()?);
    st.observe_u64s(b"params", &vk.params.statement_words());
    let input_public = u64::from(vk.input_visibility == Visibility::Public);
    st.observe_u64s(b"zk/visibility", &[input_public, 1]);
    let flat = |t: &Tensor<i64>| t.data().iter().map(|&v| from_i64(v)).collect::<Vec<F>>();
    for t in public_inputs {
        st.observe_base_slice(b"input", &flat(t));
    }
    for t in outputs {
        st.observe_base_slice(b"output", &flat(t));
    }
    Ok(st.finish())
}

/// The requantization identity as a linear step from `(Y', L'_0, …)` to the input `X'`:
/// `X' = 2^s·Y' + Σ_i 2^{B·i}·L'_i − (1 − c)·off` (shift `s > 0`, `B` = `bits` the limbs'
/// width), or `X' = 2^{shift}·Y'`.
pub fn requant_step(graph: &QGraph, id: usize, limbs: usize, bits: u32) -> LinearStep {
    let QOp::Requant {
        shift, rounding, ..
    } = graph.nodes[id].op
    else {
        return LinearStep {
            coeffs: vec![EF::ONE],
            offset: EF::ZERO,
        };
    };
    if shift <= 0 {
        let inv = pow2(shift.unsigned_abs()).inverse();
        return LinearStep {
            coeffs: vec![EF::from(inv)],
            offset: EF::ZERO,
        };
    }
    let s = shift as u32;
    let mut coeffs = vec![EF::from(pow2(s))];
    coeffs.extend((0..limbs).map(|i| EF::from(pow2(bits * i as u32))));
    LinearStep {
        coeffs,
        offset: -EF::from(from_i64(rounding.offset(s) as i64)),
    }
}

/// The coefficients `(c_a, c_b)` of an addition or subtraction.
fn add_coeffs(op: &QOp) -> (EF, EF) {
    match op {
        QOp::Add { shifts } => (EF::from(pow2(shifts[0])), EF::from(pow2(shifts[1]))),
        QOp::Sub { shifts } => (EF::from(pow2(shifts[0])), -EF::from(pow2(shifts[1]))),
        _ => (EF::ONE, EF::ONE),
    }
}

/// An addition's linear step at `point` and its operands' points.
pub fn add_step(
    graph: &QGraph,
    id: usize,
    point: &[EF],
) -> Result<(LinearStep, [Vec<EF>; 2]), ProofError> {
    let node = &graph.nodes[id];
    let (ca, cb) = add_coeffs(&node.op);
    let proj = |i: usize| {
        Broadcast::new(&graph.nodes[node.inputs[i]].shape, &node.shape)
            .and_then(|b| b.project(point))
            .map_err(|e| malformed(format!("node '{}': {e}", node.name)))
    };
    let (pa, fa) = proj(0)?;
    let (pb, fb) = proj(1)?;
    Ok((
        LinearStep {
            coeffs: vec![ca * fa, cb * fb],
            offset: EF::ZERO,
        },
        [pa, pb],
    ))
}

/// A free node's operand point and the factor `X'(c, p) = factor·Y'(c, r)`.
pub fn free_map(graph: &QGraph, id: usize, point: &[EF]) -> Result<(Vec<EF>, EF), ProofError> {
    let node = &graph.nodes[id];
    match &node.op {
        QOp::Requant { shift, .. } => Ok((
            point.to_vec(),
            EF::from(pow2(shift.unsigned_abs()).inverse()),
        )),
        QOp::Exact(Op::Transpose { perm }) => {
            let p = PaddedShape::new(&node.shape)
                .permute_point(perm, point)
                .map_err(|e| malformed(format!("node '{}': {e}", node.name)))?;
            Ok((p, EF::ONE))
        }
        _ => Ok((point.to_vec(), EF::ONE)),
    }
}

/// Whether layer node `id` is a free map (no message): an exact left shift, identity,
/// transpose, or an index map that keeps the padded layout.
pub fn is_free(graph: &QGraph, id: usize) -> bool {
    let op = &graph.nodes[id].op;
    matches!(
        op,
        QOp::Requant { .. } | QOp::Exact(Op::Identity) | QOp::Exact(Op::Transpose { .. })
    ) || (super::maps::is_index_map(op) && matches!(super::maps::map_kind(graph, id), Ok(None)))
}

/// The geometry of a matrix product without batch variables.
#[derive(Clone, Debug)]
pub struct MatMulGeom {
    pub rows: usize,
    pub k: usize,
    pub transpose_a: bool,
    pub transpose_b: bool,
}

impl MatMulGeom {
    pub fn new(graph: &QGraph, id: usize) -> Result<Self, ProofError> {
        let node = &graph.nodes[id];
        let (rows, k, _) =
            matmul_dims(graph, node).ok_or_else(|| malformed("not a supported matrix product"))?;
        let QOp::MatMul {
            transpose_a,
            transpose_b,
        } = node.op
        else {
            return Err(malformed("not a matrix product"));
        };
        Ok(Self {
            rows,
            k,
            transpose_a,
            transpose_b,
        })
    }

    /// The relation reducing `claim` on the output.
    pub fn shape(&self, claim: BlindedClaim) -> RelationShape {
        RelationShape {
            claim,
            num_vars: self.k,
            num_operands: 2,
            num_public: 0,
            terms: vec![ProductTerm {
                coeff: EF::ONE,
                factors: vec![0, 1],
            }],
        }
    }

    /// `(r_i, r_j)` of an output point.
    pub fn split<'a>(&self, point: &'a [EF]) -> (&'a [EF], &'a [EF]) {
        point.split_at(self.rows.min(point.len()))
    }

    /// The operands' points for output point `r` and contraction point `z`.
    pub fn operand_points(&self, r: &[EF], z: &[EF]) -> [Vec<EF>; 2] {
        let (ri, rj) = self.split(r);
        let a = if self.transpose_a {
            [z, ri].concat()
        } else {
            [ri, z].concat()
        };
        let b = if self.transpose_b {
            [rj, z].concat()
        } else {
            [z, rj].concat()
        };
        [a, b]
    }
}

/// Evaluation claims on the two hiding commitments and on the key's weights commitment, and
/// checks against public tensors.
#[derive(Default, Debug)]
pub struct Settle {
    pub first: Vec<lucid_pcs::EvalClaim>,
    pub second: Vec<lucid_pcs::EvalClaim>,
    /// Plain claims `W(x) = v` on the verifying key's weights commitment (table = the weight's
    /// index there).
    pub weights: Vec<lucid_pcs::EvalClaim>,
    /// `(node, claim)` on public inputs.
    pub public: Vec<(usize, BlindedClaim)>,
}

impl Settle {
    pub fn push_first(&mut self, table: usize, point: Vec<EF>, value: EF) {
        let c = lucid_pcs::EvalClaim {
            table,
            point,
            value,
        };
        if !self.first.contains(&c) {
            self.first.push(c);
        }
    }

    pub fn push_weight(&mut self, table: usize, point: Vec<EF>, value: EF) {
        let c = lucid_pcs::EvalClaim {
            table,
            point,
            value,
        };
        if !self.weights.contains(&c) {
            self.weights.push(c);
        }
    }
}

/// Routes a blinded claim on node `n`: to the hiding opening (committed), to the weights
/// opening (a weight: `W'(c, x) = W(x)` whatever `c`, so the claim is the plain claim
/// `W(x) = v`), to the public checks (public input), and to the node's pending claims when a
/// layer protocol reduces it.
pub fn route(
    zp: &ZkPlan,
    on_node: &mut [Vec<BlindedClaim>],
    settle: &mut Settle,
    n: usize,
    claim: BlindedClaim,
) -> Result<(), ProofError> {
    match zp.kinds[n] {
        Kind::Committed => {
            let table = zp
                .blinded_table(n)
                .ok_or_else(|| malformed("a committed node without a table"))?;
            settle.push_first(table, claim.full_point(), claim.value);
        }
        Kind::Weight => {
            let Role::Weight { index } = zp.plan.roles[n] else {
                return Err(malformed(format!("node {n} is not a weight")));
            };
            settle.push_weight(index, claim.point.clone(), claim.value);
        }
        Kind::PublicInput => settle.public.push((n, claim.clone())),
        Kind::None => {
            return Err(malformed(format!("a claim on node {n}, which has no mask")));
        }
        _ => {}
    }
    if zp.plan.roles[n] == Role::Layer {
        on_node[n].push(claim);
    }
    Ok(())
}

/// Routes a two-operand step's operand claims (`route` each; a matrix product's or a
/// convolution's relation, an addition's linear step), both at the step's challenge `c`, at
/// their points `points`, with the step's operand values `evals`.
pub fn route_operands(
    zp: &ZkPlan,
    on_node: &mut [Vec<BlindedClaim>],
    settle: &mut Settle,
    operands: [usize; 2],
    c: EF,
    points: [Vec<EF>; 2],
    evals: &[EF],
) -> Result<(), ProofError> {
    if evals.len() != 2 {
        return Err(malformed(format!(
            "a two-operand step has 2 operand values, got {}",
            evals.len()
        )));
    }
    for ((n, point), &value) in operands.into_iter().zip(points).zip(evals) {
        route(zp, on_node, settle, n, BlindedClaim::new(c, point, value))?;
    }
    Ok(())
}

/// Routes a requantization's claims at its point `p = (c ‖ r)`: `x_claim` (the linear step's
/// claim on the input `X'(c, r)`) to the input, `evals[0] = Y'(c, r)` to the requantization's
/// own blinded table, and `evals[1 + l] = L'_l(c, r)` to remainder limb `l`'s table.
#[allow(clippy::too_many_arguments)]
pub fn route_requant(
    zp: &ZkPlan,
    graph: &QGraph,
    on_node: &mut [Vec<BlindedClaim>],
    settle: &mut Settle,
    id: usize,
    p: &[EF],
    x_claim: BlindedClaim,
    evals: &[EF],
) -> Result<(), ProofError> {
    let (&c, r) = p
        .split_first()
        .ok_or_else(|| malformed("an empty requantization point"))?;
    let (&y, limbs) = evals
        .split_first()
        .ok_or_else(|| malformed("no requantization evaluations"))?;
    route(zp, on_node, settle, graph.nodes[id].inputs[0], x_claim)?;
    route(zp, on_node, settle, id, BlindedClaim::new(c, r.to_vec(), y))?;
    for (l, &v) in limbs.iter().enumerate() {
        settle.push_first(limb_table(zp, id, l)?, p.to_vec(), v);
    }
    Ok(())
}

/// Where a lookup column's claim lands: a node's blinded tensor or a remainder limb.
#[derive(Clone, Copy, Debug)]
pub enum ColumnTarget {
    Node(usize),
    Limb(usize, usize),
}

/// Undoes a column's affine map on a blinded claim: the column's blinded table is the affine
/// image of its tensor's blinded table with the constant in the `c = 0` half only. `bits` is
/// the plan's range width (a limb column is `L·2^{bits − width}`).
pub fn undo_column(
    graph: &QGraph,
    column: &Column,
    bits: u32,
    c: EF,
    point: &[EF],
    value: EF,
) -> (ColumnTarget, EF) {
    let keep = EF::ONE - c;
    match column {
        Column::Limb { node, limb, width } => {
            let inv = EF::from(pow2(bits.saturating_sub(*width)).inverse());
            (ColumnTarget::Limb(*node, *limb), value * inv)
        }
        Column::AboveLo { node, lo } => (
            ColumnTarget::Node(*node),
            value + keep * EF::from(from_i64(*lo)),
        ),
        Column::BelowHi { node, hi } => (
            ColumnTarget::Node(*node),
            keep * EF::from(from_i64(*hi)) - value,
        ),
        Column::Shifted { node, pad } => {
            let sel = PaddedShape::new(&graph.nodes[*node].shape).selector_eval(point);
            (
                ColumnTarget::Node(*node),
                value - keep * EF::from(from_i64(*pad)) * (EF::ONE - sel),
            )
        }
    }
}

/// The phase-1 table of a limb.
pub fn limb_table(zp: &ZkPlan, n: usize, l: usize) -> Result<usize, ProofError> {
    zp.table(Table1::Limb(n, l))
        .ok_or_else(|| malformed("a claim on a missing limb"))
}

/// The tables of the second (helper) commitment: the lookup helper limbs in
/// [`lucid_lookup::zk::HelperColumns::committed_tables`] order, then one packed mask per group.
pub fn helper_tables(layout: &ZkLayout) -> Vec<(Option<ZkTableId>, usize)> {
    let mut out = Vec::new();
    for slot in 0..layout.slots.len() {
        for limb in 0..3 {
            out.push((
                Some(ZkTableId::Inverse { slot, limb }),
                2usize << layout.slot_vars(slot),
            ));
        }
    }
    for (g, group) in layout.groups.iter().enumerate() {
        if group.carry_out {
            for limb in 0..3 {
                out.push((
                    Some(ZkTableId::Carry { group: g, limb }),
                    2usize << group.num_vars,
                ));
            }
        }
    }
    for (k, group) in layout.groups.iter().enumerate() {
        out.push((
            None,
            super::masks::packed_len(group.num_vars + 1, layout.group_degree(k)),
        ));
    }
    out
}

/// Index of group `g`'s packed mask among [`helper_tables`].
pub fn helper_mask_table(layout: &ZkLayout, g: usize) -> usize {
    helper_tables(layout).len() - layout.groups.len() + g
}

/// The prover's messages about looked-up columns that are not affine images of one committed
/// tensor, in lookup-claim order.
#[derive(Debug)]
struct ColumnMessages<'a> {
    /// Per ReLU difference column `z − y` met (directly or as a split check's whole column),
    /// `z'` at the claim's point.
    diffs: std::slice::Iter<'a, EF>,
    /// Per high-byte column met, the low byte's `v0'` at the claim's point.
    lows: std::slice::Iter<'a, EF>,
}

/// Settles a claim `col'(c, x) = value` on a looked-up column: routes it to the committed
/// tables it is an affine image of.
#[allow(clippy::too_many_arguments)]
fn settle_column(
    zp: &ZkPlan,
    graph: &QGraph,
    col: &ZkColumn,
    point: &[EF],
    value: EF,
    msgs: &mut ColumnMessages<'_>,
    on_node: &mut [Vec<BlindedClaim>],
    settle: &mut Settle,
) -> Result<(), ProofError> {
    let (c, x) = point
        .split_first()
        .ok_or_else(|| malformed("an empty lookup claim point"))?;
    let low_table = |s: usize| {
        zp.table(Table1::LowByte(s))
            .ok_or_else(|| malformed("a claim on a missing low byte"))
    };
    match col {
        ZkColumn::Diff { z, y } => {
            let e = *msgs
                .diffs
                .next()
                .ok_or_else(|| malformed("too few ReLU difference evaluations"))?;
            route(
                zp,
                on_node,
                settle,
                *z,
                BlindedClaim::new(*c, x.to_vec(), e),
            )?;
            route(
                zp,
                on_node,
                settle,
                *y,
                BlindedClaim::new(*c, x.to_vec(), e - value),
            )?;
        }
        ZkColumn::Low(s) => settle.push_first(low_table(*s)?, point.to_vec(), value),
        ZkColumn::High(s) => {
            // `v1' = (V' − v0')·2^{−8}`: with the prover's `v0'`, the claim `V' = v0' + 2^8·v1'`.
            let split = zp
                .splits
                .get(*s)
                .ok_or_else(|| malformed("a high byte of a missing split check"))?;
            if matches!(split.whole, ZkColumn::Low(_) | ZkColumn::High(_)) {
                return Err(malformed("a split check of a byte column"));
            }
            let low = *msgs
                .lows
                .next()
                .ok_or_else(|| malformed("too few low-byte evaluations"))?;
            settle.push_first(low_table(*s)?, point.to_vec(), low);
            let whole = low + EF::from(pow2(BYTE_BITS)) * value;
            settle_column(zp, graph, &split.whole, point, whole, msgs, on_node, settle)?;
        }
        ZkColumn::Plain(col) => {
            let (target, v) = undo_column(graph, col, zp.plan.range_bits, *c, x, value);
            match target {
                ColumnTarget::Node(n) => {
                    route(zp, on_node, settle, n, BlindedClaim::new(*c, x.to_vec(), v))?
                }
                ColumnTarget::Limb(n, l) => {
                    settle.push_first(limb_table(zp, n, l)?, point.to_vec(), v)
                }
            }
        }
    }
    Ok(())
}

/// Settles the lookup argument's claims: columns to their tensors (routed), multiplicities to
/// the first commitment, helper limbs and masks (with their row values) to the second.
///
/// A ReLU's difference column `d' = z' − y'` needs `z'` at the claim's point: `diff_evals`
/// holds those values (the prover's messages) in claim order. A split check's high byte
/// `v1' = (V' − v0')·2^{−8}` needs the low byte `v0'` at the claim's point: `low_evals`, in
/// claim order (a high byte whose whole column is a difference also takes a `diff_evals` entry).
///
/// # Transcript
/// `observe_ext_slice(b"zk/relu-diffs", diff_evals)`; in byte mode (with split checks)
/// `observe_ext_slice(b"zk/low-bytes", low_evals)`.
#[allow(clippy::too_many_arguments)]
pub fn settle_lookup_claims(
    zp: &ZkPlan,
    graph: &QGraph,
    claims: Vec<ZkClaim>,
    mask_rows: &[Vec<EF>],
    diff_evals: &[EF],
    low_evals: &[EF],
    on_node: &mut [Vec<BlindedClaim>],
    settle: &mut Settle,
    transcript: &mut Transcript,
) -> Result<(), ProofError> {
    transcript.observe_ext_slice(b"zk/relu-diffs", diff_evals);
    if !zp.splits.is_empty() {
        transcript.observe_ext_slice(b"zk/low-bytes", low_evals);
    }
    let mut msgs = ColumnMessages {
        diffs: diff_evals.iter(),
        lows: low_evals.iter(),
    };
    let layout = zp
        .lookup_layout
        .as_ref()
        .ok_or_else(|| malformed("lookup claims without lookups"))?;
    let helpers = helper_tables(layout);
    if mask_rows.len() != layout.groups.len() {
        return Err(malformed(format!(
            "{} lookup mask row lists, expected {}",
            mask_rows.len(),
            layout.groups.len()
        )));
    }
    for claim in claims {
        match claim.table {
            ZkTableId::Column { instance, column } => {
                let col = zp
                    .lookups
                    .get(instance)
                    .and_then(|l| l.columns.get(column))
                    .ok_or_else(|| malformed("a claim on a missing lookup column"))?;
                settle_column(
                    zp,
                    graph,
                    col,
                    &claim.point,
                    claim.value,
                    &mut msgs,
                    on_node,
                    settle,
                )?;
            }
            ZkTableId::Multiplicity { table } => {
                let t = zp
                    .table(Table1::Multiplicity(table))
                    .ok_or_else(|| malformed("a claim on a missing multiplicity table"))?;
                settle.push_first(t, claim.point, claim.value);
            }
            ZkTableId::Mask { group } => {
                let rows = &mask_rows[group];
                let vars = layout.groups[group].num_vars + 1;
                if rows.len() != vars || claim.point.len() != vars {
                    return Err(malformed("lookup mask rows of the wrong length"));
                }
                if rows.iter().copied().sum::<EF>() != claim.value {
                    return Err(rejected(
                        format!("lookup group {group}"),
                        "the mask rows do not add up to the mask value",
                    ));
                }
                let t = helper_mask_table(layout, group);
                for (p, v) in
                    super::masks::row_claims(vars, layout.group_degree(group), &claim.point, rows)
                {
                    settle.second.push(lucid_pcs::EvalClaim {
                        table: t,
                        point: p,
                        value: v,
                    });
                }
            }
            id => {
                let t = helpers
                    .iter()
                    .position(|(h, _)| *h == Some(id))
                    .ok_or_else(|| malformed("a claim on a missing helper table"))?;
                settle.second.push(lucid_pcs::EvalClaim {
                    table: t,
                    point: claim.point,
                    value: claim.value,
                });
            }
        }
    }
    if msgs.diffs.next().is_some() {
        return Err(malformed("too many ReLU difference evaluations"));
    }
    if msgs.lows.next().is_some() {
        return Err(malformed("too many low-byte evaluations"));
    }
    Ok(())
}

/// The zero-check of a ReLU `z = max(y, 0)` over `n` variables: the relation
/// `0 = Σ_x eq(τ, x)·(z(x)·z(x) − z(x)·y(x))` on the operands `z'`, `y'` (a scalar "output" with
/// the claim at `c = 0`, so no output mask enters).
pub fn relu_shape(n: usize) -> RelationShape {
    RelationShape {
        claim: BlindedClaim::new(EF::ZERO, Vec::new(), EF::ZERO),
        num_vars: n,
        num_operands: 2,
        num_public: 1,
        terms: vec![
            ProductTerm {
                coeff: EF::ONE,
                factors: vec![0, 0, 2],
            },
            ProductTerm {
                coeff: -EF::ONE,
                factors: vec![0, 1, 2],
            },
        ],
    }
}

/// The Libra-mask row claims of sumcheck slot `k` at `point`, after checking that the rows add
/// up to the mask value the sumcheck needs (the caller checks the final equation with it).
pub fn libra_claims(
    zp: &ZkPlan,
    k: usize,
    point: &[EF],
    rows: &[EF],
    settle: &mut Settle,
) -> Result<EF, ProofError> {
    let slot = zp
        .sumchecks
        .get(k)
        .ok_or_else(|| malformed("more sumchecks than the plan has"))?;
    if rows.len() != slot.vars || point.len() != slot.vars {
        return Err(malformed(format!(
            "{} mask rows for a sumcheck of {} variables",
            rows.len(),
            slot.vars
        )));
    }
    let table = zp
        .table(Table1::Libra(k))
        .ok_or_else(|| malformed("a missing Libra mask table"))?;
    for (p, v) in super::masks::row_claims(slot.vars, slot.degree, point, rows) {
        settle.first.push(lucid_pcs::EvalClaim {
            table,
            point: p,
            value: v,
        });
    }
    Ok(rows.iter().copied().sum())
}
