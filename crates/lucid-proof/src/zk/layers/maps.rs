//! Reductions of public linear maps onto blinded operands: index maps of one operand (a map
//! sumcheck onto it), concatenations (shares, then a map sumcheck per operand) and products
//! with a weight ([`super::super::maps`]).
//!
//! A map with constant entries (a non-zero pad's border) first subtracts the public
//! `(1 − c0)·C(r)` from the claim ([`ZkMap::without_constant`]): its derived mask leaves the
//! constant out.
//!
//! # Transcript
//! - Index map of one operand: the map sumcheck (`zk-map/…`, `prove_blinded_map`, one weight
//!   table) of the claim without its constant part.
//! - Concatenation of `K > 1` operands: `observe_ext_slice(b"zk/map-shares", s_0 … s_{K−1})`
//!   (the parts' blinded values `L_k(X_k)'(c0, r)`, which must add up to the claim), then per
//!   operand in order its map sumcheck of the claim `L_k(X_k)'(c0, r) = s_k`.
//! - Product with a weight: the map sumcheck (two weight tables), then
//!   `observe_ext(b"zk/scale-weight", C(p))`.

use lucid_core::field::EF;
use lucid_core::mle::{eq_eval, eq_table, lift};
use lucid_core::sumcheck::zk_relation::{
    BlindedClaim, BlindedMapProof, c_weighted, prove_blinded_map, verify_blinded_map,
};
use lucid_model::quant::QGraph;

use super::{Flow, Private, internal};
use crate::error::ProofError;
use crate::zk::common::{malformed, rejected};
use crate::zk::maps::{ZkMap, ZkScale, node_map};
use crate::zk::plan::{SumcheckKind, node_vars};
use crate::zk::proof::{MaskRows, ZkLayerProof};

/// Proves operand `k`'s map sumcheck of `claim` (on `L_k(X_k)'`) onto its blinded table.
fn prove_part(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    m: &ZkMap,
    k: usize,
    claim: &BlindedClaim,
) -> Result<(BlindedMapProof, MaskRows), ProofError> {
    let slot = f.expect_slot(id, SumcheckKind::Map)?;
    let x = f.graph.nodes[id].inputs[m.operand(k)];
    let weight = c_weighted(claim.c, &m.weight_table(k, &claim.point));
    let mask = w.libra_mask(slot)?;
    let (mp, out) =
        prove_blinded_map(&w.blinded(x)?, vec![weight], claim, mask, f.t).map_err(internal)?;
    let rows = f.prover_rows(mask, &out.point)?;
    f.route(x, out.claim)?;
    Ok((mp, rows))
}

/// Verifies operand `k`'s map sumcheck of `claim` and routes the claim it leaves.
fn verify_part(
    f: &mut Flow<'_>,
    id: usize,
    m: &ZkMap,
    k: usize,
    claim: &BlindedClaim,
    (mp, rows): (&BlindedMapProof, &MaskRows),
) -> Result<(), ProofError> {
    let node = &f.graph.nodes[id];
    let at = || node.name.clone();
    f.expect_slot(id, SumcheckKind::Map)?;
    let sub =
        verify_blinded_map(m.input_vars(k), 1, claim, mp, f.t).map_err(|e| rejected(at(), e))?;
    let p = sub.mask_point().to_vec();
    let weight = eq_eval(&[claim.c], &p[..1]) * m.weight_eval(k, &claim.point, &p[1..]);
    let mask = f.libra(&p, rows)?;
    sub.check(&[weight], mask).map_err(|e| rejected(at(), e))?;
    f.route(node.inputs[m.operand(k)], sub.claim)
}

