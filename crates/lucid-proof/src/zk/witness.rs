//! The zero-knowledge prover's private tables: the remainder limbs of the requantizations (of
//! the plan's range width, 16 or 8 bits) and
//! every tensor's mask `R_T` — fresh and uniform where the plan commits it, derived where a
//! linear relation defines it (so that the relation also holds on the masks), zero for a public
//! input, and the weight itself for a weight (`W' = [W ; W]`, see [`super`]).

use std::collections::HashMap;

use lucid_core::field::F;
use lucid_model::ir::Op;
use lucid_model::quant::fixed::rescale_with_remainder;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::Tensor;
use p3_field::PrimeCharacteristicRing;
use rand::{Rng, RngExt};

use super::common::pow2;
use super::maps::{ZkScale, is_index_map, node_map};
use super::plan::{Kind, ZkPlan, is_product, node_vars};
use crate::error::ProofError;
use crate::graph::plan::Role;
use crate::graph::statement::padded_with;
use crate::layout::{Broadcast, PaddedShape, PaddedTensor, for_each_index};

fn internal(what: impl ToString) -> ProofError {
    ProofError::Witness {
        node: "zero-knowledge prover".into(),
        reason: what.to_string(),
    }
}

pub(crate) fn random_table<R: Rng + ?Sized>(len: usize, rng: &mut R) -> Vec<F> {
    (0..len).map(|_| rng.random::<F>()).collect()
}

fn combine(terms: &[(F, &[F])]) -> Vec<F> {
    let len = terms.first().map_or(0, |(_, t)| t.len());
    (0..len)
        .map(|i| terms.iter().map(|(s, t)| *s * t[i]).sum())
        .collect()
}

/// A broadcast operand's table in the output's padded layout (padding zero), over `F`.
fn expand(b: &Broadcast, table: &[F]) -> Vec<F> {
    b.source_map()
        .into_iter()
        .map(|s| s.map_or(F::ZERO, |s| table[s]))
        .collect()
}

/// `Y = transpose(X, perm)` on padded tables.
fn transpose_table(from: &[usize], to: &[usize], perm: &[usize], table: &[F]) -> Vec<F> {
    let (ps_from, ps_to) = (PaddedShape::new(from), PaddedShape::new(to));
    let mut out = vec![F::ZERO; ps_to.padded_len()];
    let dims = ps_to.padded_dims();
    let mut src = vec![0usize; perm.len()];
    for_each_index(&dims, |o| {
        for (d, &p) in perm.iter().enumerate() {
            src[p] = o[d];
        }
        out[ps_to.padded_offset(o)] = table[ps_from.padded_offset(&src)];
    });
    out
}

/// The remainder limbs of every positive-shift requantization (padding holds the offset), after
/// checking that no output saturated.
pub(crate) fn remainder_limbs(
    graph: &QGraph,
    zp: &ZkPlan,
    tensors: &[Tensor<i64>],
) -> Result<HashMap<(usize, usize), PaddedTensor>, ProofError> {
    let mut out = HashMap::new();
    for (id, role) in zp.plan.roles.iter().enumerate() {
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
        let (x, y) = (&tensors[node.inputs[0]], &tensors[id]);
        let saturated = |i: usize| ProofError::Witness {
            node: node.name.clone(),
            reason: format!(
                "requantized value at element {i} saturates (input outside the calibrated range)"
            ),
        };
        if shift <= 0 {
            for (i, (&xv, &yv)) in x.data().iter().zip(y.data()).enumerate() {
                if (xv as i128) << shift.unsigned_abs() != yv as i128 {
                    return Err(saturated(i));
                }
            }
            continue;
        }
        let s = shift as u32;
        let mut rems = Vec::with_capacity(x.data().len());
        for (i, (&xv, &yv)) in x.data().iter().zip(y.data()).enumerate() {
            let (q, r) = rescale_with_remainder(xv as i128, s, rounding);
            if q != yv as i128 {
                return Err(saturated(i));
            }
            rems.push(r as i64);
        }
        let off = rounding.offset(s) as i64;
        let bits = zp.plan.range_bits;
        let low = (1i64 << bits) - 1;
        for l in 0..*limbs {
            let sh = bits * l as u32;
            let limb: Vec<i64> = rems.iter().map(|&r| (r >> sh) & low).collect();
            out.insert((id, l), padded_with(&node.shape, &limb, (off >> sh) & low));
        }
    }
    Ok(out)
}

/// Every mask: `R_T` per node with a mask (fresh where free, derived where a linear relation
/// defines it, the weight itself for a weight) and per remainder limb.
pub(crate) type Masks = (Vec<Option<Vec<F>>>, HashMap<(usize, usize), Vec<F>>);

