//! A test-side re-implementation of the graph prover (`lucid_proof::prove`) that takes the
//! witness instead of running the integer interpreter, so tests can play a malicious prover:
//! alter an activation, a remainder limb, or any committed field element, and still produce a
//! proof that follows the protocol. It uses only the crate's public modules and follows the
//! transcript order of `graph::prover::prove` step by step.

use std::collections::HashMap;

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::{EvalClaim, MleRef};
use lucid_core::sumcheck::batch::{self, PolyClaim};
use lucid_lookup::{LookupInstance, multiplicities, prove_lookups};
use lucid_model::int_eval;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::Tensor;
use lucid_proof::graph::clamp;
use lucid_proof::graph::lookups::{self as lk, Target};
use lucid_proof::graph::plan::{RANGE_BITS, Role, Visibility};
use lucid_proof::graph::proof::{Claims, NodeProof, Proof, RequantEvals};
use lucid_proof::graph::prover::{requant_input_eval, weight_tables};
use lucid_proof::graph::statement::{
    Settlement, WitnessLayout, padded_with, pcs_claim, real_mask, start_transcript,
};
use lucid_proof::layers;
use lucid_proof::layout::PaddedTensor;
use lucid_proof::{ProofError, ProverKey};

/// Everything the prover commits or reduces, as field tables in the padded layout.
#[derive(Clone, Debug)]
pub struct FieldWitness {
    /// The integer tensors (for the statement: public inputs and outputs).
    pub tensors: Vec<Tensor<i64>>,
    /// Per node, its padded tensor.
    pub padded: Vec<PaddedTensor>,
    /// Per `(requant node, limb)`, the padded limb.
    pub limbs: HashMap<(usize, usize), PaddedTensor>,
}

/// The field witness of integer tensors `tensors` (one per node). Remainders are computed from
/// the tensors as given (`x + off − 2^shift·y`), so an altered output gives remainders that
/// no longer lie in `[0, 2^shift)`: their limbs are then the low bits of a negative number.
pub fn field_witness(graph: &QGraph, tensors: Vec<Tensor<i64>>) -> FieldWitness {
    let padded: Vec<PaddedTensor> = graph
        .nodes
        .iter()
        .zip(&tensors)
        .map(|(n, t)| PaddedTensor::from_tensor(&n.shape, t))
        .collect();
    let plan = lucid_proof::graph::plan::Plan::new(graph, Visibility::Private).expect("plan");
    let mut limbs = HashMap::new();
    for (id, role) in plan.roles.iter().enumerate() {
        let Role::Requant { limbs: m, .. } = role else {
            continue;
        };
        let node = &graph.nodes[id];
        let QOp::Requant {
            shift, rounding, ..
        } = node.op
        else {
            continue;
        };
        if shift <= 0 {
            continue;
        }
        let shift = shift as u32;
        let x = &tensors[node.inputs[0]];
        let y = &tensors[id];
        let rems: Vec<i128> = x
            .data()
            .iter()
            .zip(y.data())
            .map(|(&xv, &yv)| xv as i128 + rounding.offset(shift) - ((yv as i128) << shift))
            .collect();
        let off = rounding.offset(shift) as i64;
        for l in 0..*m {
            let limb: Vec<i64> = rems
                .iter()
                .map(|&r| ((r >> (RANGE_BITS * l as u32)) & 0xFFFF) as i64)
                .collect();
            let pad = (off >> (RANGE_BITS * l as u32)) & 0xFFFF;
            limbs.insert((id, l), padded_with(&node.shape, &limb, pad));
        }
    }
    FieldWitness {
        tensors,
        padded,
        limbs,
    }
}

