//! The zero-knowledge graph prover (see [`super`] for the protocol).

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_table, lift};
use lucid_core::sumcheck::zk::ZkMask;
use lucid_core::sumcheck::zk_relation::{
    BlindedClaim, ZkRelation, prove_blinded_batch, prove_relation,
};
use lucid_lookup::zk::prove_phase2;
use lucid_model::int_eval::{self, Witness};
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::{Tensor, Value};
use p3_field::PrimeCharacteristicRing;
use p3_maybe_rayon::prelude::join;
use rand::CryptoRng;

use super::columns::{Cheat, Sources, column_messages, lookup_witness};
use super::common::{
    Settle, helper_tables, is_free, libra_claims, open_transcripts, relu_shape, requant_step,
    route, route_requant, settle_lookup_claims, start_transcript,
};
use super::layers::{self as zl, Flow, Private};
use super::maps::node_map;
use super::masks::{blinded_eval, pack, row_values};
use super::plan::{Kind, Table1, ZkPlan, is_product, node_vars};
use super::proof::{ZkLayerProof, ZkNodeProof, ZkProof};
use super::witness::{derive_masks, remainder_limbs};
use crate::error::ProofError;
use crate::graph::plan::{Role, Visibility};
use crate::graph::prover::ProveObserver;
use crate::graph::weights::WeightsData;
use crate::key::ProverKey;
use crate::layout::PaddedTensor;

fn internal(what: impl ToString) -> ProofError {
    ProofError::Witness {
        node: "zero-knowledge prover".into(),
        reason: what.to_string(),
    }
}

fn pcs(what: &'static str) -> impl Fn(lucid_pcs::PcsError) -> ProofError {
    move |source| ProofError::Pcs { what, source }
}

/// Proves one inference of `pk`'s model on `inputs` in zero knowledge. `rng` must be a
/// cryptographically secure generator seeded from fresh entropy (e.g. `rand::rng()`); it drives
/// every mask and both hiding commitments. Returns the proof and the witness. Refuses (naming
/// node and op) a graph with an operator zero-knowledge mode does not support yet, or a tensor
/// too small to hide its revealed evaluations.
///
/// The weights are committed again for their opening (as [`crate::prove`] does);
/// [`prove_with_weights`] opens the prover data kept from compile time instead.
///
/// # Transcript
/// As [`super::verify`]: the statement ([`super::common::start_transcript`]); the first
/// commitment; the lookup argument (`lucid_lookup::zk`: `α`, `β`, the helper commitment, the
/// group sumchecks, `zk/relu-diffs`, in byte mode `zk/low-bytes`); per range-checked ReLU
/// `sample_ext_vec(b"zk/relu-tau")`
/// and its zero-check (`zk-relation/…`); per requantization (node order)
/// `sample_ext_vec(b"zk/requant-point")`
/// (`c ‖ r`) and the linear step's `zk-linear/inputs`; per output
/// `sample_ext_vec(b"zk/output-point")`; per reduced layer node in reverse node order its
/// batching (`zk-batch/…`) and its reduction (`zk-relation/…`, `zk-linear/inputs`, or the
/// convolution's `zk/conv-bias` and relation, a two-activation product's relation, a map's
/// `zk-map/…` (a concatenation's `zk/map-shares`, then one `zk-map/…` per operand), a weight
/// product's `zk-map/…` and `zk/scale-weight`; nothing for a free map); then three forks of
/// the transcript ([`super::common::open_transcripts`]): `zk/open/witness` for the first
/// (hiding) opening, `zk/open/helpers` for the second (hiding) opening, `zk/open/weights` for
/// the plain opening of the key's weights commitment (`lucid-pcs/open`, every weight claim).
pub fn prove<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    inputs: &[Value],
    rng: &mut R,
) -> Result<(ZkProof, Witness), ProofError> {
    prove_with_weights(pk, inputs, None, rng, &mut ())
}

