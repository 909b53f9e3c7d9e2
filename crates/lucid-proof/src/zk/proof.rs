//! The zero-knowledge proof of one inference.

use lucid_core::field::EF;
use lucid_core::sumcheck::zk_relation::{BlindedBatchProof, BlindedMapProof, RelationProof};
use lucid_lookup::zk::ZkLookupProof;
use lucid_model::tensor::Tensor;
use lucid_pcs::{Commitment, OpeningProof};
use serde::{Deserialize, Serialize};

/// A zero-knowledge proof that the outputs came from running the model of the verifying key
/// (its structure, scales, tables and committed weights) on some private input (see [`super`]
/// for exactly what is bound and what is revealed).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ZkProof {
    /// The quantized inputs, when the key makes them public (otherwise empty).
    pub public_inputs: Vec<Tensor<i64>>,
    /// The quantized outputs (public).
    pub outputs: Vec<Tensor<i64>>,
    /// Hiding commitment to every blinded committed tensor (not the weights), remainder limb,
    /// virtual mask, blinded multiplicity vector and Libra mask.
    pub commitment: Commitment,
    /// Hiding commitment to the lookup helper columns and lookup sumcheck masks (with lookups).
    pub helper_commitment: Option<Commitment>,
    /// The zero-knowledge lookup argument.
    pub lookups: Option<ZkLookupProof>,
    /// Per lookup group, the mask's row values `g_i(r_i)` (they sum to the group's mask value).
    pub lookup_mask_rows: Vec<Vec<EF>>,
    /// `z'` at each ReLU difference column's claim point (lookup claim order).
    pub relu_diffs: Vec<EF>,
    /// Byte mode: the low byte `v0'` at each high-byte column's claim point (lookup claim
    /// order; empty with the 16-bit range table).
    #[serde(default)]
    pub low_bytes: Vec<EF>,
    /// Per ReLU proved by range checks: its zero-check `z·(z − y) = 0` and the Libra-mask rows.
    pub relus: Vec<(RelationProof, MaskRows)>,
    /// Per requantization (node order): `Y'(c, r)` and the limbs' `L'_i(c, r)`.
    pub requant: Vec<Vec<EF>>,
    /// Per reduced layer node, in reverse node order.
    pub layers: Vec<ZkNodeProof>,
    /// The single opening of [`Self::commitment`].
    pub opening: OpeningProof,
    /// The single opening of [`Self::helper_commitment`].
    pub helper_opening: Option<OpeningProof>,
    /// The plain opening of every weight claim on the verifying key's weights commitment
    /// (absent when no claim reaches a weight).
    pub weights_opening: Option<OpeningProof>,
}

/// A zero-knowledge sumcheck's Libra-mask row values at its final point.
pub type MaskRows = Vec<EF>;

/// One reduced layer node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ZkNodeProof {
    pub node: u32,
    /// The batching of the node's claims (several claims, or an output).
    pub batch: Option<(BlindedBatchProof, MaskRows)>,
    pub layer: ZkLayerProof,
}

/// A layer's reduction of one blinded claim.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ZkLayerProof {
    /// No message (identity, layout-keeping reshape or map, transpose, exact left shift).
    Free,
    /// The operands' blinded values (addition, subtraction).
    Linear(Vec<EF>),
    /// A matrix product's relation.
    MatMul(RelationProof, MaskRows),
    /// A convolution: the bias value `bias(r_o)` (a weight evaluation, with a bias operand) and
    /// the relation ([`super::conv`]).
    Conv {
        bias: Option<EF>,
        relation: RelationProof,
        rows: MaskRows,
    },
    /// An index map (pooling, layout-changing reshape, …) onto its blinded input
    /// ([`super::maps`]).
    Map(BlindedMapProof, MaskRows),
    /// An element-wise product with a weight: the map proof onto the blinded activation and
    /// the weight's value `C(p)` at the final point (a weight evaluation).
    Scale {
        map: BlindedMapProof,
        weight: EF,
        rows: MaskRows,
    },
    /// An element-wise product of two activations: its relation ([`super::product`]).
    Product(RelationProof, MaskRows),
    /// A concatenation (an index map of several operands): each operand's share of the claim
    /// `L_k(X_k)'(c0, r)` and its map proof onto the blinded operand.
    Concat {
        shares: Vec<EF>,
        maps: Vec<(BlindedMapProof, MaskRows)>,
    },
}
