//! The graph prover: runs the quantized model in integers, commits the witness, proves every
//! lookup, requantization and layer, and opens both commitments. See `docs/PROOF.md`.

use std::collections::HashMap;

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::{EvalClaim, MleRef};
use lucid_core::sumcheck::batch::{self, PolyClaim};
use lucid_core::transcript::Transcript;
use lucid_lookup::{multiplicities, prove_lookups};
use lucid_model::int_eval::{self, Witness};
use lucid_model::quant::fixed::rescale_with_remainder;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::{Tensor, Value};
use p3_field::{Field, PrimeCharacteristicRing};
use tracing::info_span;

use crate::error::ProofError;
use crate::graph::clamp;
use crate::graph::packing::Packing;
use crate::graph::plan::{Plan, Role};
use crate::graph::proof::{Claims, NodeProof, Proof, RequantEvals};
use crate::graph::range::{self, FieldWitness};
use crate::graph::statement::{
    Settlement, WitnessLayout, open_transcripts, padded_with, pcs_claim, start_transcript,
};
use crate::graph::weights::WeightsData;
use crate::key::{ProverKey, weight_tensors};
use crate::layers;
use crate::layout::{PaddedShape, PaddedTensor};

/// What the prover reports on its way (for progress bars).
pub trait ProveObserver {
    /// A stage started.
    fn stage(&mut self, name: &str);
}

impl ProveObserver for () {
    fn stage(&mut self, _name: &str) {}
}

/// Proves one inference of `pk`'s model on `inputs` (one value per graph input, as the
/// integer interpreter takes them). Returns the proof and the witness (with the dequantized
/// outputs).
///
/// The weights are committed again for the opening (about as costly as compiling them);
/// [`prove_with_weights`] opens the prover data kept from compile time instead.
pub fn prove(
    pk: &ProverKey,
    inputs: &[Value],
    observer: &mut dyn ProveObserver,
) -> Result<(Proof, Witness), ProofError> {
    prove_with_weights(pk, inputs, None, observer)
}

/// [`prove`], opening the weights from `weights` (the prover data `compile` produced, or
/// [`WeightsData::from_bytes`]) when given. An opening made from such data is verified before
/// the proof is returned: damaged data gives an error, never a proof the verifier rejects.
pub fn prove_with_weights(
    pk: &ProverKey,
    inputs: &[Value],
    weights: Option<WeightsData>,
    observer: &mut dyn ProveObserver,
) -> Result<(Proof, Witness), ProofError> {
    observer.stage("integer run");
    let witness = {
        let _s = info_span!("integer run").entered();
        int_eval::run(&pk.graph, inputs)?
    };
    let proof = prove_witness_with(pk, &witness, weights, observer)?;
    Ok((proof, witness))
}

/// Proves a given witness (every node's integer tensor). An honest caller gets it from
/// `int_eval::run`; tests hand it altered witnesses to check that the verifier rejects them.
/// Fails when the witness has the wrong number of tensors or shapes, or when it violates
/// something the prover checks itself (a saturating requantization).
pub fn prove_witness(
    pk: &ProverKey,
    witness: &Witness,
    observer: &mut dyn ProveObserver,
) -> Result<Proof, ProofError> {
    prove_witness_with(pk, witness, None, observer)
}

/// [`prove_witness`] with the weights' prover data (see [`prove_with_weights`]).
pub fn prove_witness_with(
    pk: &ProverKey,
    witness: &Witness,
    weights: Option<WeightsData>,
    observer: &mut dyn ProveObserver,
) -> Result<Proof, ProofError> {
    let graph = &pk.graph;
    let plan = pk.vk.plan()?;
    let tensors = &witness.tensors;
    if tensors.len() != graph.nodes.len() {
        return Err(ProofError::Witness {
            node: "witness".into(),
            reason: format!("{} tensors for {} nodes", tensors.len(), graph.nodes.len()),
        });
    }
    if let Some((n, _)) = graph
        .nodes
        .iter()
        .zip(tensors)
        .find(|(n, t)| t.shape() != n.shape.as_slice())
    {
        return Err(ProofError::Witness {
            node: n.name.clone(),
            reason: format!("tensor shape differs from the node's {:?}", n.shape),
        });
    }
    let limbs = remainder_limbs(graph, &plan, tensors)?;
    let padded: Vec<PaddedTensor> = graph
        .nodes
        .iter()
        .zip(tensors)
        .map(|(n, t)| PaddedTensor::from_tensor(&n.shape, t))
        .collect();
    let w = FieldWitness {
        tensors: tensors.clone(),
        padded,
        limbs,
        low_bytes: None,
    };
    prove_planned(pk, &plan, &w, weights, observer)
}