pub(crate) fn derive_masks<R: Rng + ?Sized>(
    graph: &QGraph,
    zp: &ZkPlan,
    padded: &[PaddedTensor],
    rng: &mut R,
) -> Result<Masks, ProofError> {
    let n = graph.nodes.len();
    let mut masks: Vec<Option<Vec<F>>> = vec![None; n];
    let mut limb_masks = HashMap::new();
    for id in 0..n {
        let node = &graph.nodes[id];
        let len = 1usize << node_vars(graph, id);
        let operand = |masks: &[Option<Vec<F>>], i: usize| -> Result<Vec<F>, ProofError> {
            masks[node.inputs[i]]
                .clone()
                .ok_or_else(|| internal(format!("operand {i} of '{}' has no mask", node.name)))
        };
        let mask = match (zp.kinds[id], &zp.plan.roles[id]) {
            (Kind::None, _) => None,
            (Kind::PublicInput, _) => Some(vec![F::ZERO; len]),
            (Kind::Weight, _) => Some(padded[id].evals.clone()),
            (_, Role::Requant { limbs, .. }) => {
                let rx = operand(&masks, 0)?;
                let QOp::Requant { shift, .. } = node.op else {
                    return Err(internal("a requantization role on another operator"));
                };
                if *limbs == 0 {
                    let up = pow2(shift.unsigned_abs());
                    Some(rx.iter().map(|&v| v * up).collect())
                } else {
                    let ry = random_table(len, rng);
                    let mut terms: Vec<(F, Vec<F>)> = vec![(-pow2(shift as u32), ry.clone())];
                    for l in 1..*limbs {
                        let rl = random_table(len, rng);
                        terms.push((-pow2(zp.plan.range_bits * l as u32), rl.clone()));
                        limb_masks.insert((id, l), rl);
                    }
                    let mut refs: Vec<(F, &[F])> = vec![(F::ONE, rx.as_slice())];
                    refs.extend(terms.iter().map(|(s, t)| (*s, t.as_slice())));
                    limb_masks.insert((id, 0), combine(&refs));
                    Some(ry)
                }
            }
            (_, Role::Layer) => match &node.op {
                QOp::MatMul { .. } | QOp::Conv(_) | QOp::Deconv(_) => Some(random_table(len, rng)),
                QOp::Mul if is_product(graph, id) => Some(random_table(len, rng)),
                QOp::Mul => {
                    let s = ZkScale::new(graph, id).map_err(internal)?;
                    let c = s.expanded(&padded[node.inputs[s.weight]].evals);
                    let rx = operand(&masks, s.input)?;
                    Some(c.iter().zip(&rx).map(|(&a, &b)| a * b).collect())
                }
                op if is_index_map(op) => match node_map(graph, id) {
                    Some(m) => {
                        let tables = (0..m.num_parts())
                            .map(|k| operand(&masks, m.operand(k)))
                            .collect::<Result<Vec<_>, _>>()?;
                        let refs: Vec<&[F]> = tables.iter().map(Vec::as_slice).collect();
                        Some(m.apply(&refs))
                    }
                    None => Some(operand(&masks, 0)?),
                },
                QOp::Add { .. } | QOp::Sub { .. } => {
                    let (ra, rb) = (operand(&masks, 0)?, operand(&masks, 1)?);
                    let b = |i: usize| {
                        Broadcast::new(&graph.nodes[node.inputs[i]].shape, &node.shape)
                            .map_err(internal)
                    };
                    let (ea, eb) = (expand(&b(0)?, &ra), expand(&b(1)?, &rb));
                    let (ca, cb) = match node.op {
                        QOp::Add { shifts } => (pow2(shifts[0]), pow2(shifts[1])),
                        QOp::Sub { shifts } => (pow2(shifts[0]), -pow2(shifts[1])),
                        _ => (F::ONE, F::ONE),
                    };
                    Some(combine(&[(ca, &ea), (cb, &eb)]))
                }
                QOp::Requant { shift, .. } => {
                    let up = pow2(shift.unsigned_abs());
                    Some(operand(&masks, 0)?.iter().map(|&v| v * up).collect())
                }
                QOp::Exact(Op::Transpose { perm }) => Some(transpose_table(
                    &graph.nodes[node.inputs[0]].shape,
                    &node.shape,
                    perm,
                    &operand(&masks, 0)?,
                )),
                _ => Some(operand(&masks, 0)?),
            },
            _ => Some(random_table(len, rng)),
        };
        masks[id] = mask;
    }
    Ok((masks, limb_masks))
}
