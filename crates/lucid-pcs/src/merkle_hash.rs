//! The hash of every Merkle tree (plain and hiding commitments, WHIR's round codewords):
//! Keccak-f[1600] in a sponge over Goldilocks elements, with four-element Goldilocks digests.
//!
//! # Construction
//!
//! A sponge of 25 64-bit words, rate 17 words (1088 bits), capacity 8 words (512 bits, as
//! SHA3-256). Input elements are absorbed as their canonical `u64` values in overwrite mode,
//! 17 per permutation, with at least one permutation; the digest is the first four words, each
//! reduced into Goldilocks (`w mod p`: a bias below `2^-32` per word, 4 × 64 − 4·2^-32 bits of
//! output, so collisions cost about `2^127` evaluations). The first capacity word separates
//! the two uses: `0` for a leaf (a row of the committed matrices), `1` for a node (the
//! compression of two child digests).
//!
//! Like any padding-free sponge it is only collision-resistant for inputs of a fixed length:
//! every tree hashes rows of one width per level and nodes of exactly eight elements, and the
//! verifier knows both.
//!
//! # Why Keccak
//!
//! Lucid's proofs are not verified inside another proof, so the Merkle hash need not be
//! arithmetic-friendly. Keccak-f with one permutation per lane of a SIMD vector
//! (`p3_keccak::VECTOR_LEN` lanes: 8 with AVX-512, 4 with AVX2) absorbs 17 elements per
//! permutation, against 8 for the width-12 Poseidon2 sponge it replaces; building the trees
//! was the largest single cost of the prover. The Fiat–Shamir transcript keeps its Poseidon2
//! duplex sponge: the digests it observes are still Goldilocks elements.

use lucid_core::field::F;
use p3_field::{PackedValue, PrimeCharacteristicRing, PrimeField64};
use p3_keccak::{KeccakF, VECTOR_LEN};
use p3_symmetric::{CryptographicHasher, Permutation, PseudoCompressionFunction};

/// State words of Keccak-f[1600].
const STATE_WORDS: usize = 25;
/// Words absorbed per permutation.
const RATE: usize = 17;
/// Goldilocks elements per digest.
pub const DIGEST_ELEMS: usize = 4;
/// First capacity word of a leaf hash.
const LEAF_DOMAIN: u64 = 0;
/// First capacity word of a node compression.
const NODE_DOMAIN: u64 = 1;

/// A state word: one `u64`, or one per SIMD lane.
trait Word: Copy {
    fn splat(value: u64) -> Self;
}

impl Word for u64 {
    fn splat(value: u64) -> Self {
        value
    }
}

impl Word for [u64; VECTOR_LEN] {
    fn splat(value: u64) -> Self {
        [value; VECTOR_LEN]
    }
}

/// The overwrite-mode sponge: absorbs `words` (17 per permutation, at least one permutation)
/// and returns the first [`DIGEST_ELEMS`] state words.
fn sponge<W: Word>(domain: u64, words: impl IntoIterator<Item = W>) -> [W; DIGEST_ELEMS]
where
    KeccakF: Permutation<[W; STATE_WORDS]>,
{
    let mut state = [W::splat(0); STATE_WORDS];
    state[RATE] = W::splat(domain);
    let mut words = words.into_iter().peekable();
    loop {
        for (slot, word) in state[..RATE].iter_mut().zip(words.by_ref()) {
            *slot = word;
        }
        KeccakF.permute_mut(&mut state);
        if words.peek().is_none() {
            break;
        }
    }
    core::array::from_fn(|i| state[i])
}

/// A Keccak output word as a canonical Goldilocks element (`w mod p`, `w < 2p`).
fn reduce(word: u64) -> F {
    let p = F::ORDER_U64;
    F::new(if word >= p { word - p } else { word })
}

/// The digest of `elements` under `domain`.
fn digest(domain: u64, elements: impl IntoIterator<Item = F>) -> [F; DIGEST_ELEMS] {
    sponge(domain, elements.into_iter().map(|x| x.as_canonical_u64())).map(reduce)
}

