//! The graph prover: runs the quantized model in integers, commits the witness, proves every
//! lookup, requantization and layer, and opens both commitments. See `docs/PROOF.md`.

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::{EvalClaim, MleRef};
use lucid_core::sumcheck::batch::{self, PolyClaim};
use lucid_core::transcript::Transcript;
use lucid_lookup::{LookupInstance, multiplicities, prove_lookups};
use lucid_model::int_eval::{self, Witness};
use lucid_model::quant::fixed::rescale_with_remainder;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::{Tensor, Value};
use p3_field::{Field, PrimeCharacteristicRing};
use tracing::info_span;

use crate::error::ProofError;
use crate::graph::clamp;
use crate::graph::lookups::{self as lk, Target};
use crate::graph::plan::{Plan, RANGE_BITS, Role};
use crate::graph::proof::{Claims, NodeProof, Proof, RequantEvals};
use crate::graph::statement::{
    Settlement, WitnessLayout, padded_with, pcs_claim, real_mask, start_transcript,
};
use crate::graph::weights::WeightsData;
use crate::key::{ProverKey, weight_tensors};
use crate::layers;
use crate::layout::PaddedTensor;

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
    let vk = &pk.vk;
    let plan = vk.plan()?;
    let scheme = vk.params.witness_scheme();
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
            columns: vec![clamp::gap_values(k, &padded)],
        }))
        .collect();
    let mults = if instances.is_empty() {
        Vec::new()
    } else {
        multiplicities(&instances)?
    };
    observer.stage("commit");
    let layout = WitnessLayout::new(&plan, mults.iter().map(Vec::len).collect());
    let mut tables: Vec<Vec<F>> = Vec::with_capacity(layout.num_tables());
    tables.extend(layout.nodes.iter().map(|&n| padded[n].evals.clone()));
    tables.extend(layout.limbs.iter().map(|k| limbs[k].evals.clone()));
    tables.extend(mults.iter().cloned());
    let committed = if tables.is_empty() {
        None
    } else {
        let _s = info_span!("commit witness", tables = tables.len()).entered();
        let (c, data) = scheme.commit(tables).map_err(|source| ProofError::Pcs {
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
    let lookup_proof = if instances.is_empty() {
        None
    } else {
        let _s = info_span!("lookups", n = instances.len()).entered();
        let (proof, out) = prove_lookups(&instances, &mults, &mut t)?;
        for (l, cc) in lookups.iter().zip(&out.columns) {
            for (c, &v) in l.columns.iter().zip(&cc.column_evals) {
                let (target, point, value) =
                    lk::undo_column(c, &cc.point, v, |n| padded[n].shape.clone());
                push_target(&mut claims, target, EvalClaim::new(point, value));
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
        clamp::prove_clamps(&clamps, &padded, &gap_points, &mut t, &mut claims.on_node);

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

    observer.stage("layers");
    let mut layer_proofs = Vec::new();
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

    observer.stage("open witness");
    let (witness_commitment, witness_data) = match committed {
        Some((c, d)) => (Some(c), Some(d)),
        None => (None, None),
    };
    let witness_opening = match witness_data {
        Some(data) if !settle.witness.is_empty() => {
            let _s = info_span!("open witness", claims = settle.witness.len()).entered();
            Some(
                scheme
                    .open(data, &settle.witness, &mut t)
                    .map_err(|source| ProofError::Pcs {
                        what: "witness",
                        source,
                    })?,
            )
        }
        _ => None,
    };
    let weights_opening = match (settle.weights.is_empty(), &vk.weights) {
        (true, _) => None,
        (false, None) => {
            return Err(ProofError::Witness {
                node: "weights".into(),
                reason: "claims on weights, but the key has no weights commitment".into(),
            });
        }
        (false, Some(commitment)) => {
            let wscheme = vk.weights_scheme();
            let (data, stored) = match weights {
                Some(w) => (w.into_data(), true),
                None => {
                    observer.stage("commit weights");
                    let _s = info_span!("commit weights").entered();
                    let w = WeightsData::commit(pk)?.ok_or_else(|| ProofError::Witness {
                        node: "weights".into(),
                        reason: "claims on weights, but the model has none".into(),
                    })?;
                    (w.into_data(), false)
                }
            };
            observer.stage("open weights");
            let _s = info_span!("open weights", claims = settle.weights.len()).entered();
            let mut check = stored.then(|| t.clone());
            let opening = wscheme
                .open(data, &settle.weights, &mut t)
                .map_err(|source| ProofError::Pcs {
                    what: "weights",
                    source,
                })?;
            if let Some(check) = check.as_mut() {
                wscheme
                    .verify(commitment, &settle.weights, &opening, check)
                    .map_err(|e| ProofError::Format {
                        what: "stored weights codeword",
                        reason: format!(
                            "the weights opening made from it does not verify ({e}): the file is damaged; recompile the model"
                        ),
                    })?;
            }
            Some(opening)
        }
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

/// `X(r) = 2^shift·Y(r) + Σ_i 2^{16i}·L_i(r) − off`: the requantization identity solved for
/// the input's evaluation.
pub fn requant_input_eval(graph: &QGraph, id: usize, y: EF, limbs: &[EF]) -> EF {
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
        x += l * EF::from(two_pow(RANGE_BITS * i as u32));
    }
    x - EF::from(from_i64(rounding.offset(shift) as i64))
}

fn two_pow(k: u32) -> F {
    F::from_u64(1u64 << k)
}

fn push_target(claims: &mut Claims, target: Target, c: EvalClaim) {
    match target {
        Target::Tensor(n) => claims.on_node[n].push(c),
        Target::Limb(n, l) => claims.on_limb.push((n, l, c)),
    }
}

/// The remainder limbs of every positive-shift requantization, checking on the way that no
/// output saturated (a saturating requantization is not provable by the identity).
fn remainder_limbs(
    graph: &QGraph,
    plan: &Plan,
    tensors: &[Tensor<i64>],
) -> Result<std::collections::HashMap<(usize, usize), PaddedTensor>, ProofError> {
    let mut out = std::collections::HashMap::new();
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
                .map(|&r| (r >> (RANGE_BITS * l as u32)) & 0xFFFF)
                .collect();
            let pad = (off >> (RANGE_BITS * l as u32)) & 0xFFFF;
            let t = Tensor::new(shape.clone(), limb).map_err(|e| ProofError::Witness {
                node: node.name.clone(),
                reason: e.to_string(),
            })?;
            out.insert((id, l), padded_with(&shape, t.data(), pad));
        }
    }
    Ok(out)
}

/// The weight tables in weights-commitment order (padded layout).
pub fn weight_tables(graph: &QGraph, plan: &Plan) -> Vec<Vec<F>> {
    weight_tensors(graph, plan)
        .into_iter()
        .map(|(id, t)| PaddedTensor::from_tensor(&graph.nodes[id].shape, t).evals)
        .collect()
}
