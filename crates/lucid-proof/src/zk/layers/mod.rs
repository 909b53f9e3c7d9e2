//! Zero-knowledge reductions of matrix products, additions, convolutions and transposed
//! convolutions ([`super::conv`]), products of two activations ([`super::product`]), index
//! maps and products with a weight ([`super::maps`]): the prover's and the verifier's side of
//! each, called from the graph loops of [`super::prover`] and [`super::verifier`] with
//! the node's one claim (after batching).
//!
//! # Transcript
//! - Matrix product: the relation (`zk-relation/…`).
//! - Addition, subtraction: the linear step's `zk-linear/inputs`.
//! - Convolution: with a bias `observe_ext(b"zk/conv-bias", β)`; the relation (`zk-relation/…`,
//!   `lucid_core::sumcheck::zk_relation::prove_relation`).
//! - Product of two activations: the relation (`zk-relation/…`, [`super::product`]).
//! - Index maps, concatenations and products with a weight: see [`maps`].

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, eq_eval, eq_table, lift};
use lucid_core::sumcheck::zk::ZkMask;
use lucid_core::sumcheck::zk_relation::{
    BlindedClaim, RelationOutput, RelationProof, RelationShape, RelationSubclaim, ZkRelation,
    prove_relation, verify_relation,
};
use lucid_core::transcript::Transcript;
use lucid_model::quant::QGraph;
use p3_field::PrimeCharacteristicRing;

use super::common::{
    MatMulGeom, Settle, add_step, free_map, libra_claims, malformed, rejected, route,
    route_operands,
};
use super::conv::ConvGeom;
use super::masks::{blinded_eval, row_values};
use super::plan::{Kind, SumcheckKind, Table1, ZkPlan, is_product, node_vars};
use super::product::ZkProduct;
use super::proof::{MaskRows, ZkLayerProof};
use crate::error::ProofError;
use crate::layers::matmul::bind_middle;
use crate::layout::PaddedTensor;

mod maps;

pub(super) use maps::{prove_map, prove_scale, verify_concat, verify_map, verify_scale};

/// The claim flow both sides share: the plan, pending claims, settlements, the next sumcheck
/// slot and the transcript.
pub(super) struct Flow<'a> {
    pub zp: &'a ZkPlan,
    pub graph: &'a QGraph,
    pub on_node: &'a mut [Vec<BlindedClaim>],
    pub settle: &'a mut Settle,
    pub slot: &'a mut usize,
    pub t: &'a mut Transcript,
}

impl Flow<'_> {
    fn route(&mut self, n: usize, claim: BlindedClaim) -> Result<(), ProofError> {
        route(self.zp, self.on_node, self.settle, n, claim)
    }

    /// Checks that the next planned sumcheck is `kind` for node `id`.
    fn expect_slot(&self, id: usize, kind: SumcheckKind) -> Result<usize, ProofError> {
        match self.zp.sumchecks.get(*self.slot) {
            Some(s) if s.node == id && s.kind == kind => Ok(*self.slot),
            _ => Err(malformed("the reductions do not follow the plan")),
        }
    }

    /// Settles the Libra mask rows of the current slot at `point` and moves to the next slot;
    /// returns the mask value.
    fn libra(&mut self, point: &[EF], rows: &[EF]) -> Result<EF, ProofError> {
        let g = libra_claims(self.zp, *self.slot, point, rows, self.settle)?;
        *self.slot += 1;
        Ok(g)
    }

    /// Proves node `id`'s relation `rel` with the next planned slot's Libra mask (a relation
    /// slot of `id`) and settles the mask's rows at the sumcheck's final point.
    fn prove_relation(
        &mut self,
        w: &Private<'_>,
        id: usize,
        rel: ZkRelation,
    ) -> Result<(RelationProof, RelationOutput, MaskRows), ProofError> {
        let slot = self.expect_slot(id, SumcheckKind::Relation)?;
        let mask = w.libra_mask(slot)?;
        let (rp, out) = prove_relation(rel, mask, self.t).map_err(internal)?;
        let rows = self.prover_rows(mask, &out.point)?;
        Ok((rp, out, rows))
    }

    /// Verifies node `id`'s relation proof `rp` for `shape` (`public` evaluates the public
    /// tables at the operand point), settles the Libra mask `rows` and checks the final
    /// equation; returns the claims left.
    fn verify_relation<P: FnOnce(&[EF]) -> Vec<EF>>(
        &mut self,
        id: usize,
        shape: &RelationShape,
        rp: &RelationProof,
        rows: &MaskRows,
        public: P,
    ) -> Result<RelationSubclaim, ProofError> {
        let at = || self.graph.nodes[id].name.clone();
        self.expect_slot(id, SumcheckKind::Relation)?;
        let sub = verify_relation(shape, rp, public, self.t).map_err(|e| rejected(at(), e))?;
        let g = self.libra(sub.mask_point(), rows)?;
        sub.check(g).map_err(|e| rejected(at(), e))?;
        Ok(sub)
    }

    /// The prover's side of [`Self::libra`]: the rows of the current slot's Libra `mask` at
    /// the sumcheck's final `point`, settled; returns them (the proof's [`MaskRows`]).
    fn prover_rows(&mut self, mask: &ZkMask, point: &[EF]) -> Result<MaskRows, ProofError> {
        let rows = row_values(mask, point);
        let _ = self.libra(point, &rows)?;
        Ok(rows)
    }
}

