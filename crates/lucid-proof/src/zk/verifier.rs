//! The zero-knowledge graph verifier: replays the prover's transcript from the verifying key and
//! the proof, checks every lookup group, linear step, batching and relation, and settles every
//! claim with the two hiding openings and the plain opening of the key's weights commitment. It
//! never panics on a malformed proof.

use lucid_core::field::EF;
use lucid_core::mle::eq_eval;
use lucid_core::sumcheck::zk_relation::{BlindedClaim, verify_blinded_batch, verify_relation};
use lucid_lookup::zk::verify_phase2;
use lucid_model::quant::QOp;
use lucid_model::tensor::Tensor;
use p3_field::PrimeCharacteristicRing;

use super::common::{
    Settle, helper_tables, is_free, libra_claims, malformed, open_transcripts, rejected,
    relu_shape, requant_step, route, route_requant, settle_lookup_claims, start_transcript,
};
use super::layers::{self as zl, Flow};
use super::maps::node_map;
use super::plan::{Kind, SumcheckKind, ZkPlan, node_vars};
use super::proof::{ZkLayerProof, ZkProof};
use crate::error::ProofError;
use crate::graph::plan::Role;
use crate::graph::statement::public_eval;
use crate::key::{VerifyingKey, check_public_values};

/// Checks the statement's tensors against the key's shapes (and the caller's public inputs).
fn check_statement(
    vk: &VerifyingKey,
    proof: &ZkProof,
    public_inputs: Option<&[Tensor<i64>]>,
) -> Result<(), ProofError> {
    if let Some(expected) = public_inputs
        && expected != proof.public_inputs.as_slice()
    {
        return Err(ProofError::Statement(
            "the proof's public inputs differ from the expected ones".into(),
        ));
    }
    check_public_values(vk, &proof.public_inputs, &proof.outputs)
}

fn check_lens(what: &str, got: &[u64], expected: &[usize]) -> Result<(), ProofError> {
    let expected: Vec<u64> = expected.iter().map(|&l| l as u64).collect();
    if got != expected.as_slice() {
        return Err(malformed(format!(
            "the {what} commitment has tables of lengths {got:?}, the key requires {expected:?}"
        )));
    }
    Ok(())
}

/// Verifies a zero-knowledge proof against `vk`. With `public_inputs` the proof's public inputs
/// must equal them. Returns the proven outputs.
///
/// # Transcript
/// As the prover ([`super`]): the statement, the first commitment, the lookup argument (phase 2,
/// the helper commitment, the group sumchecks, `zk/relu-diffs`, in byte mode `zk/low-bytes`),
/// per range-checked ReLU
/// `sample_ext_vec(b"zk/relu-tau")` and its zero-check, per requantization
/// `sample_ext_vec(b"zk/requant-point")` and its linear step, per output
/// `sample_ext_vec(b"zk/output-point")`, the layer reductions in reverse node order, then the
/// two hiding openings and the plain opening of the key's weights commitment.
pub fn verify(
    vk: &VerifyingKey,
    proof: &ZkProof,
    public_inputs: Option<&[Tensor<i64>]>,
) -> Result<Vec<Tensor<i64>>, ProofError> {
    verify_with_claims(vk, proof, public_inputs).map(|(outputs, _)| outputs)
}

/// [`verify`], also returning every claim the three openings settled (for audits and tests: the
/// values a verifier learns about the committed tables).
pub fn verify_with_claims(
    vk: &VerifyingKey,
    proof: &ZkProof,
    public_inputs: Option<&[Tensor<i64>]>,
) -> Result<(Vec<Tensor<i64>>, Settle), ProofError> {
    verify_with_plan(vk, ZkPlan::new(vk)?, proof, public_inputs)
}

/// [`verify`] with the range width forced to `bits` instead of the plan's choice (for
/// measurements of both widths on one key; see [`super::prove_witness_with_range`]).
#[doc(hidden)]
pub fn verify_with_range(
    vk: &VerifyingKey,
    bits: u32,
    proof: &ZkProof,
) -> Result<Vec<Tensor<i64>>, ProofError> {
    verify_with_plan(vk, ZkPlan::with_range(vk, bits)?, proof, None).map(|(outputs, _)| outputs)
}

