//! Compiling a quantized graph into the prover's artifact and the verifying key: rewrite the
//! operators the prover has no protocol for into provable primitives with identical integer
//! results (`lucid_model::quant::provable`), derive the plan (refusing what cannot be proved,
//! with the node and op named), commit the weights.

use lucid_model::quant::QGraph;

use crate::error::ProofError;
use crate::graph::plan::{Plan, Visibility};
use crate::graph::prover::weight_tables;
use crate::key::{ProofParams, ProverKey, VerifyingKey, strip_weights};

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
    let graph = provable_graph(&graph)?;
    let plan = Plan::new(&graph, input_visibility)?;
    let tables = weight_tables(&graph, &plan);
    let weights = if tables.is_empty() {
        None
    } else {
        let (c, _) = params
            .scheme()
            .commit(tables)
            .map_err(|source| ProofError::Pcs {
                what: "weights",
                source,
            })?;
        Some(c)
    };
    let vk = VerifyingKey {
        graph: strip_weights(&graph, &plan),
        input_visibility,
        weights,
        params,
    };
    Ok(ProverKey { vk, graph })
}
