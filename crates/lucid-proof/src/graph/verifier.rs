//! The graph verifier: replays the prover's transcript from the verifying key and the proof,
//! checks every lookup, requantization identity, layer protocol and commitment opening, and
//! evaluates public tensors itself. It needs no weights and never panics on a malformed proof.

use lucid_core::mle::EvalClaim;
use lucid_core::sumcheck::batch::{self, PolyClaim};
use lucid_lookup::{LookupLayout, verify_lookups};
use lucid_model::quant::QOp;
use lucid_model::tensor::Tensor;

use crate::error::ProofError;
use crate::graph::clamp;
use crate::graph::packing::Packing;
use crate::graph::plan::Role;
use crate::graph::proof::{Claims, Proof};
use crate::graph::prover::requant_input_eval;
use crate::graph::range;
use crate::graph::statement::{
    Settlement, WitnessLayout, open_transcripts, pcs_claim, public_eval, start_transcript,
};
use crate::key::{VerifyingKey, check_public_values};
use crate::layers;
use crate::layout::PaddedShape;

fn rejected(at: impl Into<String>, reason: impl Into<String>) -> ProofError {
    ProofError::Rejected {
        at: at.into(),
        reason: reason.into(),
    }
}

fn malformed(what: impl Into<String>) -> ProofError {
    ProofError::Malformed(what.into())
}

/// Checks the statement's tensors against the key ([`crate::key::check_public_values`]).
fn check_statement(vk: &VerifyingKey, proof: &Proof) -> Result<(), ProofError> {
    check_public_values(vk, &proof.public_inputs, &proof.outputs)
}

