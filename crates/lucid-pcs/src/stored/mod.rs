//! Keeping the prover data of a plain commitment across processes: a commitment made once (a
//! model's weights, at compile time) is opened by every later proof, and re-encoding and
//! re-hashing its codeword each time would dominate the prover.
//!
//! [`ProverData::codeword_bytes`] writes the codeword and its Merkle tree in fixed-width
//! words; [`CommitmentScheme::restore_from`] rebuilds the prover data from those words, read
//! from a file as they are decoded, and the committed tables, without re-encoding or
//! re-hashing the codeword ([`CommitmentScheme::restore`] from bytes in memory).
//!
//! # Cost
//!
//! Restoring is bound by memory, not by arithmetic: the tree's matrix and digest layers are
//! fresh memory whose first touch costs a page fault per 4 KiB (about 0.35 ms per MB on the
//! 2-core benchmark machine, more than copying the bytes). So the words go from a small
//! reused read buffer straight into the tree ([`stream`]), never through a buffer of the
//! whole file, and reading (with any checksum of the caller's reader) and stacking the tables
//! run on two other threads while the calling one decodes.
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
//! shape for the commitment, bytes that end early or go on after the tree, a non-canonical
//! element and a root that differs from the commitment's. Values that are wrong inside the codeword
//! or the lower digest layers are not detected here (checking them costs the re-hashing this
//! module avoids): an opening from such data is rejected by the verifier, and callers that
//! must not emit such a proof verify it themselves (`lucid-proof` does, for the weights).

mod stream;
pub use stream::fill;
mod tree;

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use lucid_core::field::F;
use p3_sumcheck::layout::Layout as _;
use serde::Deserialize;

use crate::error::PcsError;
use crate::params::{Layout, stacked_shape};
use crate::proof::{Commitment, MerkleData, ProverData, ProverMode, check_commitment};
use crate::scheme::CommitmentScheme;
use stream::Words;
use tree::{DIGEST, ELEM, Shape, Tree};

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