/// Proves with the given witness, exactly as `lucid_proof::prove` would with the witness of
/// the integer run. Errors where the honest prover's sub-protocols refuse (e.g. a looked-up
/// value outside its table).
pub fn prove_with_witness(pk: &ProverKey, w: &FieldWitness) -> Result<Proof, ProofError> {
    let graph = &pk.graph;
    let vk = &pk.vk;
    let plan = vk.plan()?;
    let scheme = vk.params.witness_scheme();
    let padded = &w.padded;
    let limbs = &w.limbs;
    let public_inputs: Vec<Tensor<i64>> = match vk.input_visibility {
        Visibility::Public => graph
            .inputs
            .iter()
            .map(|i| w.tensors[i.node].clone())
            .collect(),
        Visibility::Private => Vec::new(),
    };
    let outputs: Vec<Tensor<i64>> = graph
        .outputs
        .iter()
        .map(|o| w.tensors[o.node].clone())
        .collect();
    let mut t = start_transcript(vk, &public_inputs, &outputs)?;

    let clamps = clamp::clamps(graph, &plan);
    let lookups = lk::lookups_with(graph, &plan, &clamps)?;
    let selector = |n: usize| real_mask(&padded[n].shape);
    let instances: Vec<LookupInstance> = lookups
        .iter()
        .map(|l| LookupInstance {
            table: l.table.clone(),
            columns: l
                .columns
                .iter()
                .map(|c| {
                    lk::column_values(
                        c,
                        l.len,
                        |n| &padded[n].evals,
                        selector,
                        |n, i| &limbs[&(n, i)].evals,
                    )
                })
                .collect(),
        })
        .chain(clamps.iter().map(|k| LookupInstance {
            table: lk::range_table(),
            columns: vec![clamp::gap_values(k, padded)],
        }))
        .collect();
    let mults = if instances.is_empty() {
        Vec::new()
    } else {
        multiplicities(&instances)?
    };
    let layout = WitnessLayout::new(&plan, mults.iter().map(Vec::len).collect());
    let mut tables: Vec<Vec<F>> = Vec::new();
    tables.extend(layout.nodes.iter().map(|&n| padded[n].evals.clone()));
    tables.extend(layout.limbs.iter().map(|k| limbs[k].evals.clone()));
    tables.extend(mults.iter().cloned());
    let committed = if tables.is_empty() {
        None
    } else {
        let (c, data) = scheme.commit(tables).map_err(|source| ProofError::Pcs {
            what: "witness",
            source,
        })?;
        c.observe(&mut t);
        Some((c, data))
    };

    let mut claims = Claims::new(graph.nodes.len());
    let mut settle = Settlement::default();
    let mut gap_points = Vec::new();
    let lookup_proof = if instances.is_empty() {
        None
    } else {
        let (proof, out) = prove_lookups(&instances, &mults, &mut t)?;
        for (l, cc) in lookups.iter().zip(&out.columns) {
            for (c, &v) in l.columns.iter().zip(&cc.column_evals) {
                let (target, point, value) =
                    lk::undo_column(c, &cc.point, v, |n| padded[n].shape.clone());
                let claim = EvalClaim::new(point, value);
                match target {
                    Target::Tensor(n) => claims.on_node[n].push(claim),
                    Target::Limb(n, l) => claims.on_limb.push((n, l, claim)),
                }
            }
        }
        for (j, m) in out.multiplicities.iter().enumerate() {
            settle.witness.push(lucid_pcs::EvalClaim {
                table: layout.multiplicity_table(j),
                point: m.point.clone(),
                value: m.value,
            });
        }
        gap_points = out.columns[lookups.len()..]
            .iter()
            .map(|cc| (cc.point.clone(), cc.column_evals[0]))
            .collect();
        Some(proof)
    };
    let clamp_proofs =
        clamp::prove_clamps(&clamps, padded, &gap_points, &mut t, &mut claims.on_node);

    let mut requant = Vec::new();
    for (id, role) in plan.roles.iter().enumerate() {
        let Role::Requant { limbs: m, .. } = role else {
            continue;
        };
        let nv = padded[id].shape.num_vars();
        let r = t.sample_ext_vec(b"requant/point", nv);
        let y = padded[id].eval(&r);
        let ls: Vec<EF> = (0..*m).map(|i| limbs[&(id, i)].eval(&r)).collect();
        let mut msg = vec![y];
        msg.extend(&ls);
        t.observe_ext_slice(b"requant/evals", &msg);
        let x_value = requant_input_eval(graph, id, y, &ls);
        claims.on_node[graph.nodes[id].inputs[0]].push(EvalClaim::new(r.clone(), x_value));
        claims.on_node[id].push(EvalClaim::new(r.clone(), y));
        for (i, &l) in ls.iter().enumerate() {
            claims.on_limb.push((id, i, EvalClaim::new(r.clone(), l)));
        }
        requant.push(RequantEvals {
            output: y,
            limbs: ls,
        });
    }
    for o in &graph.outputs {
        let nv = padded[o.node].shape.num_vars();
        let r = t.sample_ext_vec(b"output/point", nv);
        let v = padded[o.node].eval(&r);
        claims.on_node[o.node].push(EvalClaim::new(r, v));
    }

    let mut layer_proofs = Vec::new();
    for id in (0..graph.nodes.len()).rev() {
        let mut node_claims = std::mem::take(&mut claims.on_node[id]);
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
        let (batch_proof, claim) = if node_claims.len() == 1 {
            (None, node_claims.remove(0))
        } else {
            let pcs: Vec<PolyClaim> = node_claims
                .into_iter()
                .map(|c| PolyClaim {
                    poly: 0,
                    point: c.point,
                    value: c.value,
                })
                .collect();
            let (p, mut reduced) = batch::prove(&[MleRef::Base(&padded[id].evals)], &pcs, &mut t)
                .map_err(|e| ProofError::Witness {
                node: "batch".into(),
                reason: e.to_string(),
            })?;
            (Some(p), reduced.remove(0))
        };
        let operands: Vec<&PaddedTensor> = node.inputs.iter().map(|&i| &padded[i]).collect();
        let consts: Vec<Option<&Tensor<i64>>> = node
            .inputs
            .iter()
            .map(|&i| match (&plan.roles[i], &graph.nodes[i].op) {
                (Role::PublicConst, QOp::Const(c)) => Some(c),
                _ => None,
            })
            .collect();
        let (layer, operand_claims) = layers::prove_node(node, &operands, &consts, &claim, &mut t)
            .map_err(|source| ProofError::Layer {
                node: node.name.clone(),
                source,
            })?;
        for oc in operand_claims {
            claims.on_node[node.inputs[oc.operand]].push(oc.claim);
        }
        layer_proofs.push(NodeProof {
            node: id as u32,
            batch: batch_proof,
            layer,
        });
    }
    for (n, l, c) in &claims.on_limb {
        let table = layout.limb_table(*n, *l).expect("limb in layout");
        settle.witness.push(pcs_claim(table, c));
    }

    let (witness_commitment, witness_data) = match committed {
        Some((c, d)) => (Some(c), Some(d)),
        None => (None, None),
    };
    let witness_opening = match witness_data {
        Some(data) if !settle.witness.is_empty() => Some(
            scheme
                .open(data, &settle.witness, &mut t)
                .map_err(|source| ProofError::Pcs {
                    what: "witness",
                    source,
                })?,
        ),
        _ => None,
    };
    let weights_opening = if settle.weights.is_empty() {
        None
    } else {
        let weights_scheme = vk.weights_scheme();
        let (_, data) = weights_scheme
            .commit(weight_tables(graph, &plan))
            .map_err(|source| ProofError::Pcs {
                what: "weights",
                source,
            })?;
        Some(
            weights_scheme
                .open(data, &settle.weights, &mut t)
                .map_err(|source| ProofError::Pcs {
                    what: "weights",
                    source,
                })?,
        )
    };
    Ok(Proof {
        public_inputs,
        outputs,
        witness: witness_commitment,
        lookups: lookup_proof,
        clamps: clamp_proofs,
        requant,
        layers: layer_proofs,
        witness_opening,
        weights_opening,
    })
}

pub fn honest_witness(f: &super::Fixture) -> FieldWitness {
    let w = int_eval::run(&f.pk.graph, &f.inputs).expect("integer run");
    field_witness(&f.pk.graph, w.tensors)
}

/// Requantization nodes of a graph with their shift.
pub fn requants(pk: &ProverKey) -> Vec<(usize, i32)> {
    pk.graph
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match n.op {
            QOp::Requant { shift, .. } if shift > 0 => Some((i, shift)),
            _ => None,
        })
        .collect()
}

/// Sets one real entry of node `id`'s committed (padded) tensor to `v`.
pub fn set_entry(w: &mut FieldWitness, id: usize, index: usize, v: i64) {
    w.tensors[id].data_mut()[index] = v;
    let shape = w.padded[id].shape.clone();
    let off = shape.real_to_padded()[index];
    w.padded[id].evals[off] = from_i64(v);
}
