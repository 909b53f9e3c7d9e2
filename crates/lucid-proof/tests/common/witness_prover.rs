//! The malicious-prover harness: builds the field witness the graph prover commits from
//! integer tensors *as given* (so an altered activation gets the remainder limbs it implies) and
//! proves it through the prover's lowest-level entry point
//! (`lucid_proof::graph::prover::prove_field_witness`), so tests can play a malicious prover:
//! alter an activation, a remainder limb, a low byte or any committed field element, and still
//! produce a proof that follows the protocol.

use std::collections::HashMap;

use lucid_core::field::from_i64;
use lucid_model::int_eval;
use lucid_model::quant::QOp;
use lucid_model::tensor::Tensor;
use lucid_proof::graph::clamp;
use lucid_proof::graph::plan::{Plan, Role};
use lucid_proof::graph::prover::prove_field_witness;
use lucid_proof::graph::range::{self, FieldWitness};
use lucid_proof::graph::statement::padded_with;
use lucid_proof::layout::PaddedTensor;
use lucid_proof::{Proof, ProofError, ProverKey};

/// The field witness of integer tensors `tensors` (one per node) under the key's plan.
/// Remainders are computed from the tensors as given (`x + off − 2^shift·y`), so an altered
/// output gives remainders that no longer lie in `[0, 2^shift)`: their limbs are then the low
/// bits of a negative number. Low bytes are left to the prover (derived honestly from the
/// tables at prove time) unless a test sets them.
pub fn field_witness(pk: &ProverKey, tensors: Vec<Tensor<i64>>) -> FieldWitness {
    let graph = &pk.graph;
    let plan = pk.vk.plan().expect("plan");
    let padded: Vec<PaddedTensor> = graph
        .nodes
        .iter()
        .zip(&tensors)
        .map(|(n, t)| PaddedTensor::from_tensor(&n.shape, t))
        .collect();
    let bits = plan.range_bits;
    let mask = (1i128 << bits) - 1;
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
        let off = rounding.offset(shift);
        for l in 0..*m {
            let limb: Vec<i64> = rems
                .iter()
                .map(|&r| ((r >> (bits * l as u32)) & mask) as i64)
                .collect();
            let pad = ((off >> (bits * l as u32)) & mask) as i64;
            limbs.insert((id, l), padded_with(&node.shape, &limb, pad));
        }
    }
    FieldWitness {
        tensors,
        padded,
        limbs,
        low_bytes: None,
    }
}

/// The honest low bytes of the split range checks of `w` (the prover's own derivation), for
/// tests that alter them.
pub fn low_bytes(pk: &ProverKey, w: &FieldWitness) -> Vec<Vec<lucid_core::field::F>> {
    let plan: Plan = pk.vk.plan().expect("plan");
    let clamps = clamp::clamps(&pk.graph, &plan);
    let arr = range::arrange(&pk.graph, &plan, &clamps).expect("arrangement");
    range::low_bytes(&plan, &clamps, &arr, w)
}

/// Proves with the given field witness, exactly as `lucid_proof::prove` does with the witness
/// of the integer run. Errors where the honest prover's sub-protocols refuse (e.g. a looked-up
/// value outside its table).
pub fn prove_with_witness(pk: &ProverKey, w: &FieldWitness) -> Result<Proof, ProofError> {
    prove_field_witness(pk, w, None, &mut ())
}

pub fn honest_witness(f: &super::Fixture) -> FieldWitness {
    let w = int_eval::run(&f.pk.graph, &f.inputs).expect("integer run");
    field_witness(&f.pk, w.tensors)
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
