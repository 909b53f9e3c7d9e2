//! Keeping the prover data of a plain commitment across processes: a commitment made once (a
//! model's weights, at compile time) is opened by every later proof, and re-encoding and
//! re-hashing its codeword each time would dominate the prover.
//!
//! [`ProverData::codeword_bytes`] writes the codeword and its Merkle tree in fixed-width
//! words; [`CommitmentScheme::restore`] rebuilds the prover data from those bytes and the
//! committed tables at memory speed, without re-encoding or re-hashing the codeword.
//!
//! # Layout
//!
//! Every word is a little-endian `u64`; a field element is its canonical value (`< p`).
//!
//! | words | content |
//! |---|---|
//! | 1 | row width `w` of the codeword matrix (`2^first_folding`, [`crate::PcsParams::first_folding`]) |
//! | 1 | `h`: `log2` of the codeword's row count |
//! | 1 | `s`: how many digest layers are stored, `max(1, h − RECOMPUTED_LOG)` |
//! | `w · 2^h` | the codeword, row by row |
//! | `4 · 2^(h−i)` for `i < s` | digest layer `i` (`i = 0`: one digest per row), 4 elements per digest |
//!
//! The layers above the stored ones (at most `2^RECOMPUTED_LOG` digests each, the root last)
//! are rebuilt by compressing pairs (fewer than `2^(RECOMPUTED_LOG+1)` compressions, 0.3 ms),
//! and the rebuilt root must equal the commitment's: this checks the top stored layer
//! entirely.
//!
//! Restoring never panics on bad bytes: it refuses a header that does not match the scheme's
//! shape for the commitment, a length that does not match the header, a non-canonical element
//! and a root that differs from the commitment's. Values that are wrong inside the codeword
//! or the lower digest layers are not detected here (checking them costs the re-hashing this
//! module avoids): an opening from such data is rejected by the verifier, and callers that
//! must not emit such a proof verify it themselves (`lucid-proof` does, for the weights).

mod tree;

use std::sync::Arc;

use lucid_core::field::F;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_sumcheck::layout::Layout as _;
use p3_symmetric::PseudoCompressionFunction;
use serde::Deserialize;

use crate::error::PcsError;
use crate::params::{Layout, new_compress};
use crate::proof::{Commitment, MerkleData, ProverData, ProverMode, check_commitment};
use crate::scheme::CommitmentScheme;
use tree::{DIGEST, ELEM, Node};

/// The digest layers of at most `2^RECOMPUTED_LOG` digests are not stored but recomputed.
pub const RECOMPUTED_LOG: usize = 8;

/// Header words before the codeword.
const HEADER_WORDS: usize = 3;

fn bad(reason: impl Into<String>) -> PcsError {
    PcsError::BadProverData {
        reason: reason.into(),
    }
}

/// Number of stored digest layers of a tree over `2^log_height` rows.
fn stored_layers(log_height: usize) -> usize {
    log_height.saturating_sub(RECOMPUTED_LOG).max(1)
}

/// Byte length of the stored form of a `width × 2^log_height` codeword.
fn stored_len(width: usize, log_height: usize) -> Option<usize> {
    let height = 1usize.checked_shl(log_height as u32)?;
    let codeword = width.checked_mul(height)?.checked_mul(ELEM)?;
    let digests: usize = (0..stored_layers(log_height)).map(|i| height >> i).sum();
    (HEADER_WORDS * ELEM)
        .checked_add(codeword)?
        .checked_add(digests.checked_mul(DIGEST)?)
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; ELEM];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

