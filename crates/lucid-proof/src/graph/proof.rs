//! The proof of one inference, and the claims bookkeeping both sides share.

use lucid_core::field::EF;
use lucid_core::mle::EvalClaim;
use lucid_core::sumcheck::batch::BatchProof;
use lucid_lookup::LookupProof;
use lucid_model::tensor::Tensor;
use lucid_pcs::{Commitment, OpeningProof};
use serde::{Deserialize, Serialize};

use crate::graph::clamp::ClampProof;
use crate::layers::LayerProof;

/// A proof that the outputs came from running the committed model on the (public or committed)
/// inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Proof {
    /// The quantized inputs, when the key makes them public (otherwise empty).
    pub public_inputs: Vec<Tensor<i64>>,
    /// The quantized outputs (always public).
    pub outputs: Vec<Tensor<i64>>,
    /// Commitment to the private inputs, committed intermediate tensors, remainder limbs, low
    /// bytes of split range checks and lookup multiplicities; absent when there is nothing to
    /// commit.
    pub witness: Option<Commitment>,
    /// The LogUp-GKR argument for every lookup; absent when there is none.
    pub lookups: Option<LookupProof>,
    /// Per split range check (`graph::range`, byte range table only): its committed low byte
    /// at the lookup argument's point of its high byte.
    pub low_bytes: Vec<EF>,
    /// Per clamp proved without a function table (`graph::clamp`, node order): its
    /// difference claim and zero-check.
    pub clamps: Vec<ClampProof>,
    /// Per requantization node (node order): the output's and the limbs' evaluations at the
    /// node's fresh point.
    pub requant: Vec<RequantEvals>,
    /// Per layer-proved node that received claims, in the order the verifier visits them
    /// (reverse node order).
    pub layers: Vec<NodeProof>,
    /// Opening of every claim on the witness commitment.
    pub witness_opening: Option<OpeningProof>,
    /// Opening of every claim on the weights commitment.
    pub weights_opening: Option<OpeningProof>,
}

/// Evaluations of a requantization's committed output and remainder limbs at its fresh point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequantEvals {
    /// `Y(r)`.
    pub output: EF,
    /// `L_i(r)`, least significant limb first.
    pub limbs: Vec<EF>,
}

/// The proof of one node proved by a layer protocol.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeProof {
    /// The node.
    pub node: u32,
    /// When the node received several claims: their reduction to one.
    pub batch: Option<BatchProof>,
    /// The node's protocol from that one claim.
    pub layer: LayerProof,
}

/// Claims waiting on each node's tensor, plus the claims on remainder limbs.
#[derive(Clone, Debug, Default)]
pub struct Claims {
    /// Per node.
    pub on_node: Vec<Vec<EvalClaim>>,
    /// Per (node, limb).
    pub on_limb: Vec<(usize, usize, EvalClaim)>,
}

impl Claims {
    /// No claims on a graph of `n` nodes.
    pub fn new(n: usize) -> Self {
        Self {
            on_node: vec![Vec::new(); n],
            on_limb: Vec::new(),
        }
    }
}