/// The prover's private tables.
pub(super) struct Private<'a> {
    pub padded: &'a [PaddedTensor],
    pub masks: &'a [Option<Vec<F>>],
    pub libra: &'a [ZkMask],
}

fn internal(what: impl ToString) -> ProofError {
    ProofError::Witness {
        node: "zero-knowledge prover".into(),
        reason: what.to_string(),
    }
}

impl Private<'_> {
    fn mask(&self, n: usize) -> Result<&[F], ProofError> {
        self.masks[n]
            .as_deref()
            .ok_or_else(|| internal(format!("node {n} has no mask")))
    }

    /// `[T ; R_T]` of node `n`.
    fn blinded(&self, n: usize) -> Result<Vec<EF>, ProofError> {
        Ok([lift(&self.padded[n].evals), lift(self.mask(n)?)].concat())
    }

    fn libra_mask(&self, slot: usize) -> Result<&ZkMask, ProofError> {
        self.libra
            .get(slot)
            .ok_or_else(|| internal("more sumchecks than planned"))
    }
}

/// Settles a relation's output-mask claim `R_Y(z) = u`: on the blinded table at `c = 1` for a
/// committed `Y`, on the committed mask otherwise.
pub(super) fn settle_output_mask(
    zp: &ZkPlan,
    id: usize,
    u: &EvalClaim,
    settle: &mut Settle,
) -> Result<(), ProofError> {
    if zp.kinds[id] == Kind::Committed {
        let table = zp.blinded_table(id).ok_or_else(|| malformed("no table"))?;
        let mut p = vec![EF::ONE];
        p.extend_from_slice(&u.point);
        settle.push_first(table, p, u.value);
    } else {
        let table = zp
            .table(Table1::Mask(id))
            .ok_or_else(|| malformed("no mask table"))?;
        settle.push_first(table, u.point.clone(), u.value);
    }
    Ok(())
}

/// Prover of a matrix product's reduction (no batch variables): the relation over the
/// contraction with the restricted operands `A'(c, r_i, ·)` and `B'(c, ·, r_j)`.
pub(super) fn prove_matmul(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let graph = f.graph;
    let node = &graph.nodes[id];
    let geom = MatMulGeom::new(graph, id)?;
    let (a, b) = (node.inputs[0], node.inputs[1]);
    let (ri, rj) = geom.split(&claim.point);
    let restrict = |x: usize, rows_first: bool, r: &[EF]| -> Result<Vec<EF>, ProofError> {
        let nv = node_vars(graph, x);
        let bind = |tab: &[F]| {
            if rows_first {
                bind_middle(tab, 0, r, nv - r.len())
            } else {
                bind_middle(tab, nv - r.len(), r, 0)
            }
        };
        Ok([bind(&w.padded[x].evals), bind(w.mask(x)?)].concat())
    };
    let rel = ZkRelation {
        shape: geom.shape(claim.clone()),
        operands: vec![
            restrict(a, !geom.transpose_a, ri)?,
            restrict(b, geom.transpose_b, rj)?,
        ],
        public: Vec::new(),
        output_mask: lift(w.mask(id)?),
    };
    let (rp, out, rows) = f.prove_relation(w, id, rel)?;
    let (cs, z) = (out.operand_claims[0].c, &out.operand_claims[0].point);
    let points = geom.operand_points(&claim.point, z);
    route_operands(
        f.zp,
        f.on_node,
        f.settle,
        [a, b],
        cs,
        points,
        &rp.operand_evals,
    )?;
    settle_output_mask(f.zp, id, &out.output_mask_claim, f.settle)?;
    Ok(ZkLayerProof::MatMul(rp, rows))
}