/// The digests of the lanes of `rows` (one packed value per input element, lane `l` of every
/// value forming input `l`): `VECTOR_LEN` lanes per permutation, or the scalar sponge when
/// there is one lane (the verifier's case, and targets without SIMD packing).
fn packed_digest<P: PackedValue<Value = F>>(
    domain: u64,
    rows: impl IntoIterator<Item = P>,
) -> [P; DIGEST_ELEMS] {
    let width = P::WIDTH;
    if width == 1 {
        let out = digest(domain, rows.into_iter().map(|row| row.as_slice()[0]));
        return core::array::from_fn(|i| P::from_fn(|_| out[i]));
    }
    let rows: Vec<P> = rows.into_iter().collect();
    let mut lanes = vec![[F::ZERO; DIGEST_ELEMS]; width];
    for first in (0..width).step_by(VECTOR_LEN) {
        let words = rows.iter().map(|row| {
            let values = row.as_slice();
            core::array::from_fn(|l| values.get(first + l).map_or(0, F::as_canonical_u64))
        });
        let out: [[u64; VECTOR_LEN]; DIGEST_ELEMS] = sponge(domain, words);
        for (l, lane) in lanes.iter_mut().skip(first).take(VECTOR_LEN).enumerate() {
            *lane = core::array::from_fn(|i| reduce(out[i][l]));
        }
    }
    core::array::from_fn(|i| P::from_fn(|l| lanes[l][i]))
}

/// The leaf hash of a row of committed values (scalar, or one row per lane when packed).
#[derive(Clone, Debug, Default)]
pub struct LeafHash;

impl<P: PackedValue<Value = F>> CryptographicHasher<P, [P; DIGEST_ELEMS]> for LeafHash {
    fn hash_iter<I>(&self, input: I) -> [P; DIGEST_ELEMS]
    where
        I: IntoIterator<Item = P>,
    {
        packed_digest(LEAF_DOMAIN, input)
    }
}

/// The compression of two child digests into their parent's.
#[derive(Clone, Debug, Default)]
pub struct NodeCompress;

impl<P: PackedValue<Value = F>> PseudoCompressionFunction<[P; DIGEST_ELEMS], 2> for NodeCompress {
    fn compress(&self, [left, right]: [[P; DIGEST_ELEMS]; 2]) -> [P; DIGEST_ELEMS] {
        packed_digest(NODE_DOMAIN, left.into_iter().chain(right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::Field;

    /// Goldilocks packed as wide as the target's SIMD allows.
    type PackedF = <F as Field>::Packing;

    fn values(n: usize, seed: u64) -> Vec<F> {
        (0..n as u64)
            .map(|i| F::from_u64(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed))
            .collect()
    }

    /// The packed hash of `WIDTH` rows equals the scalar hash of each row, for row lengths
    /// below, at and above one block.
    #[test]
    fn packed_and_scalar_leaf_hashes_agree() {
        let width = PackedF::WIDTH;
        for len in [0usize, 1, 8, 16, 17, 18, 34, 48] {
            let rows: Vec<Vec<F>> = (0..width).map(|l| values(len, l as u64 + 1)).collect();
            let packed: Vec<PackedF> = (0..len).map(|i| PackedF::from_fn(|l| rows[l][i])).collect();
            let got = LeafHash.hash_iter(packed);
            for (l, row) in rows.iter().enumerate() {
                let want = LeafHash.hash_slice(row);
                let lane: [F; DIGEST_ELEMS] = core::array::from_fn(|i| got[i].as_slice()[l]);
                assert_eq!(lane, want, "row length {len}, lane {l}");
            }
        }
    }

    #[test]
    fn packed_and_scalar_compressions_agree() {
        let width = PackedF::WIDTH;
        let children: Vec<[[F; DIGEST_ELEMS]; 2]> = (0..width)
            .map(|l| {
                let v = values(8, 100 + l as u64);
                [
                    core::array::from_fn(|i| v[i]),
                    core::array::from_fn(|i| v[4 + i]),
                ]
            })
            .collect();
        let pack = |side: usize| -> [PackedF; DIGEST_ELEMS] {
            core::array::from_fn(|i| PackedF::from_fn(|l| children[l][side][i]))
        };
        let got = NodeCompress.compress([pack(0), pack(1)]);
        for (l, c) in children.iter().enumerate() {
            let want = NodeCompress.compress(*c);
            let lane: [F; DIGEST_ELEMS] = core::array::from_fn(|i| got[i].as_slice()[l]);
            assert_eq!(lane, want, "lane {l}");
        }
    }

    /// Every input element, the input length and the domain change the digest; digests are
    /// canonical.
    #[test]
    fn digests_depend_on_every_input() {
        let row = values(20, 7);
        let base = LeafHash.hash_slice(&row);
        for i in 0..row.len() {
            let mut changed = row.clone();
            changed[i] += F::ONE;
            assert_ne!(LeafHash.hash_slice(&changed), base, "element {i}");
        }
        assert_ne!(LeafHash.hash_slice(&row[..19]), base);
        let pair = [
            core::array::from_fn(|i| row[i]),
            core::array::from_fn(|i| row[4 + i]),
        ];
        assert_ne!(NodeCompress.compress(pair), LeafHash.hash_slice(&row[..8]));
        for x in base {
            assert!(x.as_canonical_u64() < F::ORDER_U64);
        }
    }
}