/// Verifies `proof` against `vk`. On success the proof's outputs (and public inputs) are
/// exactly what the committed model computes.
///
/// # Transcript
/// As the prover: the statement ([`start_transcript`]), the witness commitment, the lookup
/// argument over the packed instances (`graph::packing`), `observe_ext_slice(b"lookup/parts")`
/// (every part's evaluations, `Proof::lookup_parts`), `observe_ext_slice(b"range/low-bytes")` (the split checks' low bytes at their high
/// bytes' points, `Proof::low_bytes`; empty without split checks), the clamps' zero-checks (`graph::clamp::prove_clamps`), per requantization `sample_ext_vec(b"requant/point")` and `requant/evals`, per
/// output `sample_ext_vec(b"output/point")`, the layer proofs in reverse node order (each
/// preceded by its batching sumcheck when it has several claims), then the witness and weights
/// openings.
pub fn verify(vk: &VerifyingKey, proof: &Proof) -> Result<(), ProofError> {
    let graph = &vk.graph;
    let plan = vk.plan()?;
    let scheme = vk.params.witness_scheme();
    check_statement(vk, proof)?;
    let mut t = start_transcript(vk, &proof.public_inputs, &proof.outputs)?;
    let shape = |n: usize| PaddedShape::new(&graph.nodes[n].shape);

    let clamps = clamp::clamps(graph, &plan);
    let arr = range::arrange(graph, &plan, &clamps)?;
    let packing = Packing::new(&arr);
    let shapes = packing.shapes();
    let mult_lens = if shapes.is_empty() {
        Vec::new()
    } else {
        LookupLayout::new(&shapes)?
            .tables
            .iter()
            .map(|t| t.size())
            .collect()
    };
    let layout = WitnessLayout::new(&plan, arr.low_byte_lens(), mult_lens);
    let expected_lens: Vec<u64> = layout
        .table_lens(graph)
        .into_iter()
        .map(|l| l as u64)
        .collect();
    match (&proof.witness, expected_lens.is_empty()) {
        (Some(c), false) => {
            if !c.is_stacked() {
                return Err(malformed("the witness commitment is not stacked"));
            }
            if c.table_lens() != expected_lens.as_slice() {
                return Err(malformed(format!(
                    "the witness commitment has tables of lengths {:?}, the key requires {:?}",
                    c.table_lens(),
                    expected_lens
                )));
            }
            c.observe(&mut t);
        }
        (None, true) => {}
        (Some(_), true) => return Err(malformed("a witness commitment where none is expected")),
        (None, false) => return Err(malformed("the witness commitment is missing")),
    }

    let mut claims = Claims::new(graph.nodes.len());
    let mut settle = Settlement::default();

    let mut gap_points = Vec::new();
    match (&proof.lookups, shapes.is_empty()) {
        (Some(lp), false) => {
            let out = verify_lookups(&shapes, lp, &mut t)?;
            t.observe_ext_slice(b"lookup/parts", &proof.lookup_parts);
            let columns = packing.unpack(&out.columns, &proof.lookup_parts)?;
            t.observe_ext_slice(b"range/low-bytes", &proof.low_bytes);
            let undone = range::undo_claims(
                graph,
                &plan,
                clamps.len(),
                &arr,
                &columns,
                &proof.low_bytes,
                &mut claims,
            )?;
            for (s, c) in &undone.low_bytes {
                settle.witness.push(pcs_claim(layout.low_byte_table(*s), c));
            }
            for (j, m) in out.multiplicities.iter().enumerate() {
                settle.witness.push(lucid_pcs::EvalClaim {
                    table: layout.multiplicity_table(j),
                    point: m.point.clone(),
                    value: m.value,
                });
            }
            gap_points = undone.gaps;
        }
        (None, true) => {
            if !proof.lookup_parts.is_empty() {
                return Err(malformed("lookup part evaluations without lookups"));
            }
            if !proof.low_bytes.is_empty() {
                return Err(malformed("low-byte evaluations without lookups"));
            }
        }
        (Some(_), true) => return Err(malformed("a lookup proof where none is expected")),
        (None, false) => return Err(malformed("the lookup proof is missing")),
    }

    clamp::verify_clamps(
        graph,
        &clamps,
        &proof.clamps,
        &gap_points,
        &mut t,
        &mut claims.on_node,
    )?;

    let mut requant = proof.requant.iter();
    for (id, role) in plan.roles.iter().enumerate() {
        let Role::Requant { limbs: m, .. } = role else {
            continue;
        };
        let ev = requant
            .next()
            .ok_or_else(|| malformed("fewer requantization openings than requantizations"))?;
        if ev.limbs.len() != *m {
            return Err(malformed(format!(
                "node '{}': {} remainder limbs, expected {m}",
                graph.nodes[id].name,
                ev.limbs.len()
            )));
        }
        let r = t.sample_ext_vec(b"requant/point", shape(id).num_vars());
        let mut msg = vec![ev.output];
        msg.extend(&ev.limbs);
        t.observe_ext_slice(b"requant/evals", &msg);
        let x_value = requant_input_eval(graph, plan.range_bits, id, ev.output, &ev.limbs);
        claims.on_node[graph.nodes[id].inputs[0]].push(EvalClaim::new(r.clone(), x_value));
        claims.on_node[id].push(EvalClaim::new(r.clone(), ev.output));
        for (i, &l) in ev.limbs.iter().enumerate() {
            claims.on_limb.push((id, i, EvalClaim::new(r.clone(), l)));
        }
    }
    if requant.next().is_some() {
        return Err(malformed(
            "more requantization openings than requantizations",
        ));
    }

    for (o, tensor) in graph.outputs.iter().zip(&proof.outputs) {
        let r = t.sample_ext_vec(b"output/point", shape(o.node).num_vars());
        let v = public_eval(&graph.nodes[o.node].shape, tensor, &r)?;
        claims.on_node[o.node].push(EvalClaim::new(r, v));
    }

    let mut layer_proofs = proof.layers.iter();
    for id in (0..graph.nodes.len()).rev() {
        let node_claims = std::mem::take(&mut claims.on_node[id]);
        if node_claims.is_empty() {
            continue;
        }
        for c in &node_claims {
            settle.route(&plan, &layout, id, c);
        }
        if plan.roles[id] != Role::Layer {
            continue;
        }
        let node = &graph.nodes[id];
        let np = layer_proofs
            .next()
            .ok_or_else(|| malformed(format!("no layer proof for node '{}'", node.name)))?;
        if np.node as usize != id {
            return Err(malformed(format!(
                "layer proof for node {} where node {id} ('{}') was expected",
                np.node, node.name
            )));
        }
        let nv = shape(id).num_vars();
        let claim = match (node_claims.len(), &np.batch) {
            (1, None) => node_claims.into_iter().next().expect("one claim"),
            (k, Some(bp)) if k > 1 => {
                let pcs: Vec<PolyClaim> = node_claims
                    .into_iter()
                    .map(|c| PolyClaim {
                        poly: 0,
                        point: c.point,
                        value: c.value,
                    })
                    .collect();
                let mut reduced = batch::verify(nv, 1, &pcs, bp, &mut t).map_err(|e| {
                    rejected(
                        format!("node '{}' claim batching", node.name),
                        e.to_string(),
                    )
                })?;
                if reduced.len() != 1 {
                    return Err(malformed("batching produced no claim"));
                }
                reduced.remove(0)
            }
            _ => {
                return Err(malformed(format!(
                    "node '{}': batching proof present or missing where it should not be",
                    node.name
                )));
            }
        };
        let operand_shapes: Vec<PaddedShape> = node.inputs.iter().map(|&i| shape(i)).collect();
        let consts: Vec<Option<&Tensor<i64>>> = node
            .inputs
            .iter()
            .map(|&i| match (&plan.roles[i], &graph.nodes[i].op) {
                (Role::PublicConst, QOp::Const(c)) => Some(c),
                _ => None,
            })
            .collect();
        let operand_claims =
            layers::verify_node(node, &operand_shapes, &consts, &claim, &np.layer, &mut t)
                .map_err(|source| ProofError::Layer {
                    node: node.name.clone(),
                    source,
                })?;
        for oc in operand_claims {
            let input = *node.inputs.get(oc.operand).ok_or_else(|| {
                malformed(format!("node '{}': no operand {}", node.name, oc.operand))
            })?;
            claims.on_node[input].push(oc.claim);
        }
    }
    if layer_proofs.next().is_some() {
        return Err(malformed(
            "more layer proofs than layer-proved nodes with claims",
        ));
    }
    for (n, l, c) in &claims.on_limb {
        let table = layout
            .limb_table(*n, *l)
            .ok_or_else(|| malformed("a claim on a remainder limb that is not committed"))?;
        settle.witness.push(pcs_claim(table, c));
    }

    // Public tensors: the verifier evaluates them itself.
    for (n, c) in &settle.public {
        let node = &graph.nodes[*n];
        let value = match (&plan.roles[*n], &node.op) {
            (Role::PublicInput, QOp::Input { index }) => {
                let tensor = proof
                    .public_inputs
                    .get(*index)
                    .ok_or_else(|| malformed("a public input is missing"))?;
                public_eval(&node.shape, tensor, &c.point)?
            }
            (Role::PublicConst, QOp::Const(tensor)) => public_eval(&node.shape, tensor, &c.point)?,
            _ => return Err(malformed(format!("node '{}' is not public", node.name))),
        };
        if value != c.value {
            return Err(rejected(
                format!("public tensor '{}'", node.name),
                "the claimed evaluation differs from the public values",
            ));
        }
    }

    let (mut witness_t, mut weights_t) = open_transcripts(&t);
    match (
        &proof.witness,
        &proof.witness_opening,
        settle.witness.is_empty(),
    ) {
        (Some(c), Some(o), false) => scheme
            .verify(c, &settle.witness, o, &mut witness_t)
            .map_err(|e| rejected("witness opening", e.to_string()))?,
        (_, None, true) => {}
        _ => return Err(malformed("the witness opening is missing or unexpected")),
    }
    match (
        &vk.weights,
        &proof.weights_opening,
        settle.weights.is_empty(),
    ) {
        (Some(c), Some(o), false) => vk
            .weights_scheme()
            .verify(c, &settle.weights, o, &mut weights_t)
            .map_err(|e| rejected("weights opening", e.to_string()))?,
        (_, None, true) => {}
        _ => return Err(malformed("the weights opening is missing or unexpected")),
    }
    Ok(())
}