/// Proves a witness given as the field tables the prover commits or reduces: the lowest-level
/// entry point. [`prove_witness_with`] builds them honestly from the integer tensors; tests
/// hand altered tables (a wrong remainder limb, low byte or padding entry) to check that the
/// verifier rejects them. Errors where a sub-protocol refuses (a looked-up value outside its
/// table, a missing limb, tables of the wrong sizes).
pub fn prove_field_witness(
    pk: &ProverKey,
    w: &FieldWitness,
    weights: Option<WeightsData>,
    observer: &mut dyn ProveObserver,
) -> Result<Proof, ProofError> {
    let plan = pk.vk.plan()?;
    check_field_witness(&pk.graph, &plan, w)?;
    prove_planned(pk, &plan, w, weights, observer)
}

/// [`prove_field_witness`] with the key's plan derived once (the witness's tables checked).
fn prove_planned(
    pk: &ProverKey,
    plan: &Plan,
    w: &FieldWitness,
    weights: Option<WeightsData>,
    observer: &mut dyn ProveObserver,
) -> Result<Proof, ProofError> {
    let graph = &pk.graph;
    let vk = &pk.vk;
    let scheme = vk.params.witness_scheme();
    let tensors = &w.tensors;
    let padded = &w.padded;
    let limbs = &w.limbs;

    let public_inputs: Vec<Tensor<i64>> = match vk.input_visibility {
        crate::graph::plan::Visibility::Public => graph
            .inputs
            .iter()
            .map(|i| tensors[i.node].clone())
            .collect(),
        crate::graph::plan::Visibility::Private => Vec::new(),
    };
    let outputs: Vec<Tensor<i64>> = graph
        .outputs
        .iter()
        .map(|o| tensors[o.node].clone())
        .collect();
    let mut t = start_transcript(vk, &public_inputs, &outputs)?;

    // Lookups and the witness commitment.
    observer.stage("multiplicities");
    let clamps = clamp::clamps(graph, plan);
    let arr = range::arrange(graph, plan, &clamps)?;
    let lows = match &w.low_bytes {
        Some(l) => l.clone(),
        None => range::low_bytes(plan, &clamps, &arr, w),
    };
    if lows.len() != arr.splits.len() || lows.iter().zip(&arr.splits).any(|(l, s)| l.len() != s.len)
    {
        return Err(ProofError::Witness {
            node: "low bytes".into(),
            reason: "the low bytes do not match the split range checks".into(),
        });
    }
    let packing = Packing::new(&arr);
    let instances = range::instances(plan, &clamps, &arr, w, &lows);
    let instances = if instances.is_empty() {
        instances
    } else {
        packing.pack(instances)
    };
    let mults = if instances.is_empty() {
        Vec::new()
    } else {
        multiplicities(&instances)?
    };
    observer.stage("commit");
    let layout = WitnessLayout::new(
        plan,
        arr.low_byte_lens(),
        mults.iter().map(Vec::len).collect(),
    );
    let mut tables: Vec<Vec<F>> = Vec::with_capacity(layout.num_tables());
    tables.extend(layout.nodes.iter().map(|&n| padded[n].evals.clone()));
    tables.extend(layout.limbs.iter().map(|k| limbs[k].evals.clone()));
    tables.extend(lows.iter().cloned());
    tables.extend(mults.iter().cloned());
    let committed = if tables.is_empty() {
        None
    } else {
        let _s = info_span!("commit witness", tables = tables.len()).entered();
        let (c, data) = scheme
            .commit_stacked(tables)
            .map_err(|source| ProofError::Pcs {
                what: "witness",
                source,
            })?;
        c.observe(&mut t);
        Some((c, data))
    };

    let mut claims = Claims::new(graph.nodes.len());
    let mut settle = Settlement::default();

    observer.stage("lookups");
    let mut gap_points = Vec::new();
    let mut low_bytes = Vec::new();
    let mut lookup_parts = Vec::new();
    let lookup_proof = if instances.is_empty() {
        None
    } else {
        let _s = info_span!("lookups", n = instances.len()).entered();
        let (proof, out) = prove_lookups(&instances, &mults, &mut t)?;
        lookup_parts = packing.part_evals(&instances, &out.columns);
        t.observe_ext_slice(b"lookup/parts", &lookup_parts);
        let columns = packing.unpack(&out.columns, &lookup_parts)?;
        low_bytes = range::low_byte_evals(&arr, &columns, &lows);
        t.observe_ext_slice(b"range/low-bytes", &low_bytes);
        let undone = range::undo_claims(
            graph,
            plan,
            clamps.len(),
            &arr,
            &columns,
            &low_bytes,
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
        Some(proof)
    };
    let clamp_proofs =
        clamp::prove_clamps(&clamps, padded, &gap_points, &mut t, &mut claims.on_node);

    observer.stage("requantizations");
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
        let x_value = requant_input_eval(graph, plan.range_bits, id, y, &ls);
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

    observer.stage("layers");
    let mut layer_proofs = Vec::new();
    for id in (0..graph.nodes.len()).rev() {
        let node_claims = std::mem::take(&mut claims.on_node[id]);
        if node_claims.is_empty() {
            continue;
        }
        for c in &node_claims {
            settle.route(plan, &layout, id, c);
        }
        if plan.roles[id] != Role::Layer {
            continue;
        }
        let node = &graph.nodes[id];
        let _s = info_span!("layer", node = %node.name, op = node.op.name()).entered();
        let (batch_proof, claim) = reduce_claims(&padded[id], node_claims, &mut t)?;
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
        let table = layout
            .limb_table(*n, *l)
            .expect("every requantization limb is in the witness layout");
        settle.witness.push(pcs_claim(table, c));
    }

    let (witness_commitment, witness_data) = match committed {
        Some((c, d)) => (Some(c), Some(d)),
        None => (None, None),
    };
    observer.stage("openings");
    // Every claim is fixed: the two openings are independent sub-proofs, each on its own fork
    // of the transcript. They run one after the other: side by side (as in zero-knowledge
    // mode) they saved 2–3 ms on the 784-128-64-10 MLP but raised the peak memory of small
    // models by 4–6 MB (both openings' buffers live at once), which the memory target cannot
    // spare (docs/BENCHMARKS.md).
    let (mut witness_t, mut weights_t) = open_transcripts(&t);
    let witness_opening = match witness_data {
        Some(data) if !settle.witness.is_empty() => {
            let _s = info_span!("open witness", claims = settle.witness.len()).entered();
            Some(
                scheme
                    .open(data, &settle.witness, &mut witness_t)
                    .map_err(|source| ProofError::Pcs {
                        what: "witness",
                        source,
                    })?,
            )
        }
        _ => None,
    };
    let weights_opening = WeightsData::open(weights, pk, &settle.weights, true, &mut weights_t)?;

    Ok(Proof {
        public_inputs,
        outputs,
        witness: witness_commitment,
        lookups: lookup_proof,
        lookup_parts,
        low_bytes,
        clamps: clamp_proofs,
        requant,
        layers: layer_proofs,
        witness_opening,
        weights_opening,
    })
}

/// Reduces a node's claims to one (a batching sumcheck when there are several).
fn reduce_claims(
    tensor: &PaddedTensor,
    mut node_claims: Vec<EvalClaim>,
    t: &mut Transcript,
) -> Result<(Option<lucid_core::sumcheck::batch::BatchProof>, EvalClaim), ProofError> {
    if node_claims.len() == 1 {
        return Ok((None, node_claims.remove(0)));
    }
    let pcs: Vec<PolyClaim> = node_claims
        .into_iter()
        .map(|c| PolyClaim {
            poly: 0,
            point: c.point,
            value: c.value,
        })
        .collect();
    let (proof, mut reduced) =
        batch::prove(&[MleRef::Base(&tensor.evals)], &pcs, t).map_err(|e| ProofError::Witness {
            node: "batch".into(),
            reason: e.to_string(),
        })?;
    Ok((Some(proof), reduced.remove(0)))
}

/// `X(r) = 2^shift·Y(r) + Σ_i 2^{Bi}·L_i(r) − off` (`B = bits`, the plan's range width): the
/// requantization identity solved for the input's evaluation.
pub fn requant_input_eval(graph: &QGraph, bits: u32, id: usize, y: EF, limbs: &[EF]) -> EF {
    let QOp::Requant {
        shift, rounding, ..
    } = graph.nodes[id].op
    else {
        return EF::ZERO;
    };
    if shift <= 0 {
        // x·2^{−shift} = y.
        return y * EF::from(two_pow((-shift) as u32).inverse());
    }
    let shift = shift as u32;
    let mut x = y * EF::from(two_pow(shift));
    for (i, &l) in limbs.iter().enumerate() {
        x += l * EF::from(two_pow(bits * i as u32));
    }
    x - EF::from(from_i64(rounding.offset(shift) as i64))
}

fn two_pow(k: u32) -> F {
    F::from_u64(1u64 << k)
}

/// The remainder limbs of every positive-shift requantization (`plan.range_bits` wide),
/// checking on the way that no output saturated (a saturating requantization is not provable
/// by the identity).
fn remainder_limbs(
    graph: &QGraph,
    plan: &Plan,
    tensors: &[Tensor<i64>],
) -> Result<HashMap<(usize, usize), PaddedTensor>, ProofError> {
    let bits = plan.range_bits;
    let mask = (1i64 << bits) - 1;
    let mut out = HashMap::new();
    for (id, role) in plan.roles.iter().enumerate() {
        let Role::Requant { limbs, .. } = role else {
            continue;
        };
        let node = &graph.nodes[id];
        let QOp::Requant {
            shift, rounding, ..
        } = node.op
        else {
            continue;
        };
        let x = &tensors[node.inputs[0]];
        let y = &tensors[id];
        let saturated = |i: usize, q: i128, yv: i64| ProofError::Witness {
            node: node.name.clone(),
            reason: format!(
                "requantized value {q} at element {i} saturates to {yv}: this input leaves the calibrated range (recompile with a calibration set covering it, or more headroom bits)"
            ),
        };
        if shift <= 0 {
            let up = (-shift) as u32;
            for (i, (&xv, &yv)) in x.data().iter().zip(y.data()).enumerate() {
                let q = (xv as i128) << up;
                if q != yv as i128 {
                    return Err(saturated(i, q, yv));
                }
            }
            continue;
        }
        let shift = shift as u32;
        let mut rems = Vec::with_capacity(x.data().len());
        for (i, (&xv, &yv)) in x.data().iter().zip(y.data()).enumerate() {
            let (q, r) = rescale_with_remainder(xv as i128, shift, rounding);
            if q != yv as i128 {
                return Err(saturated(i, q, yv));
            }
            rems.push(r as i64);
        }
        let shape = node.shape.clone();
        // Padding entries hold the offset: 0 + off = 2^shift·0 + off.
        let off = rounding.offset(shift) as i64;
        for l in 0..*limbs {
            let limb: Vec<i64> = rems
                .iter()
                .map(|&r| (r >> (bits * l as u32)) & mask)
                .collect();
            let pad = (off >> (bits * l as u32)) & mask;
            let t = Tensor::new(shape.clone(), limb).map_err(|e| ProofError::Witness {
                node: node.name.clone(),
                reason: e.to_string(),
            })?;
            out.insert((id, l), padded_with(&shape, t.data(), pad));
        }
    }
    Ok(out)
}

/// Checks that a field witness has the plan's tables, with the right sizes.
fn check_field_witness(graph: &QGraph, plan: &Plan, w: &FieldWitness) -> Result<(), ProofError> {
    let bad = |node: &str, reason: String| ProofError::Witness {
        node: node.to_string(),
        reason,
    };
    if w.tensors.len() != graph.nodes.len() || w.padded.len() != graph.nodes.len() {
        return Err(bad(
            "witness",
            format!(
                "{} tensors and {} padded tensors for {} nodes",
                w.tensors.len(),
                w.padded.len(),
                graph.nodes.len()
            ),
        ));
    }
    for (n, p) in graph.nodes.iter().zip(&w.padded) {
        if p.shape != PaddedShape::new(&n.shape) || p.evals.len() != p.shape.padded_len() {
            return Err(bad(&n.name, "padded tensor of the wrong shape".into()));
        }
    }
    for (id, role) in plan.roles.iter().enumerate() {
        if let Role::Requant { limbs, .. } = role {
            for l in 0..*limbs {
                let ok = w
                    .limbs
                    .get(&(id, l))
                    .is_some_and(|t| t.evals.len() == w.padded[id].evals.len());
                if !ok {
                    return Err(bad(
                        &graph.nodes[id].name,
                        format!("remainder limb {l} is missing or of the wrong size"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The weight tables in weights-commitment order (padded layout).
pub fn weight_tables(graph: &QGraph, plan: &Plan) -> Vec<Vec<F>> {
    weight_tensors(graph, plan)
        .into_iter()
        .map(|(id, t)| PaddedTensor::from_tensor(&graph.nodes[id].shape, t).evals)
        .collect()
}