impl ProverData {
    /// The codeword and its Merkle tree, in the layout of the module documentation, for
    /// [`CommitmentScheme::restore`]. Only plain (non-hiding) data can be stored: hiding data
    /// must never be opened twice.
    pub fn codeword_bytes(&self) -> Result<Vec<u8>, PcsError> {
        let ProverMode::Plain { merkle, .. } = &self.mode else {
            return Err(PcsError::ModeMismatch {
                expected: "plain",
                got: "hiding",
            });
        };
        // The tree's fields are private to `p3-merkle-tree`; its `postcard` encoding (field
        // elements as 8 canonical little-endian bytes) is read back to find them.
        let image =
            postcard::to_allocvec(merkle).map_err(|e| bad(format!("cannot encode: {e}")))?;
        let parts = postcard_parts(&image)?;
        let stored = stored_layers(parts.log_height);
        let len =
            stored_len(parts.width, parts.log_height).ok_or_else(|| bad("codeword too large"))?;
        let mut out = Vec::with_capacity(len);
        for w in [parts.width, parts.log_height, stored] {
            out.extend_from_slice(&(w as u64).to_le_bytes());
        }
        out.extend_from_slice(parts.codeword);
        for layer in &parts.layers[..stored] {
            out.extend_from_slice(layer);
        }
        debug_assert_eq!(out.len(), len);
        Ok(out)
    }
}

impl CommitmentScheme {
    /// Rebuilds the prover data of `commitment` from the committed `tables` and the bytes
    /// [`ProverData::codeword_bytes`] wrote, without re-encoding the tables or re-hashing the
    /// codeword.
    ///
    /// Fails (never panics) when the tables' lengths differ from the commitment's, or when the
    /// bytes do not hold a tree of this scheme's shape whose root is the commitment's.
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
        let (whir, witness) = self.stacked_lazy(tables)?;
        let folding = self.params().first_folding();
        let log_height = witness.num_variables() + self.params().starting_log_inv_rate - folding;
        let merkle = decode_tree(codeword, 1 << folding, log_height, commitment)?;
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

/// Checks the stored bytes against the expected shape and the commitment's root, and builds
/// the tree from them.
fn decode_tree(
    bytes: &[u8],
    width: usize,
    log_height: usize,
    commitment: &Commitment,
) -> Result<MerkleData, PcsError> {
    let header = bytes
        .get(..HEADER_WORDS * ELEM)
        .ok_or_else(|| bad(format!("truncated ({} bytes)", bytes.len())))?;
    let stored = stored_layers(log_height);
    let got: Vec<u64> = header.chunks_exact(ELEM).map(word).collect();
    let expected = [width as u64, log_height as u64, stored as u64];
    if got != expected {
        return Err(bad(format!(
            "a codeword of rows of {} × 2^{} with {} stored digest layers, expected {} × 2^{} with {}",
            got[0], got[1], got[2], expected[0], expected[1], expected[2]
        )));
    }
    let len = stored_len(width, log_height).ok_or_else(|| bad("codeword too large"))?;
    if bytes.len() != len {
        return Err(bad(format!(
            "{} bytes, expected {len} for this shape",
            bytes.len()
        )));
    }
    let mut at = HEADER_WORDS * ELEM;
    let codeword_len = (width << log_height) * ELEM;
    let codeword = &bytes[at..at + codeword_len];
    at += codeword_len;
    let mut layers: Vec<&[u8]> = Vec::with_capacity(log_height + 1);
    for i in 0..stored {
        let len = (DIGEST << log_height) >> i;
        layers.push(&bytes[at..at + len]);
        at += len;
    }

    // Rebuild the layers above the stored ones, up to the root.
    let top = layers.last().expect("at least one layer is stored");
    let mut layer: Vec<[F; 4]> = top
        .chunks_exact(DIGEST)
        .map(|d| {
            let mut digest = [F::ZERO; 4];
            for (x, w) in digest.iter_mut().zip(d.chunks_exact(ELEM)) {
                let v = word(w);
                if v >= F::ORDER_U64 {
                    return Err(bad("a digest element is out of range"));
                }
                *x = F::from_u64(v);
            }
            Ok(digest)
        })
        .collect::<Result<_, _>>()?;
    let compress = new_compress();
    let mut rebuilt: Vec<Vec<u8>> = Vec::new();
    while layer.len() > 1 {
        layer = layer
            .chunks_exact(2)
            .map(|pair| compress.compress([pair[0], pair[1]]))
            .collect();
        rebuilt.push(
            layer
                .iter()
                .flatten()
                .flat_map(|x| x.as_canonical_u64().to_le_bytes())
                .collect(),
        );
    }
    let root: Vec<F> = layer.iter().flatten().copied().collect();
    if root != commitment.root_elements() {
        return Err(bad("its Merkle root differs from the commitment"));
    }
    layers.extend(rebuilt.iter().map(Vec::as_slice));

    // `MerkleTree`'s fields in order: the leaf matrices (values, width, marker), the digest
    // layers (rows first, root last), the arity of every level, a marker.
    let tree = Node::Seq(vec![
        Node::Seq(vec![Node::Seq(vec![
            Node::Elems(codeword),
            Node::Int(width as u64),
            Node::Unit,
        ])]),
        Node::Seq(layers.into_iter().map(Node::Digests).collect()),
        Node::Seq((0..log_height).map(|_| Node::Int(2)).collect()),
        Node::Unit,
    ]);
    MerkleData::deserialize(tree).map_err(|e| bad(format!("cannot decode: {e}")))
}

/// Where `postcard` put the parts of a tree: the codeword values and each digest layer.
struct PostcardParts<'a> {
    width: usize,
    log_height: usize,
    codeword: &'a [u8],
    layers: Vec<&'a [u8]>,
}

