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
//! Loading ([`WeightsData::read`]) decodes the file while reading it: a reading thread
//! computes the checksum, a second one stacks the weight tables, and the calling one puts the
//! words straight into the Merkle tree (`lucid_pcs::CommitmentScheme::restore_from`); no
//! buffer of the whole file is made (for the 1024-1024-1024-10 MLP, whose tree is 75 MB, the
//! page faults of such a buffer alone cost as much as the decoding).
//!
//! Loading refuses, with an error (never a panic): another magic or version, another model
//! (digest), a checksum mismatch, and a tree whose shape or root does not match the key's
//! weights commitment (`lucid_pcs::CommitmentScheme::restore`). The checksum detects accidental
//! damage, not a forgery; a forged or damaged codeword that passes every check can only make
//! the weights opening fail, and the prover verifies that opening before returning a proof
//! made from stored data, so a bad file never yields a proof the verifier rejects.

use std::io::{self, Read};

use lucid_core::transcript::Transcript;
use lucid_pcs::{EvalClaim, OpeningProof, ProverData};

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

    /// The plain opening of `claims` (every weight claim of a proof; `None` when there is
    /// none) on `pk`'s weights commitment, from `weights` (the stored prover data) when given,
    /// else from the weights committed afresh. An opening made from given data is verified
    /// against the key's commitment when `check_stored`, so that damaged data gives an error,
    /// never a proof the verifier rejects (tests of a cheating prover turn the check off).
    pub(crate) fn open(
        weights: Option<Self>,
        pk: &ProverKey,
        claims: &[EvalClaim],
        check_stored: bool,
        transcript: &mut Transcript,
    ) -> Result<Option<OpeningProof>, ProofError> {
        if claims.is_empty() {
            return Ok(None);
        }
        let commitment = pk.vk.weights.as_ref().ok_or_else(|| ProofError::Witness {
            node: "weights".into(),
            reason: "claims on weights, but the key has no weights commitment".into(),
        })?;
        let (data, stored) = match weights {
            Some(w) => (w, true),
            None => {
                let _s = tracing::info_span!("commit weights").entered();
                let w = Self::commit(pk)?.ok_or_else(|| ProofError::Witness {
                    node: "weights".into(),
                    reason: "claims on weights, but the model has none".into(),
                })?;
                (w, false)
            }
        };
        let _s = tracing::info_span!("open weights", claims = claims.len()).entered();
        let scheme = pk.vk.weights_scheme();
        let mut check = (stored && check_stored).then(|| transcript.clone());
        let opening = scheme
            .open(data.data, claims, transcript)
            .map_err(|source| ProofError::Pcs {
                what: "weights",
                source,
            })?;
        if let Some(check) = check.as_mut() {
            scheme
                .verify(commitment, claims, &opening, check)
                .map_err(|e| ProofError::Format {
                    what: "stored weights codeword",
                    reason: format!(
                        "the weights opening made from it does not verify ({e}): the data is damaged or belongs to other weights; recompile the model"
                    ),
                })?;
        }
        Ok(Some(opening))
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

    /// Reads file bytes written by [`WeightsData::to_bytes`] for `pk`'s model
    /// ([`WeightsData::read`] over the bytes).
    pub fn from_bytes(pk: &ProverKey, bytes: &[u8]) -> Result<Self, ProofError> {
        Self::read(pk, bytes)
    }

    /// Reads a stored weights codeword for `pk`'s model from `source` (a `model.weights`
    /// file), decoding it as it is read: no buffer of the whole file is made, the checksum is
    /// computed by the reading thread and the weight tables are stacked on a third one
    /// (`lucid_pcs::CommitmentScheme::restore_from`).
    ///
    /// A checksum mismatch is reported before any decoding error: the rest of the file is read
    /// even when decoding stops early.
    pub fn read<R: Read + Send>(pk: &ProverKey, mut source: R) -> Result<Self, ProofError> {
        let mut header = [0u8; HEADER_LEN];
        let got = lucid_pcs::stored::fill(&mut source, &mut header)
            .map_err(|e| format_error(format!("cannot read: {e}")))?;
        if got < HEADER_LEN {
            return Err(format_error(format!("file too short ({got} bytes)")));
        }
        if &header[..8] != WEIGHTS_MAGIC {
            return Err(format_error("not a Lucid stored weights codeword"));
        }
        let version = u16::from_le_bytes([header[8], header[9]]);
        if version != FORMAT_VERSION {
            return Err(format_error(format!(
                "format version {version}, this build reads version {FORMAT_VERSION}: compile the model again with this build (`lucid compile`)"
            )));
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&header[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let digest = [word(10), word(18), word(26), word(34)];
        if digest != pk.vk.digest()? {
            return Err(format_error(
                "it belongs to another model (verifying-key digest differs)",
            ));
        }
        let commitment = pk
            .vk
            .weights
            .as_ref()
            .ok_or_else(|| format_error("the model has no weights commitment"))?;
        let plan: Plan = pk.vk.plan()?;
        let mut body = Summing {
            inner: source,
            sum: Checksum::new(),
        };
        let restored = pk.vk.weights_scheme().restore_from(
            commitment,
            || weight_tables(&pk.graph, &plan),
            &mut body,
        );
        // Whatever decoding left unread is checksummed as well.
        io::copy(&mut body, &mut io::sink())
            .map_err(|e| format_error(format!("cannot read: {e}")))?;
        if body.sum.finish() != word(42) {
            return Err(format_error("corrupted (checksum mismatch)"));
        }
        let data = restored.map_err(|e| format_error(format!("does not match the key: {e}")))?;
        Ok(Self { data })
    }
}

/// A reader that checksums what passes through it.
struct Summing<R> {
    inner: R,
    sum: Checksum,
}

impl<R: Read> Read for Summing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sum.update(&buf[..n]);
        Ok(n)
    }
}