/// Verifier of a matrix product's reduction.
pub(super) fn verify_matmul(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    rp: &RelationProof,
    rows: &MaskRows,
) -> Result<(), ProofError> {
    let graph = f.graph;
    let node = &graph.nodes[id];
    let geom = MatMulGeom::new(graph, id)?;
    let shape = geom.shape(claim.clone());
    let sub = f.verify_relation(id, &shape, rp, rows, |_| Vec::new())?;
    let (cs, z) = (sub.operand_claims[0].c, &sub.operand_claims[0].point);
    let points = geom.operand_points(&claim.point, z);
    route_operands(
        f.zp,
        f.on_node,
        f.settle,
        [node.inputs[0], node.inputs[1]],
        cs,
        points,
        &rp.operand_evals,
    )?;
    settle_output_mask(f.zp, id, &sub.output_mask_claim, f.settle)
}

/// An addition's or subtraction's reduction, both sides: checks the linear step on the
/// operands' blinded values `evals` (the prover's, or the proof's) and routes their claims.
pub(super) fn reduce_add(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    evals: &[EF],
) -> Result<(), ProofError> {
    let graph = f.graph;
    let node = &graph.nodes[id];
    if evals.len() != 2 {
        return Err(malformed(format!(
            "node '{}': expected 2 evaluations",
            node.name
        )));
    }
    let (step, points) = add_step(graph, id, &claim.point)?;
    step.check(claim, evals, f.t)
        .map_err(|e| rejected(node.name.clone(), e))?;
    route_operands(
        f.zp,
        f.on_node,
        f.settle,
        [node.inputs[0], node.inputs[1]],
        claim.c,
        points,
        evals,
    )
}

/// Prover of an addition's or subtraction's reduction: the operands' blinded values at their
/// (projected) points.
pub(super) fn prove_add(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let node = &f.graph.nodes[id];
    let (_, points) = add_step(f.graph, id, &claim.point)?;
    let mut evals = Vec::with_capacity(2);
    for (&x, p) in node.inputs.iter().zip(&points) {
        evals.push(blinded_eval(&w.padded[x].evals, w.mask(x)?, claim.c, p));
    }
    reduce_add(f, id, claim, &evals)?;
    Ok(ZkLayerProof::Linear(evals))
}

fn product(graph: &QGraph, id: usize) -> Result<ZkProduct, ProofError> {
    if !is_product(graph, id) {
        return Err(malformed("a product proof for a product with a weight"));
    }
    ZkProduct::new(graph, id).map_err(malformed)
}

/// Routes a product relation's operand claims and its output-mask claim.
fn route_product(
    f: &mut Flow<'_>,
    p: &ZkProduct,
    id: usize,
    operand: &BlindedClaim,
    evals: &[EF],
    mask: &EvalClaim,
) -> Result<(), ProofError> {
    let at = || f.graph.nodes[id].name.clone();
    for (n, claim) in p
        .operand_claims(operand.c, &operand.point, evals)
        .map_err(|e| rejected(at(), e))?
    {
        f.route(n, claim)?;
    }
    settle_output_mask(f.zp, id, mask, f.settle)
}

/// Prover of an element-wise product of two activations.
pub(super) fn prove_product(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let p = product(f.graph, id)?;
    let mut operands = Vec::new();
    for (k, n) in p.operand_nodes().into_iter().enumerate() {
        operands.push(p.operand_table(k, &w.padded[n].evals, w.mask(n)?));
    }
    let rel = ZkRelation {
        shape: p.shape(claim.clone()),
        operands,
        public: vec![eq_table(&claim.point)],
        output_mask: lift(w.mask(id)?),
    };
    let (rp, out, rows) = f.prove_relation(w, id, rel)?;
    route_product(
        f,
        &p,
        id,
        &out.operand_claims[0],
        &rp.operand_evals,
        &out.output_mask_claim,
    )?;
    Ok(ZkLayerProof::Product(rp, rows))
}

/// Verifier of an element-wise product of two activations.
pub(super) fn verify_product(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    rp: &RelationProof,
    rows: &MaskRows,
) -> Result<(), ProofError> {
    let p = product(f.graph, id)?;
    let shape = p.shape(claim.clone());
    let sub = f.verify_relation(id, &shape, rp, rows, |z| vec![eq_eval(&claim.point, z)])?;
    route_product(
        f,
        &p,
        id,
        &sub.operand_claims[0],
        &rp.operand_evals,
        &sub.output_mask_claim,
    )
}