/// A cursor over a `postcard` encoding, reading lengths without decoding values.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    /// A `postcard` varint (LEB128, at most 10 bytes).
    fn varint(&mut self) -> Result<usize, PcsError> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = *self
                .bytes
                .get(self.at)
                .ok_or_else(|| bad("cannot encode: truncated image"))?;
            self.at += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return usize::try_from(value).map_err(|_| bad("cannot encode: bad length"));
            }
        }
        Err(bad("cannot encode: bad length"))
    }

    /// Takes `count` items of `size` bytes.
    fn take(&mut self, count: usize, size: usize) -> Result<&'a [u8], PcsError> {
        let len = count
            .checked_mul(size)
            .filter(|&len| len <= self.bytes.len() - self.at)
            .ok_or_else(|| bad("cannot encode: truncated image"))?;
        let out = &self.bytes[self.at..self.at + len];
        self.at += len;
        Ok(out)
    }
}

/// Finds the parts of `p3_merkle_tree::MerkleTree`'s `postcard` encoding, field by field: the
/// leaf matrices (`Vec` of `values`, `width`), the digest layers (`Vec` of `Vec<[F; 4]>`),
/// the arities (`Vec<usize>`). Only a binary tree over one matrix is expected.
fn postcard_parts(image: &[u8]) -> Result<PostcardParts<'_>, PcsError> {
    let mut scan = Scan {
        bytes: image,
        at: 0,
    };
    if scan.varint()? != 1 {
        return Err(bad("cannot encode: expected one codeword matrix"));
    }
    let values = scan.varint()?;
    let codeword = scan.take(values, ELEM)?;
    let width = scan.varint()?;
    let height = values.checked_div(width).unwrap_or(0);
    if !height.is_power_of_two() || !width.is_power_of_two() || height * width != values {
        return Err(bad(
            "cannot encode: the codeword is not a power-of-two matrix",
        ));
    }
    let log_height = height.trailing_zeros() as usize;
    let num_layers = scan.varint()?;
    if num_layers != log_height + 1 {
        return Err(bad("cannot encode: not a binary tree"));
    }
    let mut layers = Vec::with_capacity(num_layers);
    for i in 0..num_layers {
        let len = scan.varint()?;
        if len != height >> i {
            return Err(bad("cannot encode: not a binary tree"));
        }
        layers.push(scan.take(len, DIGEST)?);
    }
    Ok(PostcardParts {
        width,
        log_height,
        codeword,
        layers,
    })
}
