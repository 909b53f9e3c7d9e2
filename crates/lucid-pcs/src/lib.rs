//! Lucid's commitment scheme: a batch of base-field tables of any sizes under one WHIR Merkle
//! root, and any number of evaluation claims on them proved by a single WHIR opening.
//!
//! | module | what it does |
//! |---|---|
//! | [`params`] | parameters, the derived WHIR configuration, achieved security |
//! | [`scheme`] | [`CommitmentScheme`]: `commit`, `open`, `verify` |
//! | [`hiding`] | the hiding (zero-knowledge) mode: `commit_hiding`, HVZK-WHIR openings |
//! | [`proof`] | [`Commitment`], [`EvalClaim`], [`OpeningProof`], [`ProverData`] |
//! | [`size`] | [`OpeningProof::size_breakdown`]: bytes per WHIR component |
//! | [`stack`] | one-table stacking of a plain commitment (`commit_stacked`) and its claim batching |
//! | [`stored`] | prover data kept across processes: `codeword_bytes`, `restore` |
//! | [`error`] | [`PcsError`] |
//!
//! Conventions: a table of `len` entries is a multilinear polynomial in
//! `ceil(log2(len))` variables (zero-padded), and `point[0]` is the most significant bit of
//! the entry index. Challenges live in the cubic extension [`lucid_core::EF`]; Merkle trees
//! hash with a Keccak-f[1600] sponge into 4-element Goldilocks digests ([`merkle_hash`]).
//!
//! ```
//! use lucid_core::field::{EF, F};
//! use lucid_core::transcript::StatementTranscript;
//! use lucid_pcs::{CommitmentScheme, EvalClaim, PcsParams};
//! use p3_field::PrimeCharacteristicRing;
//!
//! let scheme = CommitmentScheme::new(PcsParams::default());
//! let tables = vec![vec![F::ONE, F::TWO, F::from_u64(3)], vec![F::from_u64(7); 40]];
//! let (commitment, data) = scheme.commit(tables).unwrap();
//!
//! // Table 0 has 3 entries, hence 2 variables; point[0] is the index's most significant bit.
//! let claims = [EvalClaim { table: 0, point: vec![EF::ONE, EF::ZERO], value: EF::from_u64(3) }];
//!
//! let mut statement = StatementTranscript::new(b"example");
//! commitment.observe_statement(&mut statement);
//! let proof = scheme.open(data, &claims, &mut statement.clone().finish()).unwrap();
//! scheme.verify(&commitment, &claims, &proof, &mut statement.finish()).unwrap();
//! println!("{:.1} bits", scheme.security(&[3, 40], claims.len()).unwrap().bits);
//! ```

pub mod error;
pub mod hiding;
pub mod merkle_hash;
pub mod params;
pub mod proof;
pub mod scheme;
pub mod size;
pub mod stack;
pub mod stored;

pub use error::PcsError;
pub use p3_whir::parameters::SecurityAssumption;
pub use params::{MAX_VARIABLES, PcsParams, SecurityReport};
pub use proof::{Commitment, EvalClaim, OpeningProof, ProverData};
pub use scheme::CommitmentScheme;

#[cfg(test)]
mod tests;
