//! Keeping the prover data of a plain commitment across processes: a commitment made once (a
//! model's weights, at compile time) is opened by every later proof, and re-encoding and
//! re-hashing its codeword each time would dominate the prover.
//!
//! [`ProverData::codeword_bytes`] encodes the codeword's Merkle tree (the codeword rows and every
//! digest layer) with `postcard`; [`CommitmentScheme::restore`] rebuilds the prover data from
//! those bytes and the committed tables. Restoring never panics on bad bytes: before the tree
//! is decoded, a scan of its encoding checks its shape (one matrix of the expected width and
//! height, one digest per row and per inner node, binary arities) and its root (equal to the
//! commitment's), so that every index the opening later takes is in range. Values that are wrong inside a well-shaped tree with the right root are not
//! detected here (checking them costs the re-hashing this module avoids): an opening from such
//! data is rejected by the verifier, and callers that must not emit such a proof verify it
//! themselves (`lucid-proof` does, for the weights).

use std::sync::Arc;

use lucid_core::field::F;
use p3_field::PrimeCharacteristicRing;
use p3_sumcheck::layout::Layout as _;

use crate::error::PcsError;
use crate::params::Layout;
use crate::proof::{Commitment, MerkleData, ProverData, ProverMode, check_commitment};
use crate::scheme::CommitmentScheme;

fn bad(reason: impl Into<String>) -> PcsError {
    PcsError::BadProverData {
        reason: reason.into(),
    }
}

impl ProverData {
    /// The codeword's Merkle tree, encoded for [`CommitmentScheme::restore`]. Only plain
    /// (non-hiding) data can be stored: hiding data must never be opened twice.
    pub fn codeword_bytes(&self) -> Result<Vec<u8>, PcsError> {
        match &self.mode {
            ProverMode::Plain { merkle, .. } => {
                postcard::to_allocvec(merkle).map_err(|e| bad(format!("cannot encode: {e}")))
            }
            ProverMode::Hiding { .. } => Err(PcsError::ModeMismatch {
                expected: "plain",
                got: "hiding",
            }),
        }
    }
}

impl CommitmentScheme {
    /// Rebuilds the prover data of `commitment` from the committed `tables` and the bytes
    /// [`ProverData::codeword_bytes`] wrote, without re-encoding or re-hashing.
    ///
    /// Fails (never panics) when the tables' lengths differ from the commitment's, or when the
    /// bytes do not decode to a tree of this scheme's shape whose root is the commitment's.
    pub fn restore(
        &self,
        commitment: &Commitment,
        tables: Vec<Vec<F>>,
        codeword: &[u8],
    ) -> Result<ProverData, PcsError> {
        check_commitment(commitment)?;
        if commitment.hiding {
            return Err(PcsError::ModeMismatch {
                expected: "plain",
                got: "hiding",
            });
        }
        let lens: Vec<u64> = tables.iter().map(|t| t.len() as u64).collect();
        if lens != commitment.table_lens {
            return Err(bad(format!(
                "table lengths {lens:?} differ from the commitment's {:?}",
                commitment.table_lens
            )));
        }
        let (whir, witness) = self.stacked(tables)?;
        let folding = self.params().folding_factor;
        let log_height = witness.num_variables() + self.params().starting_log_inv_rate - folding;
        check_image(codeword, 1 << folding, log_height, commitment)?;
        let merkle: MerkleData =
            postcard::from_bytes(codeword).map_err(|e| bad(format!("cannot decode: {e}")))?;
        Ok(ProverData {
            mode: ProverMode::Plain {
                whir: Arc::new(whir),
                layout: Layout::from_witness(witness),
                merkle,
            },
            commitment: commitment.clone(),
        })
    }
}

/// A cursor over the `postcard` encoding of the tree, reading lengths without decoding values.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    /// A `postcard` varint (LEB128, at most 10 bytes).
    fn varint(&mut self) -> Result<u64, PcsError> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = *self
                .bytes
                .get(self.at)
                .ok_or_else(|| bad("cannot decode: truncated"))?;
            self.at += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad("cannot decode: bad length"))
    }

    /// Skips `count` items of `size` bytes; returns where they start.
    fn skip(&mut self, count: u64, size: usize) -> Result<usize, PcsError> {
        let len = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(size))
            .filter(|&len| len <= self.bytes.len() - self.at)
            .ok_or_else(|| bad("cannot decode: truncated"))?;
        let start = self.at;
        self.at += len;
        Ok(start)
    }
}

/// Checks, without decoding the values, that `bytes` encode a binary Merkle tree over one
/// `width × 2^log_height` matrix whose root is the commitment's. The encoding is
/// `p3_merkle_tree::MerkleTree`'s, field by field: the leaf matrices (`Vec` of `values`,
/// `width`), the digest layers (`Vec` of `Vec<[F; 4]>`, rows first, root last) and the
/// arities (`Vec<usize>`); a field element is 8 little-endian bytes.
fn check_image(
    bytes: &[u8],
    width: usize,
    log_height: usize,
    commitment: &Commitment,
) -> Result<(), PcsError> {
    const ELEM: usize = 8;
    let mut scan = Scan { bytes, at: 0 };
    let height = 1usize << log_height;
    if scan.varint()? != 1 {
        return Err(bad("expected one codeword matrix"));
    }
    let values = scan.varint()?;
    scan.skip(values, ELEM)?;
    let w = scan.varint()?;
    if w != width as u64 || values != (width * height) as u64 {
        return Err(bad(format!(
            "codeword of {values} values in rows of {w}, expected {height} rows of {width}"
        )));
    }
    // One digest per row, then one per node of a binary tree up to the root.
    if scan.varint()? != log_height as u64 + 1 {
        return Err(bad("wrong number of digest layers"));
    }
    let mut root_at = 0;
    for h in (0..=log_height).rev() {
        let len = scan.varint()?;
        if len != 1u64 << h {
            return Err(bad(format!(
                "a digest layer of {len} digests, expected {}",
                1u64 << h
            )));
        }
        root_at = scan.skip(len, 4 * ELEM)?;
    }
    if scan.varint()? != log_height as u64 {
        return Err(bad("wrong number of tree arities"));
    }
    for _ in 0..log_height {
        if scan.varint()? != 2 {
            return Err(bad("the tree is not binary"));
        }
    }
    if scan.at != bytes.len() {
        return Err(bad(format!("{} trailing bytes", bytes.len() - scan.at)));
    }
    let root: Vec<F> = bytes[root_at..root_at + 4 * ELEM]
        .chunks_exact(ELEM)
        .map(|c| {
            let mut w = [0u8; ELEM];
            w.copy_from_slice(c);
            F::from_u64(u64::from_le_bytes(w))
        })
        .collect();
    if root != commitment.root_elements() {
        return Err(bad("its Merkle root differs from the commitment"));
    }
    Ok(())
}
