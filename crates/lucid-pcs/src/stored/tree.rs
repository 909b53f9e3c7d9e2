//! The codeword's Merkle tree handed to `p3-merkle-tree` as its words are read.
//!
//! `p3_merkle_tree::MerkleTree` has no public constructor from precomputed layers; its only
//! way in is `serde`. [`Tree`] is a `serde` deserializer that presents the tree's data model
//! (a [`Shape`]: a sequence of fields for each struct) and takes each field element from the
//! stored words ([`Words`]) when `serde` asks for it, so the codeword goes straight from the
//! read buffer into the tree's matrix. It reports itself human-readable, so that `Goldilocks`
//! asks for a `u64` rather than for eight separate bytes: decoding an element is one
//! `u64::from_le_bytes` plus `Goldilocks`' own canonicity check, so a value `≥ p` is an error.
//!
//! The top stored digest layer is also kept; when it ends, the layers above it are rebuilt by
//! compressing pairs, and the rebuilt root must equal the commitment's (an error otherwise).

use core::fmt;

use lucid_core::field::F;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_symmetric::PseudoCompressionFunction;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::stream::Words;
use crate::params::new_compress;

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

/// One value of the tree's `serde` data model.
pub(super) enum Shape {
    /// A struct or a sequence of heterogeneous values, in field order.
    Seq(Vec<Shape>),
    /// A sequence of this many field elements, read from the words.
    Elems(usize),
    /// A sequence of this many digests (4 field elements each), read from the words.
    Digests(usize),
    /// [`Shape::Digests`] of the top stored layer: kept, and the layers above rebuilt from it.
    Top(usize),
    /// The `i`-th rebuilt layer above the top stored one (the root last).
    Rebuilt(usize),
    /// An integer (a `usize` field).
    Int(u64),
    /// A unit value (`PhantomData`).
    Unit,
}

/// The state of one decoding: the words, the commitment's root, the kept top layer and the
/// layers rebuilt from it.
pub(super) struct Tree {
    words: Words,
    root: Vec<F>,
    top: Vec<[F; 4]>,
    rebuilt: Vec<Vec<[F; 4]>>,
    /// Whether the top layer was read and the root checked.
    checked: bool,
}

impl Tree {
    pub(super) fn new(words: Words, root: Vec<F>) -> Self {
        Self {
            words,
            root,
            top: Vec::new(),
            rebuilt: Vec::new(),
            checked: false,
        }
    }

    pub(super) fn words(&mut self) -> &mut Words {
        &mut self.words
    }

    /// Whether the top layer was read and its root matched.
    pub(super) fn root_checked(&self) -> bool {
        self.checked
    }

    /// A deserializer of `shape` over this state.
    pub(super) fn de(&mut self, shape: Shape) -> De<'_> {
        De { tree: self, shape }
    }

    /// Rebuilds the layers above the kept top layer and checks the root.
    fn finish_top(&mut self) -> Result<(), DecodeError> {
        let compress = new_compress();
        let mut layer = std::mem::take(&mut self.top);
        while layer.len() > 1 {
            layer = layer
                .chunks_exact(2)
                .map(|pair| compress.compress([pair[0], pair[1]]))
                .collect();
            self.rebuilt.push(layer.clone());
        }
        if layer.len() != 1 || layer[0][..] != self.root[..] {
            return Err(DecodeError(
                "its Merkle root differs from the commitment".into(),
            ));
        }
        self.checked = true;
        Ok(())
    }
}

/// A deserializer of one [`Shape`] over the decoding state.
pub(super) struct De<'t> {
    tree: &'t mut Tree,
    shape: Shape,
}

/// The fields of a struct or the items of a short sequence.
struct Items<'t> {
    tree: &'t mut Tree,
    items: std::vec::IntoIter<Shape>,
}

/// Field elements read from the words.
struct Elems<'t> {
    tree: &'t mut Tree,
    left: usize,
}

/// Digests read from the words; with `top`, kept for [`Tree::finish_top`].
struct Digests<'t> {
    tree: &'t mut Tree,
    left: usize,
    top: bool,
}

/// A rebuilt layer's digests.
struct Rebuilt(std::vec::IntoIter<[F; 4]>);

/// One digest: a sequence of 4 integers.
struct Digest([u64; 4], usize);

/// One field element (or `usize`), handed over as an integer.
struct Int(u64);

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        self.items
            .next()
            .map(|shape| seed.deserialize(self.tree.de(shape)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

impl<'de> SeqAccess<'de> for Elems<'_> {
    type Error = DecodeError;

    #[inline(always)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let w = self.tree.words.word()?;
        seed.deserialize(Int(w)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> SeqAccess<'de> for Digests<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.left == 0 {
            if self.top && !self.tree.checked {
                self.tree.finish_top()?;
            }
            return Ok(None);
        }
        self.left -= 1;
        let words = &mut self.tree.words;
        let d = [words.word()?, words.word()?, words.word()?, words.word()?];
        if self.top {
            if d.iter().any(|&w| w >= F::ORDER_U64) {
                return Err(DecodeError("a digest element is out of range".into()));
            }
            self.tree.top.push(d.map(F::from_u64));
        }
        seed.deserialize(Digest(d, 0)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> SeqAccess<'de> for Rebuilt {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        self.0
            .next()
            .map(|d| seed.deserialize(Digest(d.map(|x| x.as_canonical_u64()), 0)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

impl<'de> SeqAccess<'de> for Digest {
    type Error = DecodeError;

    #[inline(always)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(&w) = self.0.get(self.1) else {
            return Ok(None);
        };
        self.1 += 1;
        seed.deserialize(Int(w)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len() - self.1)
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

impl<'de> de::Deserializer<'de> for Digest {
    type Error = DecodeError;

    #[inline(always)]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(self)
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

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let tree = self.tree;
        match self.shape {
            Shape::Seq(items) => visitor.visit_seq(Items {
                tree,
                items: items.into_iter(),
            }),
            Shape::Elems(left) => visitor.visit_seq(Elems { tree, left }),
            Shape::Digests(left) => visitor.visit_seq(Digests {
                tree,
                left,
                top: false,
            }),
            Shape::Top(left) => visitor.visit_seq(Digests {
                tree,
                left,
                top: true,
            }),
            Shape::Rebuilt(i) => {
                let layer = tree
                    .rebuilt
                    .get_mut(i)
                    .map(std::mem::take)
                    .ok_or_else(|| DecodeError("a rebuilt layer is missing".into()))?;
                visitor.visit_seq(Rebuilt(layer.into_iter()))
            }
            Shape::Int(v) => visitor.visit_u64(v),
            Shape::Unit => visitor.visit_unit(),
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