fn verify_with_plan(
    vk: &VerifyingKey,
    zp: ZkPlan,
    proof: &ZkProof,
    public_inputs: Option<&[Tensor<i64>]>,
) -> Result<(Vec<Tensor<i64>>, Settle), ProofError> {
    let graph = &vk.graph;
    let scheme = vk.params.zk_scheme();
    check_statement(vk, proof, public_inputs)?;
    if !proof.commitment.is_hiding() {
        return Err(malformed("the witness commitment is not hiding"));
    }
    check_lens(
        "witness",
        proof.commitment.table_lens(),
        &zp.table_lens(graph),
    )?;
    let mut t = start_transcript(vk, &proof.public_inputs, &proof.outputs)?;
    proof.commitment.observe(&mut t);

    let n = graph.nodes.len();
    let mut on_node: Vec<Vec<BlindedClaim>> = vec![Vec::new(); n];
    let mut settle = Settle::default();

    match (&zp.lookup_layout, &proof.lookups, &proof.helper_commitment) {
        (Some(layout), Some(lp), Some(c2)) => {
            let ch = verify_phase2(&zp.shapes, &mut t)?;
            if !c2.is_hiding() {
                return Err(malformed("the helper commitment is not hiding"));
            }
            let lens: Vec<usize> = helper_tables(layout).iter().map(|x| x.1).collect();
            check_lens("helper", c2.table_lens(), &lens)?;
            c2.observe(&mut t);
            let claims = lucid_lookup::zk::verify(&zp.shapes, &ch, lp, &mut t)?;
            settle_lookup_claims(
                &zp,
                graph,
                claims,
                &proof.lookup_mask_rows,
                &proof.relu_diffs,
                &proof.low_bytes,
                &mut on_node,
                &mut settle,
                &mut t,
            )?;
        }
        (None, None, None) => {
            if !proof.lookup_mask_rows.is_empty()
                || !proof.relu_diffs.is_empty()
                || !proof.low_bytes.is_empty()
                || proof.helper_opening.is_some()
            {
                return Err(malformed("lookup data in a proof without lookups"));
            }
        }
        _ => return Err(malformed("the lookup argument does not match the key")),
    }

    // ReLU zero-checks.
    let mut slot = 0usize;
    if proof.relus.len() != zp.relus.len() {
        return Err(malformed(format!(
            "{} ReLU zero-checks, the key has {}",
            proof.relus.len(),
            zp.relus.len()
        )));
    }
    for (r, (rp, rows)) in zp.relus.iter().zip(&proof.relus) {
        let at = || graph.nodes[r.node].name.clone();
        match zp.sumchecks.get(slot) {
            Some(s) if s.node == r.node && s.kind == SumcheckKind::Product => {}
            _ => return Err(malformed("the ReLU zero-checks do not follow the plan")),
        }
        let nv = node_vars(graph, r.node);
        let tau = t.sample_ext_vec(b"zk/relu-tau", nv);
        let sub = verify_relation(&relu_shape(nv), rp, |z| vec![eq_eval(&tau, z)], &mut t)
            .map_err(|e| rejected(at(), e))?;
        if rp.output_mask_eval != EF::ZERO {
            return Err(rejected(at(), "the zero-check's output mask is not zero"));
        }
        let g = libra_claims(&zp, slot, sub.mask_point(), rows, &mut settle)?;
        sub.check(g).map_err(|e| rejected(at(), e))?;
        slot += 1;
        for (n, oc) in [r.node, r.input].into_iter().zip(sub.operand_claims) {
            route(&zp, &mut on_node, &mut settle, n, oc)?;
        }
    }

    let mut requant = proof.requant.iter();
    for (id, role) in zp.plan.roles.iter().enumerate() {
        let Role::Requant { limbs: m, .. } = role else {
            continue;
        };
        let evals = requant
            .next()
            .ok_or_else(|| malformed("missing requantization evaluations"))?;
        if evals.len() != m + 1 {
            return Err(malformed(format!(
                "node '{}': {} requantization evaluations, expected {}",
                graph.nodes[id].name,
                evals.len(),
                m + 1
            )));
        }
        let p = t.sample_ext_vec(b"zk/requant-point", node_vars(graph, id) + 1);
        let (c, r) = (p[0], p[1..].to_vec());
        let x_claim = requant_step(graph, id, *m, zp.plan.range_bits)
            .apply(c, r, evals, &mut t)
            .map_err(|e| rejected(graph.nodes[id].name.clone(), e))?;
        route_requant(
            &zp,
            graph,
            &mut on_node,
            &mut settle,
            id,
            &p,
            x_claim,
            evals,
        )?;
    }
    if requant.next().is_some() {
        return Err(malformed(
            "more requantization evaluations than requantizations",
        ));
    }

    for (o, tensor) in graph.outputs.iter().zip(&proof.outputs) {
        let r = t.sample_ext_vec(b"zk/output-point", node_vars(graph, o.node));
        let v = public_eval(&graph.nodes[o.node].shape, tensor, &r)?;
        route(
            &zp,
            &mut on_node,
            &mut settle,
            o.node,
            BlindedClaim::new(EF::ZERO, r, v),
        )?;
    }

    let mut layers = proof.layers.iter();
    let next_slot = |slot: usize, id: usize, kind: SumcheckKind| -> Result<(), ProofError> {
        match zp.sumchecks.get(slot) {
            Some(s) if s.node == id && s.kind == kind => Ok(()),
            _ => Err(malformed("the reductions do not follow the plan")),
        }
    };
    for id in (0..n).rev() {
        let claims = std::mem::take(&mut on_node[id]);
        if claims.is_empty() {
            continue;
        }
        let node = &graph.nodes[id];
        let at = || node.name.clone();
        let np = layers
            .next()
            .ok_or_else(|| malformed(format!("no proof for node '{}'", node.name)))?;
        if np.node as usize != id {
            return Err(malformed(format!(
                "a proof for node {} where node {id} was expected",
                np.node
            )));
        }
        let claim = if zp.kinds[id] == Kind::Committed {
            if np.batch.is_some() {
                return Err(malformed("a batching proof on a committed node"));
            }
            claims
                .into_iter()
                .find(|c| c.c != EF::ZERO)
                .ok_or_else(|| malformed("a committed layer node without a random-c claim"))?
        } else if zp.batched[id] {
            let (bp, rows) = np
                .batch
                .as_ref()
                .ok_or_else(|| malformed(format!("node '{}' needs a batching proof", node.name)))?;
            next_slot(slot, id, SumcheckKind::Batch)?;
            let sub = verify_blinded_batch(node_vars(graph, id), &claims, bp, &mut t)
                .map_err(|e| rejected(at(), e))?;
            let g = libra_claims(&zp, slot, sub.mask_point(), rows, &mut settle)?;
            sub.check(g).map_err(|e| rejected(at(), e))?;
            slot += 1;
            sub.claim.clone()
        } else {
            if np.batch.is_some() || claims.len() != 1 {
                return Err(malformed(format!(
                    "node '{}': unexpected claims",
                    node.name
                )));
            }
            claims.into_iter().next().expect("one claim")
        };
        let mut f = Flow {
            zp: &zp,
            graph,
            on_node: &mut on_node,
            settle: &mut settle,
            slot: &mut slot,
            t: &mut t,
        };
        match (&node.op, &np.layer) {
            (QOp::MatMul { .. }, ZkLayerProof::MatMul(rp, rows)) => {
                zl::verify_matmul(&mut f, id, &claim, rp, rows)?;
            }
            (QOp::Add { .. } | QOp::Sub { .. }, ZkLayerProof::Linear(evals)) => {
                zl::reduce_add(&mut f, id, &claim, evals)?;
            }
            (
                QOp::Conv(_) | QOp::Deconv(_),
                ZkLayerProof::Conv {
                    bias,
                    relation,
                    rows,
                },
            ) => zl::verify_conv(&mut f, id, &claim, *bias, relation, rows)?,
            (QOp::Mul, ZkLayerProof::Product(rp, rows)) => {
                zl::verify_product(&mut f, id, &claim, rp, rows)?;
            }
            (QOp::Mul, ZkLayerProof::Scale { map, weight, rows }) => {
                zl::verify_scale(&mut f, id, &claim, map, *weight, rows)?;
            }
            (_, ZkLayerProof::Concat { shares, maps }) if node_map(graph, id).is_some() => {
                zl::verify_concat(&mut f, id, &claim, shares, maps)?;
            }
            (_, ZkLayerProof::Map(map, rows)) if node_map(graph, id).is_some() => {
                zl::verify_map(&mut f, id, &claim, map, rows)?;
            }
            (_, ZkLayerProof::Free) if is_free(graph, id) => zl::reduce_free(&mut f, id, &claim)?,
            _ => {
                return Err(malformed(format!(
                    "node '{}' ({}): a proof of the wrong kind",
                    node.name,
                    node.op.name()
                )));
            }
        }
    }
    if layers.next().is_some() {
        return Err(malformed("more layer proofs than reduced nodes"));
    }
    if slot != zp.sumchecks.len() {
        return Err(malformed("fewer sumchecks than the plan has"));
    }

    for (n, claim) in &settle.public {
        let input = graph
            .inputs
            .iter()
            .position(|i| i.node == *n)
            .and_then(|k| proof.public_inputs.get(k))
            .ok_or_else(|| malformed("a claim on a missing public input"))?;
        let v = public_eval(&graph.nodes[*n].shape, input, &claim.point)?;
        if (EF::ONE - claim.c) * v != claim.value {
            return Err(rejected(
                "public input",
                "claimed value differs from the input's",
            ));
        }
    }

    let (mut witness_t, mut helper_t, mut weights_t) = open_transcripts(&t);
    scheme
        .verify(
            &proof.commitment,
            &settle.first,
            &proof.opening,
            &mut witness_t,
        )
        .map_err(|e| rejected("witness opening", e))?;
    match (&proof.helper_commitment, &proof.helper_opening) {
        (Some(c2), Some(op)) => scheme
            .verify(c2, &settle.second, op, &mut helper_t)
            .map_err(|e| rejected("helper opening", e))?,
        (None, None) => {}
        _ => return Err(malformed("a helper commitment without its opening")),
    }
    match (
        &vk.weights,
        &proof.weights_opening,
        settle.weights.is_empty(),
    ) {
        (Some(c), Some(o), false) => vk
            .weights_scheme()
            .verify(c, &settle.weights, o, &mut weights_t)
            .map_err(|e| rejected("weights opening", e))?,
        (_, None, true) => {}
        _ => return Err(malformed("the weights opening is missing or unexpected")),
    }
    Ok((proof.outputs.clone(), settle))
}
