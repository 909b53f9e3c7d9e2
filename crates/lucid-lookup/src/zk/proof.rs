//! Proof, challenge and claim types of the zero-knowledge lookup argument.

use lucid_core::field::EF;
use lucid_core::sumcheck::proof::EF_BYTES;
use lucid_core::sumcheck::zk::ZkSumcheckProof;
use serde::{Deserialize, Serialize};

/// The challenges drawn after the phase-1 commitment: `α` (the LogUp point) and `β` (combines a
/// row's columns and its table tag into `φ = a + β·b + β²·t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkChallenges {
    pub alpha: EF,
    pub beta: EF,
}

/// A committed table the argument leaves a claim on. Every table but the masks is a base-field
/// vector of `2^{n+1}` entries `[T ; R]` (`n` from [`super::ZkLayout`], `R` uniform).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ZkTableId {
    /// Phase 1: column `column` of lookup `instance`, zero-padded to `2^n` then blinded.
    Column { instance: usize, column: usize },
    /// Phase 1: the multiplicities of distinct table `table`, zero-padded then blinded.
    Multiplicity { table: usize },
    /// Phase 2: limb `limb` (basis coefficient, `0..3`) of inverse slot `slot`'s `h`
    /// ([`super::layout::InverseSlot`]: `sel/(α − φ)` for one lookup, `1/((α − φ_a)(α − φ_b))`
    /// for a pair).
    Inverse { slot: usize, limb: usize },
    /// Phase 2: limb `limb` of the carry of group `group` (every group but the last).
    Carry { group: usize, limb: usize },
    /// Phase 2: the ZK-sumcheck mask of group `group` (a [`super::ZkMask`] of `n + 1`
    /// variables), evaluated as `g(point) = Σ_i g_i(point_i)`.
    Mask { group: usize },
}

/// `table(point) = value`: an evaluation claim on a committed table, for the caller to settle
/// with its hiding commitment opening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkClaim {
    pub table: ZkTableId,
    pub point: Vec<EF>,
    pub value: EF,
}

/// One group's zero-knowledge sumcheck and the claimed evaluations at its final point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkGroupProof {
    pub sumcheck: ZkSumcheckProof,
    /// The blinded private tables at the final point, in order: per lookup of the group its
    /// columns (1 or 2); per inverse slot its `h` limbs (3); per table its multiplicities (1); the incoming carry's limbs (3, if any); the outgoing carry's limbs (3, if any).
    pub evals: Vec<EF>,
    /// The mask at the final point.
    pub mask_eval: EF,
}

/// A zero-knowledge lookup proof: one [`ZkGroupProof`] per group, by increasing size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkLookupProof {
    pub groups: Vec<ZkGroupProof>,
}

impl ZkLookupProof {
    /// Number of extension-field elements in the proof.
    pub fn num_elements(&self) -> usize {
        self.groups
            .iter()
            .map(|g| g.sumcheck.num_elements() + g.evals.len() + 1)
            .sum()
    }

    /// Size of the proof's field elements in bytes (`24` per extension-field element).
    pub fn size_bytes(&self) -> usize {
        self.num_elements() * EF_BYTES
    }
}