/// The claims `L_k(X_k)'(c0, r) = s_k` of a concatenation's parts, after observing the shares
/// and (`check`: the verifier) checking that they add up to the claim. The prover does not
/// check: with a wrong witness it hands out the proof a cheating prover would, which the
/// verifier rejects.
fn part_claims(
    f: &mut Flow<'_>,
    id: usize,
    m: &ZkMap,
    claim: &BlindedClaim,
    shares: &[EF],
    check: bool,
) -> Result<Vec<BlindedClaim>, ProofError> {
    let node = &f.graph.nodes[id];
    if shares.len() != m.num_parts() {
        return Err(malformed(format!(
            "node '{}': {} map shares for {} operands",
            node.name,
            shares.len(),
            m.num_parts()
        )));
    }
    f.t.observe_ext_slice(b"zk/map-shares", shares);
    if check && shares.iter().copied().sum::<EF>() != claim.value {
        return Err(rejected(
            node.name.clone(),
            "the operands' shares do not add up to the claim",
        ));
    }
    Ok(shares
        .iter()
        .map(|&s| BlindedClaim::new(claim.c, claim.point.clone(), s))
        .collect())
}

/// Prover of an index map's reduction: one operand's map sumcheck, or a concatenation's
/// shares and one map sumcheck per operand.
pub(in crate::zk) fn prove_map(
    f: &mut Flow<'_>,
    w: &Private<'_>,
    id: usize,
    claim: &BlindedClaim,
) -> Result<ZkLayerProof, ProofError> {
    let m = node_map(f.graph, id).ok_or_else(|| internal("not an index map"))?;
    let claim = &m.without_constant(claim);
    if m.num_parts() == 1 {
        let (mp, rows) = prove_part(f, w, id, &m, 0, claim)?;
        return Ok(ZkLayerProof::Map(mp, rows));
    }
    let node = &f.graph.nodes[id];
    let mut shares = Vec::with_capacity(m.num_parts());
    for k in 0..m.num_parts() {
        let weight = c_weighted(claim.c, &m.weight_table(k, &claim.point));
        let table = w.blinded(node.inputs[m.operand(k)])?;
        shares.push(weight.iter().zip(&table).map(|(&a, &b)| a * b).sum());
    }
    let claims = part_claims(f, id, &m, claim, &shares, false)?;
    let mut maps = Vec::with_capacity(claims.len());
    for (k, c) in claims.iter().enumerate() {
        maps.push(prove_part(f, w, id, &m, k, c)?);
    }
    Ok(ZkLayerProof::Concat { shares, maps })
}

/// Verifier of an index map of one operand.
pub(in crate::zk) fn verify_map(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    mp: &BlindedMapProof,
    rows: &MaskRows,
) -> Result<(), ProofError> {
    let m = node_map(f.graph, id).ok_or_else(|| malformed("not an index map"))?;
    if m.num_parts() != 1 {
        return Err(malformed("a one-operand map proof for a concatenation"));
    }
    verify_part(f, id, &m, 0, &m.without_constant(claim), (mp, rows))
}

/// Verifier of a concatenation (an index map of several operands).
pub(in crate::zk) fn verify_concat(
    f: &mut Flow<'_>,
    id: usize,
    claim: &BlindedClaim,
    shares: &[EF],
    maps: &[(BlindedMapProof, MaskRows)],
) -> Result<(), ProofError> {
    let m = node_map(f.graph, id).ok_or_else(|| malformed("not an index map"))?;
    if m.num_parts() < 2 || maps.len() != m.num_parts() {
        return Err(malformed(format!(
            "node '{}': {} map proofs for a map of {} operands",
            f.graph.nodes[id].name,
            maps.len(),
            m.num_parts()
        )));
    }
    let claims = part_claims(f, id, &m, &m.without_constant(claim), shares, true)?;
    for (k, (c, (mp, rows))) in claims.iter().zip(maps).enumerate() {
        verify_part(f, id, &m, k, c, (mp, rows))?;
    }
    Ok(())
}

fn scale(graph: &QGraph, id: usize) -> Result<ZkScale, ProofError> {
    ZkScale::new(graph, id).map_err(malformed)
}

/// Prover of a product with a weight.
pub(in crate::zk) fn prove_scale(
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
    let rows = f.prover_rows(mask, &out.point)?;
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
pub(in crate::zk) fn verify_scale(
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
