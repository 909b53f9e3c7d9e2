//! Lucid's proving core: Fiat–Shamir transcript, multilinear utilities, sumcheck protocols,
//! batched WHIR commitments and LogUp-GKR lookups. Prover and verifier of each protocol sit
//! side by side; the verifier side builds without rayon or the file system.
//!
//! | module | what it does |
//! |---|---|
//! | [`field`] | base field (Goldilocks) and challenge field (cubic extension) |
//! | [`transcript`] | Fiat–Shamir: statement first, then labelled messages and challenges |
//! | [`mle`] | multilinear tables: `eq` tables, binding variables, evaluating an MLE at a point |
//! | [`sumcheck`] | sum-of-products sumcheck (degree ≤ 5) and the ML-shaped protocols on it |

pub mod field;
pub mod mle;
pub mod sumcheck;
pub mod transcript;

pub use field::{EF, F};
pub use transcript::{StatementTranscript, Transcript};
