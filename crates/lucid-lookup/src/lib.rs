//! LogUp-GKR lookups: proves that every entry of committed columns (or every `(input, output)`
//! pair, combined as `a + β·b`) is a row of a public table, for many lookups into many tables in
//! one argument.
//!
//! # The argument
//!
//! For a table `T` with rows `t_j` looked up `m_j` times (the *multiplicities*) by the witness
//! entries `w_i` of all lookups into `T`, the LogUp identity
//! `Σ_i 1/(γ − w_i) = Σ_j m_j/(γ − t_j)` holds for a random `γ` iff every `w_i` is a row of `T`
//! (with overwhelming probability, as long as fewer than `p` entries are looked up). Both sides
//! are sums of fractions, computed by binary *fraction trees*: one tree per lookup (leaves
//! `1/(γ − w_i)`, padding leaves `0/(γ − 0)`) and one per distinct table (leaves
//! `m_j/(γ − t_j)`). The verifier checks the identity on the roots, per table, then the GKR
//! of Papini–Haböck (ePrint 2023/1284) reduces each root to one evaluation of the leaves at a
//! random point, layer by layer, each layer a degree-3 sumcheck of
//! `eq(r, x)·(p0·q1 + p1·q0 + λ·q0·q1)`. Trees of equal size share their sumchecks (random
//! linear combination) and their final point. The leaves are finally checked against
//! - claimed evaluations of the looked-up columns and of the multiplicity vectors, returned as
//!   [`LookupClaims`] for the caller to open from its commitments, and
//! - the verifier's own evaluation of the public table ([`TableSpec::column_evals`]) and of the
//!   padding indicator.
//!
//! The multiplicities are prover-chosen vectors: the caller must commit them together with the
//! looked-up columns **before** [`prove_lookups`] samples its challenges, and open them at the
//! claimed points. Nothing here opens a commitment. Column claims are about each column
//! zero-padded to `2^num_vars` entries ([`InstanceShape::num_vars`]): commit it that way (the
//! padding's content does not affect soundness, its numerators are zero, but the claimed values
//! are those of the zero padding).
//!
//! # What it reveals
//!
//! The proof carries plain evaluations of the columns and multiplicities at random points and
//! plain sumcheck messages: it is not zero-knowledge on its own (masking is a later layer).
//!
//! | module | what it does |
//! |---|---|
//! | [`table`] | public tables (range, function) and the verifier's evaluation of their MLEs |
//! | [`layout`] | lookup shapes, distinct tables, trees and their grouping by size |
//! | [`witness`] | multiplicities and fraction trees (prover side) |
//! | [`prover`], [`verifier`] | the batched LogUp-GKR argument |
//! | [`proof`], [`error`] | proof and claim types, typed errors |
//! | [`zk`] | zero-knowledge LogUp with committed helper columns and ZK sumchecks |

pub mod error;
pub mod layout;
pub mod proof;
pub mod prover;
pub mod table;
pub mod verifier;
pub mod witness;
pub mod zk;

pub use error::LookupError;
pub use layout::{InstanceShape, LookupInstance, LookupLayout};
pub use proof::{ColumnClaims, EvalClaim, GroupProof, LayerProof, LookupClaims, LookupProof};
pub use prover::prove_lookups;
pub use table::{TableKind, TableSpec};
pub use verifier::verify_lookups;
pub use witness::multiplicities;