/// A 64-bit checksum of `bytes`: four independent multiply–rotate lanes over consecutive
/// little-endian words (so that the multiplications overlap), then the lanes and the length
/// folded together. Any change of a single word changes it. ([`Checksum`] computes it over
/// bytes given in pieces.)
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut sum = Checksum::new();
    sum.update(bytes);
    sum.finish()
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline(always)]
fn step(h: u64, w: u64) -> u64 {
    (h ^ w).wrapping_mul(K).rotate_left(29)
}

/// A little-endian word of up to 8 bytes, zero-padded.
#[inline(always)]
fn le_word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..c.len()].copy_from_slice(c);
    u64::from_le_bytes(w)
}

/// [`checksum`] computed incrementally: `update` with consecutive pieces of the bytes, then
/// `finish`.
#[derive(Clone, Debug)]
pub struct Checksum {
    lanes: [u64; 4],
    /// Bytes of an incomplete 32-byte block.
    pending: [u8; 32],
    pending_len: usize,
    len: u64,
}

impl Default for Checksum {
    fn default() -> Self {
        Self::new()
    }
}

impl Checksum {
    /// The state before any byte.
    pub fn new() -> Self {
        Self {
            lanes: [
                0x243F_6A88_85A3_08D3,
                0x1319_8A2E_0370_7344,
                0xA409_3822_299F_31D0,
                0x082E_FA98_EC4E_6C89,
            ],
            pending: [0; 32],
            pending_len: 0,
            len: 0,
        }
    }

    fn block(&mut self, block: &[u8]) {
        for (h, c) in self.lanes.iter_mut().zip(block.chunks_exact(8)) {
            *h = step(*h, le_word(c));
        }
    }

    /// Adds the next bytes.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.pending_len > 0 {
            let take = (32 - self.pending_len).min(bytes.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            if self.pending_len < 32 {
                return;
            }
            let block = self.pending;
            self.block(&block);
            self.pending_len = 0;
        }
        let mut blocks = bytes.chunks_exact(32);
        for block in &mut blocks {
            self.block(block);
        }
        let rest = blocks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// The checksum of all the bytes added.
    pub fn finish(mut self) -> u64 {
        // The last partial block, zero-padded (the length below tells the padding apart).
        for (h, c) in self
            .lanes
            .iter_mut()
            .zip(self.pending[..self.pending_len].chunks(8))
        {
            *h = step(*h, le_word(c));
        }
        let h = self.lanes.into_iter().fold(0xB7E1_5162_8AED_2A6B, step);
        (h ^ self.len).wrapping_mul(K)
    }
}

#[cfg(test)]
mod tests {
    use super::{Checksum, checksum};

    #[test]
    fn the_incremental_checksum_is_the_checksum_for_any_split() {
        let bytes: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in [0, 1, 7, 8, 31, 32, 33, 100, 1000] {
            let whole = checksum(&bytes[..len]);
            for piece in [1, 3, 8, 31, 32, 64, 1000] {
                let mut sum = Checksum::new();
                for part in bytes[..len].chunks(piece) {
                    sum.update(part);
                }
                assert_eq!(sum.finish(), whole, "length {len} in pieces of {piece}");
            }
        }
        // The length is part of it: trailing zero bytes change it.
        assert_ne!(checksum(&[1, 2, 3]), checksum(&[1, 2, 3, 0]));
    }
}
