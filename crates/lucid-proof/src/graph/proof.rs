//! The proof of one inference, and the claims bookkeeping both sides share.

use lucid_core::field::EF;
use lucid_core::mle::EvalClaim;
use lucid_core::sumcheck::batch::BatchProof;
use lucid_lookup::LookupProof;
use lucid_model::tensor::Tensor;
use lucid_pcs::{Commitment, OpeningProof};
use serde::{Deserialize, Serialize};

use crate::graph::clamp::ClampsProof;
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
    /// Per packed lookup of several parts (`graph::packing`), every part's column
    /// evaluations at its point.
    pub lookup_parts: Vec<EF>,
    /// Per split range check (`graph::range`, byte range table only): its committed low byte
    /// at the lookup argument's point of its high byte.
    pub low_bytes: Vec<EF>,
    /// Per clamp proved without a function table (`graph::clamp`, node order): its
    /// difference claim and evaluations, and their batched zero-check.
    pub clamps: ClampsProof,
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

fn encoded_len<T: Serialize>(value: &T) -> usize {
    postcard::to_allocvec(value).map_or(0, |v| v.len())
}

impl Proof {
    /// The serialized size of each part of the proof, as `(part, bytes)` (a diagnostic for
    /// proof-size work: the `postcard` encoding of each field, the layer proofs grouped by
    /// kind, the openings per WHIR component).
    pub fn size_breakdown(&self) -> Vec<(String, usize)> {
        let mut out = vec![
            (
                "public inputs".to_string(),
                encoded_len(&self.public_inputs),
            ),
            ("outputs".to_string(), encoded_len(&self.outputs)),
            ("witness commitment".to_string(), encoded_len(&self.witness)),
            ("lookups".to_string(), encoded_len(&self.lookups)),
            ("lookup parts".to_string(), encoded_len(&self.lookup_parts)),
            ("low bytes".to_string(), encoded_len(&self.low_bytes)),
            ("clamps".to_string(), encoded_len(&self.clamps)),
            ("requant".to_string(), encoded_len(&self.requant)),
        ];
        let mut kinds: Vec<(String, usize)> = Vec::new();
        for n in &self.layers {
            let name = format!("layers: {}", n.layer.kind());
            let size = encoded_len(n);
            match kinds.iter_mut().find(|(k, _)| *k == name) {
                Some((_, s)) => *s += size,
                None => kinds.push((name, size)),
            }
        }
        out.extend(kinds);
        for (label, opening) in [
            ("witness opening", &self.witness_opening),
            ("weights opening", &self.weights_opening),
        ] {
            if let Some(o) = opening {
                out.extend(
                    o.size_breakdown()
                        .into_iter()
                        .map(|(part, size)| (format!("{label}: {part}"), size)),
                );
            }
        }
        out
    }
}