/// [`prove`], opening the weights from `weights` (the prover data `compile_with_weights`
/// produced, or [`WeightsData::from_bytes`]) when given. An opening made from such data is
/// verified against the key's weights commitment before the proof is returned: damaged data
/// gives an error, never a proof the verifier rejects. `observer` hears each stage start
/// (`integer run`, `masks`, `commit`, `lookups`, `layers`, `openings`), as the plain prover's.
pub fn prove_with_weights<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    inputs: &[Value],
    weights: Option<WeightsData>,
    rng: &mut R,
    observer: &mut dyn ProveObserver,
) -> Result<(ZkProof, Witness), ProofError> {
    observer.stage("integer run");
    let witness = int_eval::run(&pk.graph, inputs)?;
    let proof = prove_core(
        pk,
        &witness,
        weights,
        true,
        &Cheat::default(),
        rng,
        observer,
    )?;
    Ok((proof, witness))
}

/// Proves a given witness in zero knowledge (tests hand it altered witnesses).
pub fn prove_witness<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    witness: &Witness,
    rng: &mut R,
) -> Result<ZkProof, ProofError> {
    prove_witness_with(pk, witness, None, rng)
}

/// [`prove_witness`] with the weights' prover data (see [`prove_with_weights`]).
pub fn prove_witness_with<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    witness: &Witness,
    weights: Option<WeightsData>,
    rng: &mut R,
) -> Result<ZkProof, ProofError> {
    prove_core(pk, witness, weights, true, &Cheat::default(), rng, &mut ())
}

/// [`prove_witness`] with a cheating prover's changes to its lookup witness ([`Cheat`]). For
/// soundness tests only: the verifier must reject every proof it makes with a change.
#[doc(hidden)]
pub fn prove_witness_cheating<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    witness: &Witness,
    cheat: &Cheat,
    rng: &mut R,
) -> Result<ZkProof, ProofError> {
    prove_core(pk, witness, None, true, cheat, rng, &mut ())
}

/// [`prove_witness`] with the range width forced to `bits` instead of the plan's choice (for
/// measurements of both widths on one key; verify with [`super::verifier::verify_with_range`]).
#[doc(hidden)]
pub fn prove_witness_with_range<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    witness: &Witness,
    bits: u32,
    rng: &mut R,
) -> Result<ZkProof, ProofError> {
    let cheat = Cheat {
        range_bits: Some(bits),
        ..Cheat::default()
    };
    prove_core(pk, witness, None, true, &cheat, rng, &mut ())
}

/// [`prove_witness_with`] without the prover's own check of an opening made from given weights
/// data against the key's commitment. For soundness tests only: with the prover data of
/// *other* weights it yields the proof a cheating prover would send (the verifier must reject
/// it); an honest caller uses [`prove_witness_with`].
#[doc(hidden)]
pub fn prove_witness_unchecked<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    witness: &Witness,
    weights: Option<WeightsData>,
    rng: &mut R,
) -> Result<ZkProof, ProofError> {
    prove_core(pk, witness, weights, false, &Cheat::default(), rng, &mut ())
}

