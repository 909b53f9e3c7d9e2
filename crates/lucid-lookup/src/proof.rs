//! The lookup proof and the claims the argument leaves open for the commitment openings.

use lucid_core::field::EF;
use lucid_core::sumcheck::SumcheckProof;
use lucid_core::sumcheck::proof::EF_BYTES;
use serde::{Deserialize, Serialize};

/// A LogUp-GKR lookup proof.
///
/// Every tree (lookups first, then distinct tables; see [`crate::LookupLayout`]) contributes its
/// layer-1 values; then each group of equal-size trees runs its GKR from the root down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupProof {
    /// Per tree, the two children of its root: `[p(0), q(0), p(1), q(1)]`. The root fraction is
    /// `(p(0)·q(1) + p(1)·q(0)) / (q(0)·q(1))`.
    pub top: Vec<[EF; 4]>,
    /// Per group of equal-size trees, by increasing size.
    pub groups: Vec<GroupProof>,
}

/// The GKR of one group of trees with `2^n` leaves each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupProof {
    /// Layers `1, …, n−1`: each reduces claims on layer `ℓ` to claims on layer `ℓ + 1`.
    pub layers: Vec<LayerProof>,
    /// Per tree of the group, the evaluations its leaves are made of at the group's final point:
    /// a lookup's column evaluations (1 or 2), or a table's multiplicity evaluation (1).
    pub leaf_evals: Vec<Vec<EF>>,
}

/// One layer of a group's GKR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerProof {
    /// The batched degree-3 sumcheck over `ℓ` variables.
    pub sumcheck: SumcheckProof,
    /// Per tree, the next layer's `[p(ρ,0), q(ρ,0), p(ρ,1), q(ρ,1)]` at the sumcheck point `ρ`.
    pub evals: Vec<[EF; 4]>,
}

impl LookupProof {
    /// Number of extension-field elements in the proof.
    pub fn num_elements(&self) -> usize {
        4 * self.top.len()
            + self
                .groups
                .iter()
                .map(|g| {
                    g.leaf_evals.iter().map(Vec::len).sum::<usize>()
                        + g.layers
                            .iter()
                            .map(|l| l.sumcheck.num_elements() + 4 * l.evals.len())
                            .sum::<usize>()
                })
                .sum::<usize>()
    }

    /// Size of the proof's field elements in bytes (`24` per extension-field element).
    pub fn size_bytes(&self) -> usize {
        self.num_elements() * EF_BYTES
    }
}

/// An evaluation claim `MLE(point) = value` on a committed vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalClaim {
    pub point: Vec<EF>,
    pub value: EF,
}

/// Claims on one lookup's columns: every column, zero-padded to `2^num_vars` entries
/// ([`crate::InstanceShape::num_vars`]), has its MLE at `point` equal to `column_evals[c]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnClaims {
    pub point: Vec<EF>,
    pub column_evals: Vec<EF>,
}

/// What the lookup argument leaves open. The caller settles every claim with openings of its
/// commitments to the columns and to the multiplicities; until then nothing is proved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupClaims {
    /// Per lookup, in the order given.
    pub columns: Vec<ColumnClaims>,
    /// Per distinct table ([`crate::LookupLayout::tables`] order): the multiplicity vector
    /// (`2^log_size` entries) has its MLE at `point` equal to `value`.
    pub multiplicities: Vec<EvalClaim>,
}
