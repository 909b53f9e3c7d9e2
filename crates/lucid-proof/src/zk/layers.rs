//! Zero-knowledge reductions of convolutions ([`super::conv`]), index maps and products with a
//! weight ([`super::maps`]): the prover's and the verifier's side of each, called from the
//! graph loops of [`super::prover`] and [`super::verifier`] with the node's one claim (after
//! batching).
//!
//! # Transcript
//! - Convolution: with a bias `observe_ext(b"zk/conv-bias", β)`; the relation (`zk-relation/…`,
//!   `lucid_core::sumcheck::zk_relation::prove_relation`).
//! - Index map: the map sumcheck (`zk-map/…`, `prove_blinded_map`, one weight table).
//! - Product with a weight: the map sumcheck (two weight tables), then
//!   `observe_ext(b"zk/scale-weight", C(p))`.

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, eq_eval, eq_table, lift};
use lucid_core::sumcheck::zk::ZkMask;
use lucid_core::sumcheck::zk_relation::{
    BlindedClaim, BlindedMapProof, RelationProof, ZkRelation, c_weighted, prove_blinded_map,
    prove_relation, verify_blinded_map, verify_relation,
};
use lucid_core::transcript::Transcript;
use lucid_model::quant::QGraph;
use p3_field::PrimeCharacteristicRing;

use super::common::{Settle, libra_claims, malformed, rejected, route, route_operands};
use super::conv::ConvGeom;
use super::maps::{ZkScale, node_map};
use super::masks::row_values;
use super::plan::{Kind, SumcheckKind, Table1, ZkPlan, node_vars};
use super::proof::{MaskRows, ZkLayerProof};
use crate::error::ProofError;
use crate::layout::PaddedTensor;

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
    let slot = f.expect_slot(id, SumcheckKind::Relation)?;
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
    let mask = w.libra_mask(slot)?;
    let (rp, out) = prove_relation(rel, mask, f.t).map_err(internal)?;
    let rows = row_values(mask, &out.point);
    let _ = f.libra(&out.point, &rows)?;
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
    let at = || node.name.clone();
    if bias.is_some() != g.has_bias {
        return Err(malformed(format!(
            "node '{}': a bias value exactly when the convolution has a bias",
            node.name
        )));
    }
    f.expect_slot(id, SumcheckKind::Relation)?;
    let rel_claim = conv_claim(&g, claim, bias, f.t);
    let shape = g.shape(rel_claim);
    let sub = verify_relation(&shape, rp, |z| vec![g.public_eval(&claim.point, z)], f.t)
        .map_err(|e| rejected(at(), e))?;
    let mask = f.libra(sub.mask_point(), rows)?;
    sub.check(mask).map_err(|e| rejected(at(), e))?;
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

/// Prover of an index map's reduction.
pub(super) fn prove_map(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let m = node_map(f.graph, id).ok_or_else(|| internal("not an index map"))?;
    let slot = f.expect_slot(id, SumcheckKind::Map)?;
    let x = f.graph.nodes[id].inputs[0];
    let weight = c_weighted(claim.c, &m.weight_table(&claim.point));
    let mask = w.libra_mask(slot)?;
    let (mp, out) =
        prove_blinded_map(&w.blinded(x)?, vec![weight], claim, mask, f.t).map_err(internal)?;
    let rows = row_values(mask, &out.point);
    let _ = f.libra(&out.point, &rows)?;
    f.route(x, out.claim)?;
    Ok(ZkLayerProof::Map(mp, rows))
}

/// Verifier of an index map's reduction.
pub(super) fn verify_map(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    mp: &BlindedMapProof,
    rows: &MaskRows,
) -> Result<(), ProofError> {
    let graph = f.graph;
    let node = &graph.nodes[id];
    let at = || node.name.clone();
    let m = node_map(graph, id).ok_or_else(|| malformed("not an index map"))?;
    f.expect_slot(id, SumcheckKind::Map)?;
    let sub =
        verify_blinded_map(m.input_vars(), 1, claim, mp, f.t).map_err(|e| rejected(at(), e))?;
    let p = sub.mask_point().to_vec();
    let weight = eq_eval(&[claim.c], &p[..1]) * m.weight_eval(&claim.point, &p[1..]);
    let mask = f.libra(&p, rows)?;
    sub.check(&[weight], mask).map_err(|e| rejected(at(), e))?;
    f.route(node.inputs[0], sub.claim)
}

fn scale(graph: &QGraph, id: usize) -> Result<ZkScale, ProofError> {
    ZkScale::new(graph, id).map_err(malformed)
}

/// Prover of a product with a weight.
pub(super) fn prove_scale(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let graph = f.graph;
    let s = scale(graph, id)?;
    let node = &graph.nodes[id];
    let (x, wn) = (node.inputs[s.input], node.inputs[s.weight]);
    let slot = f.expect_slot(id, SumcheckKind::Map)?;
    let eq = eq_table(&claim.full_point());
    let c = lift(&s.expanded(&w.padded[wn].evals));
    let cc = [c.as_slice(), &c].concat();
    let mask = w.libra_mask(slot)?;
    let (mp, out) =
        prove_blinded_map(&w.blinded(x)?, vec![eq, cc], claim, mask, f.t).map_err(internal)?;
    let (proj, _) = s.project(&out.claim.point).map_err(internal)?;
    let weight = w.padded[wn].eval(&proj);
    f.t.observe_ext(b"zk/scale-weight", weight);
    let rows = row_values(mask, &out.point);
    let _ = f.libra(&out.point, &rows)?;
    let c_star = out.claim.c;
    f.route(x, out.claim)?;
    f.route(wn, BlindedClaim::new(c_star, proj, weight))?;
    Ok(ZkLayerProof::Scale {
        map: mp,
        weight,
        rows,
    })
}

/// Verifier of a product with a weight.
pub(super) fn verify_scale(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    mp: &BlindedMapProof,
    weight: EF,
    rows: &MaskRows,
) -> Result<(), ProofError> {
    let graph = f.graph;
    let node = &graph.nodes[id];
    let at = || node.name.clone();
    let s = scale(graph, id)?;
    f.expect_slot(id, SumcheckKind::Map)?;
    let vars = node_vars(f.graph, id);
    let sub = verify_blinded_map(vars, 2, claim, mp, f.t).map_err(|e| rejected(at(), e))?;
    f.t.observe_ext(b"zk/scale-weight", weight);
    let p = sub.mask_point().to_vec();
    let (proj, factor) = s.project(&sub.claim.point).map_err(malformed)?;
    let w0 = eq_eval(&claim.full_point(), &p);
    let mask = f.libra(&p, rows)?;
    sub.check(&[w0, factor * weight], mask)
        .map_err(|e| rejected(at(), e))?;
    let c_star = sub.claim.c;
    f.route(node.inputs[s.input], sub.claim)?;
    f.route(
        node.inputs[s.weight],
        BlindedClaim::new(c_star, proj, weight),
    )
}
