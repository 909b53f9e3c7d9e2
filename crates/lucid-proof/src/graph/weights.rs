//! The weights commitment's prover data, kept from compile time so that a proof opens the
//! weights without re-encoding and re-hashing them (for a 2^22-element weights polynomial that
//! was 0.6 s of every proof).
//!
//! # File format (`model.weights`, beside `model.lucid`)
//!
//! | bytes | content |
//! |---|---|
//! | 0–7 | magic `LUCIDWC\0` |
//! | 8–9 | format version, little-endian `u16` ([`crate::key::FORMAT_VERSION`]) |
//! | 10–41 | the verifying key's digest, 4 little-endian `u64` |
//! | 42–49 | checksum of the remaining bytes, little-endian `u64` ([`checksum`]) |
//! | 50– | the codeword's Merkle tree (`lucid_pcs::ProverData::codeword_bytes`) |
//!
//! Loading refuses, with an error (never a panic): another magic or version, another model
//! (digest), a checksum mismatch, and a tree whose shape or root does not match the key's
//! weights commitment (`lucid_pcs::CommitmentScheme::restore`). The checksum detects accidental
//! damage, not a forgery; a forged or damaged codeword that passes every check can only make
//! the weights opening fail, and the prover verifies that opening before returning a proof
//! made from stored data, so a bad file never yields a proof the verifier rejects.

use lucid_pcs::ProverData;

use crate::error::ProofError;
use crate::graph::plan::Plan;
use crate::graph::prover::weight_tables;
use crate::key::{FORMAT_VERSION, ProverKey, VerifyingKey, WEIGHTS_MAGIC};

/// Bytes before the codeword: magic, version, digest, checksum.
const HEADER_LEN: usize = 8 + 2 + 32 + 8;

fn format_error(reason: impl Into<String>) -> ProofError {
    ProofError::Format {
        what: "stored weights codeword",
        reason: reason.into(),
    }
}

/// The prover data of a key's weights commitment.
#[derive(Clone, Debug)]
pub struct WeightsData {
    data: ProverData,
}

impl WeightsData {
    /// Commits the key's weights (what `compile` does), checking the result against the key's
    /// weights commitment. `None` when the model has no weights.
    pub fn commit(pk: &ProverKey) -> Result<Option<Self>, ProofError> {
        let plan = pk.vk.plan()?;
        let tables = weight_tables(&pk.graph, &plan);
        if tables.is_empty() {
            return Ok(None);
        }
        let (c, data) =
            pk.vk
                .weights_scheme()
                .commit(tables)
                .map_err(|source| ProofError::Pcs {
                    what: "weights",
                    source,
                })?;
        if Some(&c) != pk.vk.weights.as_ref() {
            return Err(ProofError::Witness {
                node: "weights".into(),
                reason: "the artifact's weights do not match its verifying key's commitment (corrupted artifact)".into(),
            });
        }
        Ok(Some(Self { data }))
    }

    /// Wraps freshly committed prover data (compile time).
    pub(crate) fn from_data(data: ProverData) -> Self {
        Self { data }
    }

    /// The prover data, for one opening.
    pub(crate) fn into_data(self) -> ProverData {
        self.data
    }

    /// The file bytes (see the module documentation) for the model `vk` identifies.
    pub fn to_bytes(&self, vk: &VerifyingKey) -> Result<Vec<u8>, ProofError> {
        let body = self
            .data
            .codeword_bytes()
            .map_err(|source| ProofError::Pcs {
                what: "weights",
                source,
            })?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(WEIGHTS_MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        for w in vk.digest()? {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&checksum(&body).to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Reads file bytes written by [`WeightsData::to_bytes`] for `pk`'s model.
    pub fn from_bytes(pk: &ProverKey, bytes: &[u8]) -> Result<Self, ProofError> {
        if bytes.len() < HEADER_LEN {
            return Err(format_error(format!(
                "file too short ({} bytes)",
                bytes.len()
            )));
        }
        if &bytes[..8] != WEIGHTS_MAGIC {
            return Err(format_error("not a Lucid stored weights codeword"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != FORMAT_VERSION {
            return Err(format_error(format!(
                "format version {version}, this build reads version {FORMAT_VERSION}"
            )));
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let digest = [word(10), word(18), word(26), word(34)];
        if digest != pk.vk.digest()? {
            return Err(format_error(
                "it belongs to another model (verifying-key digest differs)",
            ));
        }
        let body = &bytes[HEADER_LEN..];
        if checksum(body) != word(42) {
            return Err(format_error("corrupted (checksum mismatch)"));
        }
        let commitment = pk
            .vk
            .weights
            .as_ref()
            .ok_or_else(|| format_error("the model has no weights commitment"))?;
        let plan: Plan = pk.vk.plan()?;
        let tables = weight_tables(&pk.graph, &plan);
        let data = pk
            .vk
            .weights_scheme()
            .restore(commitment, tables, body)
            .map_err(|e| format_error(format!("does not match the key: {e}")))?;
        Ok(Self { data })
    }
}

/// A 64-bit checksum of `bytes` (multiply–rotate over little-endian words, then the length):
/// fast enough for tens of megabytes, and any change of a single word changes it.
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail))
        .wrapping_mul(K)
        .rotate_left(29);
    (h ^ bytes.len() as u64).wrapping_mul(K)
}
