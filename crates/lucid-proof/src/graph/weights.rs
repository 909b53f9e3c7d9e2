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
//! | 50– | the codeword and the lower layers of its Merkle tree, in fixed-width little-endian words (`lucid_pcs::ProverData::codeword_bytes`, layout in `lucid_pcs::stored`) |
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
        let commitment = pk
            .vk
            .weights
            .as_ref()
            .ok_or_else(|| format_error("the model has no weights commitment"))?;
        let plan: Plan = pk.vk.plan()?;
        // The checksum runs on a second thread while the tree is decoded (both read the whole
        // body); a checksum mismatch is reported before any decoding error.
        let (sum, restored) = std::thread::scope(|s| {
            let sum = s.spawn(|| checksum(body));
            let tables = weight_tables(&pk.graph, &plan);
            let restored = pk.vk.weights_scheme().restore(commitment, tables, body);
            (sum.join(), restored)
        });
        if sum.map_err(|_| format_error("the checksum thread failed"))? != word(42) {
            return Err(format_error("corrupted (checksum mismatch)"));
        }
        let data = restored.map_err(|e| format_error(format!("does not match the key: {e}")))?;
        Ok(Self { data })
    }
}

/// A 64-bit checksum of `bytes`: four independent multiply–rotate lanes over consecutive
/// little-endian words (so that the multiplications overlap), then the lanes and the length
/// folded together. Any change of a single word changes it.
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(29);
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(w)
    };
    let mut lanes: [u64; 4] = [
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    ];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (h, c) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *h = step(*h, word(c));
        }
    }
    // The last partial block, zero-padded (the length below tells the padding apart).
    for (h, c) in lanes.iter_mut().zip(blocks.remainder().chunks(8)) {
        *h = step(*h, word(c));
    }
    let h = lanes.into_iter().fold(0xB7E1_5162_8AED_2A6B, step);
    (h ^ bytes.len() as u64).wrapping_mul(K)
}
