//! Proofs of inference for quantized graphs (`lucid_model::quant::QGraph`): the padded tensor
//! layout, one protocol module per operator family (prover and verifier side by side), the graph
//! prover and verifier, and the versioned verifying-key and proof formats. See `docs/PROOF.md`.
//!
//! | module | what it does |
//! |---|---|
//! | [`layout`] | tensors as multilinear polynomials (padded layout, selectors) |
//! | [`layers`] | one protocol per operator family, prover and verifier side by side |
//! | [`graph`] | the plan, the graph prover and verifier, the proof |
//! | [`compile`] | quantized graph → prover artifact + verifying key |
//! | [`key`] | verifying key, prover artifact, file formats |

pub mod compile;
pub mod error;
pub mod graph;
pub mod key;
pub mod layers;
pub mod layout;
pub mod zk;

pub use compile::{compile, compile_replicated_with_weights, compile_with_weights};
pub use error::ProofError;
pub use graph::plan::Visibility;
pub use graph::proof::Proof;
pub use graph::prover::{prove, prove_with_weights};
pub use graph::verifier::verify;
pub use graph::weights::WeightsData;
pub use key::{ProofParams, ProverKey, VerifyingKey, WeightsParams};
