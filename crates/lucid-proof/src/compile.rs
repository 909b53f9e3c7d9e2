//! Compiling a quantized graph into the prover's artifact and the verifying key: rewrite the
//! operators the prover has no protocol for into provable primitives with identical integer
//! results (`lucid_model::quant::provable`), derive the plan (refusing what cannot be proved,
//! with the node and op named), commit the weights.

use lucid_model::quant::QGraph;

use crate::error::ProofError;
use crate::graph::plan::{Plan, Visibility};
use crate::graph::prover::weight_tables;
use crate::graph::weights::WeightsData;
use crate::key::{ProofParams, ProverKey, VerifyingKey, WeightsParams, strip_weights};

/// The graph the prover proves: `graph` with max, max-pooling, max-reductions, comparisons,
/// logic and selection rewritten into provable primitives (same integer results).
pub fn provable_graph(graph: &QGraph) -> Result<QGraph, ProofError> {
    lucid_model::quant::provable::rewrite(graph).map_err(|e| ProofError::Unsupported {
        node: "graph".into(),
        op: "rewrite".into(),
        reason: e.to_string(),
    })
}

/// Compiles `graph` with the given input visibility and parameters.
pub fn compile(
    graph: QGraph,
    input_visibility: Visibility,
    params: ProofParams,
) -> Result<ProverKey, ProofError> {
    Ok(compile_with_weights(graph, input_visibility, params)?.0)
}

/// [`compile`], also returning the weights commitment's prover data (`None` without weights),
/// for [`crate::graph::prover::prove_with_weights`] or to store with
/// [`WeightsData::to_bytes`].
///
/// The weights' rates are chosen from their stacked size ([`WeightsParams::for_variables`]).
pub fn compile_with_weights(
    graph: QGraph,
    input_visibility: Visibility,
    params: ProofParams,
) -> Result<(ProverKey, Option<WeightsData>), ProofError> {
    let graph = provable_graph(&graph)?;
    let plan = Plan::new(&graph, input_visibility)?;
    let tables = weight_tables(&graph, &plan);
    let weights_params = WeightsParams::for_variables(stacked_variables(
        tables.iter().map(Vec::len),
        params.folding_factor as usize,
    ));
    let (weights, data) = if tables.is_empty() {
        (None, None)
    } else {
        let (c, data) = params
            .weights_scheme(&weights_params)
            .commit(tables)
            .map_err(|source| ProofError::Pcs {
                what: "weights",
                source,
            })?;
        (Some(c), Some(WeightsData::from_data(data)))
    };
    let vk = VerifyingKey {
        graph: strip_weights(&graph, &plan),
        input_visibility,
        weights,
        weights_params,
        params,
        replicas: 1,
    };
    Ok((ProverKey { vk, graph }, data))
}

/// [`compile_with_weights`] for a graph that is `replicas` stacked copies of a model
/// (`lucid_model::ir::replicate`, then quantized): the key records the count, and the
/// statement's public inputs and outputs must be that many equal copies
/// ([`VerifyingKey::replicas`]).
pub fn compile_replicated_with_weights(
    graph: QGraph,
    replicas: usize,
    input_visibility: Visibility,
    params: ProofParams,
) -> Result<(ProverKey, Option<WeightsData>), ProofError> {
    let (mut pk, data) = compile_with_weights(graph, input_visibility, params)?;
    pk.vk.replicas = replicas;
    pk.vk.checked_replicas()?;
    Ok((pk, data))
}

/// Variables of the polynomial that stacks tables of the given lengths (each padded to a power
/// of two, at least `2^folding`).
fn stacked_variables(lens: impl Iterator<Item = usize>, folding: usize) -> usize {
    let total: u128 = lens
        .map(|l| 1u128 << (l.max(1).next_power_of_two().trailing_zeros() as usize).max(folding))
        .sum();
    total.max(1).next_power_of_two().trailing_zeros() as usize
}