impl ProverData {
    /// The codeword and its Merkle tree, in the layout of the module documentation, for
    /// [`CommitmentScheme::restore`]. Only plain (non-hiding) data can be stored: hiding data
    /// must never be opened twice.
    pub fn codeword_bytes(&self) -> Result<Vec<u8>, PcsError> {
        let ProverMode::Plain { merkle, .. } = &self.mode else {
            return Err(PcsError::ModeMismatch {
                expected: "plain",
                got: if self.commitment.hiding {
                    "hiding"
                } else {
                    "stacked"
                },
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
    /// codeword ([`CommitmentScheme::restore_from`] over the bytes).
    ///
    /// Fails (never panics) when the tables' lengths differ from the commitment's, or when the
    /// bytes do not hold a tree of this scheme's shape whose root is the commitment's.
    pub fn restore(
        &self,
        commitment: &Commitment,
        tables: Vec<Vec<F>>,
        codeword: &[u8],
    ) -> Result<ProverData, PcsError> {
        self.restore_from(commitment, move || tables, codeword)
    }

    /// [`CommitmentScheme::restore`] reading the bytes from `source` as they are decoded (a
    /// file: no buffer of the whole codeword), with the tables made by `tables`.
    ///
    /// Three threads share the work: one reads `source` in chunks, one makes and stacks the
    /// tables, and the calling one decodes the words into the tree. Once it has started
    /// reading, `source` is read to its end, also when decoding fails (so that a reader
    /// checking the whole of it, e.g. by a checksum, sees every byte); bytes after the tree
    /// are an error.
    ///
    /// Fails (never panics) when the tables' lengths differ from the commitment's, when the
    /// bytes do not hold a tree of this scheme's shape whose root is the commitment's, or when
    /// `source` fails.
    pub fn restore_from<T, R>(
        &self,
        commitment: &Commitment,
        tables: T,
        source: R,
    ) -> Result<ProverData, PcsError>
    where
        T: FnOnce() -> Vec<Vec<F>> + Send,
        R: Read + Send,
    {
        check_commitment(commitment)?;
        if commitment.hiding || commitment.stacked {
            return Err(PcsError::ModeMismatch {
                expected: "plain",
                got: if commitment.hiding {
                    "hiding"
                } else {
                    "stacked"
                },
            });
        }
        let table_vars: Vec<usize> = (0..commitment.num_tables())
            .map(|t| commitment.table_variables(t).unwrap_or(0))
            .collect();
        let folding = self.params().first_folding();
        let (_, num_variables) = stacked_shape(&table_vars, folding)?;
        let log_height = num_variables + self.params().starting_log_inv_rate - folding;
        let width = 1usize << folding;
        let stacking = || {
            let tables = tables();
            let lens: Vec<u64> = tables.iter().map(|t| t.len() as u64).collect();
            if lens != commitment.table_lens {
                return Err(bad(format!(
                    "table lengths {lens:?} differ from the commitment's {:?}",
                    commitment.table_lens
                )));
            }
            self.stacked_lazy(tables)
        };
        let (stacked, merkle) = std::thread::scope(|s| {
            let stacked = s.spawn(stacking);
            let (full_tx, full_rx) = sync_channel(stream::CHUNKS);
            let (spare_tx, spare_rx) = sync_channel(stream::CHUNKS);
            s.spawn(move || stream::pump(source, full_tx, spare_rx));
            let merkle = decode_tree(Words::new(full_rx, spare_tx), width, log_height, commitment);
            let stacked = stacked
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (stacked, merkle)
        });
        let (whir, witness) = stacked?;
        if witness.num_variables() != num_variables {
            // The commitment's shape and the layout's disagree: a bug, not an input error.
            return Err(PcsError::ParameterMismatch);
        }
        Ok(ProverData {
            mode: ProverMode::Plain {
                whir: Arc::new(whir),
                layout: Layout::from_witness(witness),
                merkle: merkle?,
            },
            commitment: commitment.clone(),
        })
    }
}

/// Decodes the stored words into the tree, checking them against the expected shape and the
/// commitment's root, and that nothing follows them.
fn decode_tree(
    words: Words,
    width: usize,
    log_height: usize,
    commitment: &Commitment,
) -> Result<MerkleData, PcsError> {
    let expected_len = stored_len(width, log_height).ok_or_else(|| bad("codeword too large"))?;
    let stored = stored_layers(log_height);
    let mut tree = Tree::new(words, commitment.root_elements());
    let mut header = [0u64; HEADER_WORDS];
    for w in &mut header {
        *w = tree.words().word().map_err(|e| bad(e.0))?;
    }
    let expected = [width as u64, log_height as u64, stored as u64];
    if header != expected {
        return Err(bad(format!(
            "a codeword of rows of {} × 2^{} with {} stored digest layers, expected {} × 2^{} with {}",
            header[0], header[1], header[2], expected[0], expected[1], expected[2]
        )));
    }
    // `MerkleTree`'s fields in order: the leaf matrices (values, width, marker), the digest
    // layers (rows first, root last), the arity of every level, a marker.
    let mut layers: Vec<Shape> = (0..stored)
        .map(|i| {
            let count = (1usize << log_height) >> i;
            if i + 1 == stored {
                Shape::Top(count)
            } else {
                Shape::Digests(count)
            }
        })
        .collect();
    layers.extend((0..log_height + 1 - stored).map(Shape::Rebuilt));
    let shape = Shape::Seq(vec![
        Shape::Seq(vec![Shape::Seq(vec![
            Shape::Elems(width << log_height),
            Shape::Int(width as u64),
            Shape::Unit,
        ])]),
        Shape::Seq(layers),
        Shape::Seq((0..log_height).map(|_| Shape::Int(2)).collect()),
        Shape::Unit,
    ]);
    let merkle = MerkleData::deserialize(tree.de(shape)).map_err(|e| bad(e.0))?;
    if !tree.root_checked() {
        return Err(bad("the root was not checked"));
    }
    let taken = tree.words().taken();
    if !tree.words().at_end().map_err(|e| bad(e.0))? {
        return Err(bad(format!(
            "longer than the {expected_len} bytes of this shape"
        )));
    }
    debug_assert_eq!(taken, expected_len as u64);
    Ok(merkle)
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

#[cfg(test)]
mod tests;
