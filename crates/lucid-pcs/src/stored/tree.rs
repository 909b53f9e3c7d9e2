//! The codeword's Merkle tree handed to `p3-merkle-tree` without `postcard`.
//!
//! `p3_merkle_tree::MerkleTree` has no public constructor from precomputed layers; its only
//! way in is `serde`. [`Node`] is a `serde` deserializer over the stored bytes that presents
//! the tree's data model directly: a sequence of fields for each struct, and each field
//! element as one integer (it reports itself human-readable, so that `Goldilocks` asks for a
//! `u64` rather than for eight separate bytes). Element decoding is then one
//! `u64::from_le_bytes` plus `Goldilocks`' own canonicity check, so a value `≥ p` is an error.

use core::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

/// Bytes of one stored field element.
pub(super) const ELEM: usize = 8;
/// Bytes of one stored digest (4 field elements).
pub(super) const DIGEST: usize = 4 * ELEM;

/// Why the tree could not be built from the bytes.
#[derive(Debug)]
pub(super) struct DecodeError(pub(super) String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// One value of the tree's `serde` data model, over the stored bytes.
pub(super) enum Node<'a> {
    /// A struct or a sequence of heterogeneous values, in field order.
    Seq(Vec<Node<'a>>),
    /// A sequence of field elements, 8 little-endian bytes each.
    Elems(&'a [u8]),
    /// A sequence of digests, each 4 field elements (32 bytes).
    Digests(&'a [u8]),
    /// An integer (a field element or a `usize`).
    Int(u64),
    /// A unit value (`PhantomData`).
    Unit,
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; ELEM];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// The fields of a struct or the items of a short sequence.
struct Nodes<'a>(std::vec::IntoIter<Node<'a>>);

/// The field elements of a sequence, 8 bytes each.
struct Elems<'a>(core::slice::ChunksExact<'a, u8>);

/// The digests of a sequence, 32 bytes each.
struct Digests<'a>(core::slice::ChunksExact<'a, u8>);

/// One field element (or `usize`), handed over as an integer.
struct Int(u64);

impl<'de> SeqAccess<'de> for Nodes<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

impl<'de> SeqAccess<'de> for Elems<'_> {
    type Error = DecodeError;

    #[inline(always)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.0.next() {
            Some(b) => seed.deserialize(Int(word(b))).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

impl<'de> SeqAccess<'de> for Digests<'_> {
    type Error = DecodeError;

    #[inline(always)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.0.next() {
            Some(b) => seed.deserialize(Node::Elems(b)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

impl<'de> de::Deserializer<'de> for Int {
    type Error = DecodeError;

    #[inline(always)]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u64(self.0)
    }

    fn is_human_readable(&self) -> bool {
        // Field elements are then requested as integers (see the module documentation).
        true
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::Deserializer<'de> for Node<'_> {
    type Error = DecodeError;

    #[inline(always)]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self {
            Node::Seq(nodes) => visitor.visit_seq(Nodes(nodes.into_iter())),
            Node::Elems(bytes) => visitor.visit_seq(Elems(bytes.chunks_exact(ELEM))),
            Node::Digests(bytes) => visitor.visit_seq(Digests(bytes.chunks_exact(DIGEST))),
            Node::Int(v) => visitor.visit_u64(v),
            Node::Unit => visitor.visit_unit(),
        }
    }

    fn is_human_readable(&self) -> bool {
        true
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
