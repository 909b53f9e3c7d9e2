//! The graph prover and verifier: one proof for a whole quantized graph, composed from the layer
//! protocols, the requantization identities, one LogUp-GKR argument and two commitment
//! openings (witness, weights). See `docs/PROOF.md`.

pub mod clamp;
pub mod lookups;
pub mod packing;
pub mod plan;
pub mod proof;
pub mod prover;
pub mod range;
pub mod statement;
pub mod verifier;
pub mod weights;
pub mod zero_check;