/// A free map's reduction, both sides (no message): the claim moves to the operand at the
/// mapped point, scaled by the map's factor ([`free_map`]).
pub(super) fn reduce_free(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<(), ProofError> {
    let (p, factor) = free_map(f.graph, id, &claim.point)?;
    let x = f.graph.nodes[id].inputs[0];
    f.route(x, BlindedClaim::new(claim.c, p, claim.value * factor))
}

/// The convolution proper's claim: `Y'(c0, r) − (1 − c0)·β·S_N(r_n)·S_P(r_p)`, after observing
/// `β` (with a bias).
fn conv_claim(
    g: &ConvGeom,
    claim: &BlindedClaim,
    beta: Option<EF>,
    t: &mut Transcript,
) -> BlindedClaim {
    if let Some(b) = beta {
        t.observe_ext(b"zk/conv-bias", b);
    }
    let bias = beta.map_or(EF::ZERO, |b| b * g.bias_factor(&claim.point));
    BlindedClaim::new(
        claim.c,
        claim.point.clone(),
        claim.value - (EF::ONE - claim.c) * bias,
    )
}

fn geom(graph: &QGraph, id: usize) -> Result<ConvGeom, ProofError> {
    ConvGeom::new(graph, id).map_err(malformed)
}

/// Prover of a convolution's reduction.
pub(super) fn prove_conv(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let graph = f.graph;
    let g = geom(graph, id)?;
    let node = &graph.nodes[id];
    let (x, wn) = (node.inputs[0], node.inputs[1]);
    let (_, ro, _) = g.split(&claim.point);
    let bias = g
        .has_bias
        .then(|| (node.inputs[2], w.padded[node.inputs[2]].eval(ro)));
    let rel_claim = conv_claim(&g, claim, bias.map(|b| b.1), f.t);
    let half = g.weight_operand(&w.padded[wn].evals, &claim.point);
    let w_op = [half.as_slice(), &half].concat();
    let x_op = [
        g.input_operand(&w.padded[x].evals, &claim.point),
        g.input_operand(w.mask(x)?, &claim.point),
    ]
    .concat();
    let rel = ZkRelation {
        shape: g.shape(rel_claim),
        operands: vec![w_op, x_op],
        public: vec![g.public_table(&claim.point)],
        output_mask: lift(w.mask(id)?),
    };
    let (rp, out, rows) = f.prove_relation(w, id, rel)?;
    let z = &out.operand_claims[0].point;
    let points = g.operand_points(&claim.point, z);
    let cs = out.operand_claims[0].c;
    route_operands(
        f.zp,
        f.on_node,
        f.settle,
        [wn, x],
        cs,
        points,
        &rp.operand_evals,
    )?;
    if let Some((b, v)) = bias {
        f.route(b, BlindedClaim::new(claim.c, ro.to_vec(), v))?;
    }
    settle_output_mask(f.zp, id, &out.output_mask_claim, f.settle)?;
    Ok(ZkLayerProof::Conv {
        bias: bias.map(|b| b.1),
        relation: rp,
        rows,
    })
}

/// Verifier of a convolution's reduction.
pub(super) fn verify_conv(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    bias: Option<EF>,
    rp: &RelationProof,
    rows: &MaskRows,
) -> Result<(), ProofError> {
    let graph = f.graph;
    let g = geom(graph, id)?;
    let node = &graph.nodes[id];
    if bias.is_some() != g.has_bias {
        return Err(malformed(format!(
            "node '{}': a bias value exactly when the convolution has a bias",
            node.name
        )));
    }
    let rel_claim = conv_claim(&g, claim, bias, f.t);
    let shape = g.shape(rel_claim);
    let sub = f.verify_relation(id, &shape, rp, rows, |z| {
        vec![g.public_eval(&claim.point, z)]
    })?;
    let (cs, z) = (sub.operand_claims[0].c, &sub.operand_claims[0].point);
    let points = g.operand_points(&claim.point, z);
    route_operands(
        f.zp,
        f.on_node,
        f.settle,
        [node.inputs[1], node.inputs[0]],
        cs,
        points,
        &rp.operand_evals,
    )?;
    if let Some(b) = bias {
        let (_, ro, _) = g.split(&claim.point);
        f.route(node.inputs[2], BlindedClaim::new(claim.c, ro.to_vec(), b))?;
    }
    settle_output_mask(f.zp, id, &sub.output_mask_claim, f.settle)
}