fn prove_core<R: CryptoRng + ?Sized>(
    pk: &ProverKey,
    witness: &Witness,
    weights: Option<WeightsData>,
    check_stored: bool,
    cheat: &Cheat,
    rng: &mut R,
    observer: &mut dyn ProveObserver,
) -> Result<ZkProof, ProofError> {
    observer.stage("masks");
    let graph = &pk.graph;
    let vk = &pk.vk;
    let zp = match cheat.range_bits {
        Some(bits) => ZkPlan::with_range(vk, bits)?,
        None => ZkPlan::new(vk)?,
    };
    let scheme = vk.params.zk_scheme();
    let tensors = &witness.tensors;
    if tensors.len() != graph.nodes.len() {
        return Err(internal(format!(
            "{} tensors for {} nodes",
            tensors.len(),
            graph.nodes.len()
        )));
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
    let mut limbs = remainder_limbs(graph, &zp, tensors)?;
    cheat.apply_to_limbs(zp.plan.range_bits, &mut limbs);
    let padded: Vec<PaddedTensor> = graph
        .nodes
        .iter()
        .zip(tensors)
        .map(|(n, t)| PaddedTensor::from_tensor(&n.shape, t))
        .collect();
    let (masks, limb_masks) = derive_masks(graph, &zp, &padded, rng)?;
    let mask = |n: usize| -> Result<&[F], ProofError> {
        masks[n]
            .as_deref()
            .ok_or_else(|| internal(format!("node {n} has no mask")))
    };

    let public_inputs: Vec<Tensor<i64>> = match vk.input_visibility {
        Visibility::Public => graph
            .inputs
            .iter()
            .map(|i| tensors[i.node].clone())
            .collect(),
        Visibility::Private => Vec::new(),
    };
    let outputs: Vec<Tensor<i64>> = graph
        .outputs
        .iter()
        .map(|o| tensors[o.node].clone())
        .collect();

    // Phase 1: lookup columns (affine images of the blinded tables) and multiplicities.
    let src = Sources {
        padded: &padded,
        limbs: &limbs,
        masks: &masks,
        limb_masks: &limb_masks,
    };
    let (zk_witness, lows) = lookup_witness(&zp, &src, cheat, rng)?;

    let libra: Vec<ZkMask> = zp
        .sumchecks
        .iter()
        .map(|s| ZkMask::random(s.vars, s.degree, rng))
        .collect();
    let mut tables: Vec<Vec<F>> = Vec::with_capacity(zp.tables.len());
    for t in &zp.tables {
        tables.push(match *t {
            Table1::Blinded(n) => [padded[n].evals.as_slice(), mask(n)?].concat(),
            Table1::Limb(n, l) => [limbs[&(n, l)].evals.as_slice(), &limb_masks[&(n, l)]].concat(),
            Table1::Mask(n) => mask(n)?.to_vec(),
            Table1::Multiplicity(j) => zk_witness
                .as_ref()
                .and_then(|w| w.table(lucid_lookup::zk::ZkTableId::Multiplicity { table: j }))
                .ok_or_else(|| internal("a missing multiplicity table"))?
                .to_vec(),
            Table1::LowByte(k) => {
                let low = lows.get(k).ok_or_else(|| internal("a missing low byte"))?;
                [low.values.as_slice(), &low.mask].concat()
            }
            Table1::Libra(k) => pack(&libra[k]),
        });
    }
    observer.stage("commit");
    let span = tracing::info_span!("zk commit", tables = tables.len()).entered();
    let (commitment, data1) = scheme
        .commit_hiding(tables, rng)
        .map_err(pcs("zero-knowledge witness"))?;
    drop(span);
    let mut t = start_transcript(vk, &public_inputs, &outputs)?;
    commitment.observe(&mut t);

    let n = graph.nodes.len();
    let mut on_node: Vec<Vec<BlindedClaim>> = vec![Vec::new(); n];
    let mut settle = Settle::default();

    // Lookups: phase 2 (helper commitment) and the group sumchecks.
    let mut relu_diffs = Vec::new();
    let mut low_bytes = Vec::new();
    observer.stage("lookups");
    let lookups_span = tracing::info_span!("zk lookups").entered();
    let (helper_commitment, data2, lookup_proof, lookup_mask_rows) =
        match (&zk_witness, &zp.lookup_layout) {
            (Some(zw), Some(layout)) => {
                let helpers = prove_phase2(zw, &mut t, rng)?;
                let expected = helper_tables(layout);
                let committed = helpers.committed_tables();
                let mut tables2: Vec<Vec<F>> = Vec::with_capacity(expected.len());
                for (i, (id, table)) in committed.iter().enumerate() {
                    if expected.get(i).map(|e| (e.0, e.1)) != Some((Some(*id), table.len())) {
                        return Err(internal("the lookup helper tables differ from the plan"));
                    }
                    tables2.push(table.to_vec());
                }
                tables2.extend(helpers.masks().iter().map(pack));
                if tables2.len() != expected.len() {
                    return Err(internal("the lookup helper tables differ from the plan"));
                }
                let (c2, d2) = scheme
                    .commit_hiding(tables2, rng)
                    .map_err(pcs("zero-knowledge lookup helpers"))?;
                c2.observe(&mut t);
                let (proof, claims) = lucid_lookup::zk::prove(zw, &helpers, &mut t)?;
                let rows: Vec<Vec<EF>> = helpers
                    .masks()
                    .iter()
                    .enumerate()
                    .map(|(g, m)| {
                        let point = claims
                            .iter()
                            .find(|c| c.table == lucid_lookup::zk::ZkTableId::Mask { group: g })
                            .map(|c| c.point.clone())
                            .ok_or_else(|| internal("a lookup group without a mask claim"))?;
                        Ok(row_values(m, &point))
                    })
                    .collect::<Result<_, ProofError>>()?;
                let (diffs, low_evals) = column_messages(&zp, &src, &lows, &claims)?;
                settle_lookup_claims(
                    &zp,
                    graph,
                    claims,
                    &rows,
                    &diffs,
                    &low_evals,
                    &mut on_node,
                    &mut settle,
                    &mut t,
                )?;
                relu_diffs = diffs;
                low_bytes = low_evals;
                (Some(c2), Some(d2), Some(proof), rows)
            }
            _ => (None, None, None, Vec::new()),
        };
    drop(lookups_span);

    // ReLU zero-checks.
    let mut slot = 0usize;
    let mut relus = Vec::with_capacity(zp.relus.len());
    for r in &zp.relus {
        let nv = node_vars(graph, r.node);
        let tau = t.sample_ext_vec(b"zk/relu-tau", nv);
        let blinded = |n: usize| -> Result<Vec<EF>, ProofError> {
            Ok([lift(&padded[n].evals), lift(mask(n)?)].concat())
        };
        let rel = ZkRelation {
            shape: relu_shape(nv),
            operands: vec![blinded(r.node)?, blinded(r.input)?],
            public: vec![eq_table(&tau)],
            output_mask: vec![EF::ZERO],
        };
        let (rp, out) = prove_relation(rel, &libra[slot], &mut t).map_err(internal)?;
        let rows = row_values(&libra[slot], &out.point);
        let _ = libra_claims(&zp, slot, &out.point, &rows, &mut settle)?;
        slot += 1;
        for (n, oc) in [r.node, r.input].into_iter().zip(out.operand_claims) {
            route(&zp, &mut on_node, &mut settle, n, oc)?;
        }
        relus.push((rp, rows));
    }

    // Requantizations at fresh points, forwards to their inputs.
    let mut requant = Vec::new();
    for (id, role) in zp.plan.roles.iter().enumerate() {
        let Role::Requant { limbs: m, .. } = role else {
            continue;
        };
        let p = t.sample_ext_vec(b"zk/requant-point", node_vars(graph, id) + 1);
        let (c, r) = (p[0], p[1..].to_vec());
        let mut evals = vec![blinded_eval(&padded[id].evals, mask(id)?, c, &r)];
        for l in 0..*m {
            evals.push(blinded_eval(
                &limbs[&(id, l)].evals,
                &limb_masks[&(id, l)],
                c,
                &r,
            ));
        }
        let step = requant_step(graph, id, *m, zp.plan.range_bits);
        let x_claim = step.apply(c, r, &evals, &mut t).map_err(internal)?;
        route_requant(
            &zp,
            graph,
            &mut on_node,
            &mut settle,
            id,
            &p,
            x_claim,
            &evals,
        )?;
        requant.push(evals);
    }

    for o in &graph.outputs {
        let r = t.sample_ext_vec(b"zk/output-point", node_vars(graph, o.node));
        let v = padded[o.node].eval(&r);
        route(
            &zp,
            &mut on_node,
            &mut settle,
            o.node,
            BlindedClaim::new(EF::ZERO, r, v),
        )?;
    }

    // Layers, backwards.
    let private = Private {
        padded: &padded,
        masks: &masks,
        libra: &libra,
    };
    let mut layer_proofs = Vec::new();
    observer.stage("layers");
    let layers_span = tracing::info_span!("zk layers").entered();
    for id in (0..n).rev() {
        let claims = std::mem::take(&mut on_node[id]);
        if claims.is_empty() {
            continue;
        }
        let node = &graph.nodes[id];
        let _layer_span =
            tracing::debug_span!("zk layer", node = %node.name, op = node.op.name()).entered();
        let blinded_table = || -> Result<Vec<EF>, ProofError> {
            Ok([lift(&padded[id].evals), lift(mask(id)?)].concat())
        };
        let (batch, claim) = if zp.kinds[id] == Kind::Committed {
            let c = claims
                .into_iter()
                .find(|c| c.c != EF::ZERO)
                .ok_or_else(|| internal("a committed layer node without a random-c claim"))?;
            (None, c)
        } else if zp.batched[id] {
            let (bp, out) = prove_blinded_batch(&blinded_table()?, &claims, &libra[slot], &mut t)
                .map_err(internal)?;
            let point = out.claim.full_point();
            let rows = row_values(&libra[slot], &point);
            let _ = libra_claims(&zp, slot, &point, &rows, &mut settle)?;
            slot += 1;
            (Some((bp, rows)), out.claim)
        } else if claims.len() == 1 {
            (None, claims.into_iter().next().expect("one claim"))
        } else {
            return Err(internal("unplanned claims on a virtual node"));
        };
        let mut f = Flow {
            zp: &zp,
            graph,
            on_node: &mut on_node,
            settle: &mut settle,
            slot: &mut slot,
            t: &mut t,
        };
        let layer = match &node.op {
            QOp::MatMul { .. } => zl::prove_matmul(&mut f, &private, id, &claim)?,
            QOp::Add { .. } | QOp::Sub { .. } => zl::prove_add(&mut f, &private, id, &claim)?,
            QOp::Conv(_) | QOp::Deconv(_) => zl::prove_conv(&mut f, &private, id, &claim)?,
            QOp::Mul if is_product(graph, id) => zl::prove_product(&mut f, &private, id, &claim)?,
            QOp::Mul => zl::prove_scale(&mut f, &private, id, &claim)?,
            _ if node_map(graph, id).is_some() => zl::prove_map(&mut f, &private, id, &claim)?,
            _ if is_free(graph, id) => {
                zl::reduce_free(&mut f, id, &claim)?;
                ZkLayerProof::Free
            }
            _ => {
                return Err(internal(format!(
                    "node '{}' has no zero-knowledge protocol",
                    node.name
                )));
            }
        };
        layer_proofs.push(ZkNodeProof {
            node: id as u32,
            batch,
            layer,
        });
    }
    if slot != zp.sumchecks.len() {
        return Err(internal(
            "the proof ran another number of sumchecks than planned",
        ));
    }
    drop(layers_span);
    check_budget(graph, &zp, &settle)?;

    observer.stage("openings");
    // Every claim is fixed: the three openings are independent sub-proofs, each on its own
    // fork of the transcript, and run side by side.
    let (witness_t, helper_t, mut weights_t) = open_transcripts(&t);
    let open_witness = || {
        let _s = tracing::info_span!("zk open witness", claims = settle.first.len()).entered();
        let mut t = witness_t;
        scheme
            .open(data1, &settle.first, &mut t)
            .map_err(pcs("zero-knowledge witness"))
    };
    let open_helpers = || {
        data2
            .map(|d| {
                let _s =
                    tracing::info_span!("zk open helpers", claims = settle.second.len()).entered();
                let mut t = helper_t;
                scheme
                    .open(d, &settle.second, &mut t)
                    .map_err(pcs("zero-knowledge lookup helpers"))
            })
            .transpose()
    };
    let open_weights =
        || WeightsData::open(weights, pk, &settle.weights, check_stored, &mut weights_t);
    let (opening, (helper_opening, weights_opening)) =
        join(open_witness, || join(open_helpers, open_weights));
    let (opening, helper_opening, weights_opening) = (opening?, helper_opening?, weights_opening?);
    Ok(ZkProof {
        public_inputs,
        outputs,
        commitment,
        helper_commitment,
        lookups: lookup_proof,
        lookup_mask_rows,
        relu_diffs,
        low_bytes,
        relus,
        requant,
        layers: layer_proofs,
        opening,
        helper_opening,
        weights_opening,
    })
}

/// Refuses to hand out a proof whose revealed blinded values could be dependent: every mask of
/// `2^n` base-field entries must be queried at fewer than `2^n / 3` distinct points (each
/// extension-field value is three base-field functionals), a concatenation's share counting as
/// one query to its operand's mask.
fn check_budget(graph: &QGraph, zp: &ZkPlan, settle: &Settle) -> Result<(), ProofError> {
    let too_small = |n: usize, q: usize| ProofError::Unsupported {
        node: graph.nodes[n].name.clone(),
        op: graph.nodes[n].op.name().to_string(),
        reason: format!(
            "its mask of {} entries cannot hide {q} revealed evaluations in zero-knowledge mode",
            1usize << node_vars(graph, n)
        ),
    };
    // A concatenation's share `s_k` is one more query to operand `k`'s mask than its claims.
    let mut shares = vec![0usize; graph.nodes.len()];
    for (id, node) in graph.nodes.iter().enumerate() {
        if zp.kinds[id] == Kind::None {
            continue;
        }
        if let Some(m) = node_map(graph, id).filter(|m| m.num_parts() > 1) {
            for k in 0..m.num_parts() {
                shares[node.inputs[m.operand(k)]] += 1;
            }
        }
    }
    for (ti, t) in zp.tables.iter().enumerate() {
        let (node, blinded) = match *t {
            Table1::Blinded(n) | Table1::Limb(n, _) => (n, true),
            Table1::Mask(n) => (n, false),
            Table1::LowByte(s) => {
                let len = zp.splits.get(s).map_or(0, |s| s.len);
                let q = settle.first.iter().filter(|c| c.table == ti).count();
                if 3 * q >= len {
                    return Err(ProofError::Unsupported {
                        node: format!("low byte {s}"),
                        op: "range check".into(),
                        reason: format!(
                            "its mask of {len} entries cannot hide {q} revealed evaluations in zero-knowledge mode"
                        ),
                    });
                }
                continue;
            }
            _ => continue,
        };
        let mut points: Vec<&Vec<EF>> = settle
            .first
            .iter()
            .filter(|c| c.table == ti && (!blinded || c.point[0] != EF::ZERO))
            .map(|c| &c.point)
            .collect();
        points.dedup();
        let q = points.len()
            + if matches!(t, Table1::Limb(..)) {
                0
            } else {
                shares[node]
            };
        if 3 * q >= 1usize << node_vars(graph, node) {
            return Err(too_small(node, q));
        }
    }
    for (id, k) in zp.kinds.iter().enumerate() {
        if *k == Kind::Derived {
            let q = zp.counts[id] + usize::from(zp.batched[id]) + shares[id];
            if 3 * q >= 1usize << node_vars(graph, id) {
                return Err(too_small(id, q));
            }
        }
    }
    Ok(())
}
