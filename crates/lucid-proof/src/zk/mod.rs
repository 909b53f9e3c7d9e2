//! Zero-knowledge proofs of inference (issue 6), for MLP-shaped and convolutional graphs:
//! matrix products, convolutions and transposed convolutions with one group ([`conv`]),
//! additions and subtractions (bias
//! broadcast), element-wise products of two activations ([`product`]), products of an
//! activation with a weight and index maps (sum pooling, layout-changing reshapes, slices, zero
//! pads, gathers with public indices, concatenations: [`maps`]), requantizations,
//! function-table lookups (ReLU), identity, layout-keeping reshapes and transposes. Any other
//! operator is refused with an error naming the node and op ("not yet supported in
//! zero-knowledge mode"). See `docs/ZK.md`.
//!
//! [`prove`] / [`verify`] prove the same inference statement as [`crate::prove`] /
//! [`crate::verify`] — the output comes from the key's committed model — but hide the input
//! and every activation: every message besides the statement is simulatable given the weights.
//!
//! # What is bound, what is revealed
//!
//! **Statement**: "the public outputs come from running the verifying key's model — its
//! structure, scales, tables *and the weights under its weights commitment* — on some private
//! input" (or on the public inputs, when the key makes them public).
//!
//! - **Bound** (in the transcript before any challenge): the verifying key's digest (graph
//!   structure, shapes, scales, ranges, tables, parameters, and the key's plain weights
//!   commitment), the proof-system parameters, the visibility flags (weights: bound to the
//!   key's commitment), the public inputs (if public) and the public outputs. Every claim on a
//!   weight is settled by a plain opening of the key's weights commitment, verified against
//!   the key: a proof made with any other weights is rejected, and the padding entries of the
//!   weights are fixed by that commitment too.
//! - **Hidden** (simulatable from the statement and the weights): the private input, every
//!   activation (matrix-product accumulators, additions, requantization outputs and remainder
//!   limbs, lookup outputs) and the lookup multiplicities. Their claims stay on blinded
//!   tables `T'(c, x) = (1 − c)·T(x) + c·R_T(x)` at points whose `c` is a verifier challenge
//!   (uniform as long as each mask is queried at fewer than `2^n/3` points, checked by the
//!   prover), committed under the two hiding commitments.
//! - **Revealed**: the two hiding commitments' roots and openings (HVZK-WHIR: simulatable given
//!   the opened values); the zero-knowledge sumchecks' messages (uniform given the running
//!   claims); the lookup argument's messages; the blinded evaluations above, the Libra masks'
//!   row values, and claims at `c = 0` only on the public outputs; and **evaluations of the
//!   weights at challenge points** `W(z)` (one per matrix-product, convolution, addition or
//!   product operand that is a weight, and a convolution's bias value), together with the plain WHIR opening of the weights commitment, which reveals
//!   further linear functionals of the weights (codeword positions, out-of-domain answers,
//!   sumcheck rounds). The weights are bound, *not hidden*, in this mode: everything the proof
//!   reveals beyond the statement is either simulatable from the statement alone or a function
//!   of the weights and the public coins.
//! - **Hiding the weights as well** (EZKL's "private weights" with a binding) needs a *hiding*
//!   weights commitment in the key that many proofs can open — one randomness budget and one
//!   mask `R_W^j` per declared proof, proof `j` opening `W'_j(c, x)` through its mask.
//!   `p3-whir` 0.8.0 does not offer that: its hiding prover data may be opened once. Committing
//!   the weights afresh in every proof hides them but binds nothing (the proof would only show
//!   that *some* weights give the output), so this mode does not offer it.
//!
//! # Weights in the relations
//!
//! A weight `W` is an operand whose "mask" is `W` itself: `W' = [W ; W]` over `(c, x)`, so
//! `W'(c, x) = W(x)` for every `c`. A matrix product hands `prove_relation` the restriction
//! `[W(·, r_j) ; W(·, r_j)]`, whose revealed operand value is the plain `W(z*, r_j)` whatever
//! `c*` is; an addition's linear step reveals the bias's `B(p)`, and the output's derived mask
//! `R_Out = λ_a·R_A + λ_b·B` stays uniform through `R_A`. Each such value becomes the plain
//! claim `W(x) = v` on table `index` of the key's weights commitment
//! ([`common::route`]); the sumcheck's final equation binds `v`, the weights opening checks it.
//! Weights need no minimum size (they carry no mask to keep uniform) and are not in the hiding
//! commitment.
//!
//! # Protocol (transcript order)
//!
//! 1. Statement ([`common::start_transcript`]).
//! 2. First hiding commitment ([`plan::Table1`] order): every committed tensor blinded
//!    `[T ; R_T]` (private inputs, requantization outputs, lookup outputs, layer outputs a
//!    lookup reads — not the weights), the remainder limbs blinded, the committed masks `R_V`
//!    of the virtual matrix-product, convolution and two-activation product outputs, the
//!    blinded lookup multiplicities, and the packed Libra masks of every zero-knowledge
//!    sumcheck of the proof (their shapes come from the plan). Masks of other virtual tensors
//!    are *derived*: an addition's mask is the same combination of its operands' masks (a
//!    weight operand's "mask" being the weight), a map's the mapped masks (summed over a
//!    concatenation's operands), and a requantization's lowest limb mask is
//!    `R_X − 2^s·R_Y − Σ_{i≥1} 2^{B·i}·R_{L_i}` (`B` the range width, below), so every linear
//!    relation also holds on the masks (`lucid_core::sumcheck::zk_relation`, "Linear
//!    relations"). In byte mode the committed low bytes `[v0 ; R_0]` of the split checks
//!    (fresh masks) come last but for the Libra masks.
//! 3. Lookups (`lucid_lookup::zk`): the looked-up columns are the affine images of the
//!    committed blinded tensors (their `c = 1` halves the linear part applied to the masks), so
//!    the argument's column claims map back to claims on the tensors' blinded tables;
//!    `α`, `β`; the second hiding commitment (helper limbs, group masks); the group sumchecks;
//!    `zk/relu-diffs` (for each ReLU difference column's claim, the prover's `z'` there), and in
//!    byte mode `zk/low-bytes` (for each high-byte column's claim, the low byte's `v0'` there).
//!    A ReLU `z = max(y, 0)` whose domain fits in `(−2^16, 2^16)` is not looked up in a function
//!    table (whose zero-knowledge helper columns would cost `6·2^16` committed elements per
//!    table) but range-checked: `z ∈ [0, 2^16)` and `z − y ∈ [0, 2^16)` in the shared range
//!    table (in byte mode: in `[0, 2^8)` when the domain's values fit, else split), plus
//! 4. per such ReLU the zero-check `Σ_x eq(τ, x)·z(x)·(z(x) − y(x)) = 0` (`τ` =
//!    `sample_ext_vec(b"zk/relu-tau")`, a relation of degree 4 through `prove_relation` with the
//!    claim at `c = 0` on a zero scalar). `z·(z − y) = 0` over the field with both factors in
//!    `[0, 2^16)` means `z = 0 ≤ −y` or `z = y ≥ 0`, i.e. `z = max(y, 0)`. Other function
//!    lookups (sigmoid tables, …) keep their function table.
//! 5. Per requantization, a fresh `(c, r)`; the prover sends `Y'(c, r)`, `L'_i(c, r)`; the
//!    linear step gives the claim on the input `X'(c, r)`.
//! 6. Per output a fresh `r`, the claim `Out'(0, r) = Out(r)` from the public output.
//! 7. Backwards over the graph: a virtual tensor's claims (several, or an output's `c = 0`
//!    claim) are batched by a zero-knowledge sumcheck into one at a random `c`; a matrix product
//!    is reduced by `prove_relation` to claims on `A'(c*, r_i, z*)`, `B'(c*, z*, r_j)` (the
//!    plain `W(z*, r_j)` for a weight) and its mask; a convolution likewise by one relation
//!    over (input channels × kernel taps × input positions) after the bias value `bias(r_o)`
//!    ([`conv`]); a product of two activations by a relation over the output's variables
//!    ([`product`]); an index map or a product with a weight by a map sumcheck onto its
//!    blinded input (`zk-map/…`; a product also sends the weight's value, [`maps`]); a
//!    concatenation by its operands' shares (`zk/map-shares`) and a map sumcheck per operand;
//!    an addition by a
//!    linear step; a free map by moving the point. A committed layer output is opened at all its claims and one of them
//!    (with a random `c`) is reduced.
//! 8. One hiding opening of the first commitment (every claim on it, including the Libra mask
//!    rows), one of the second, then one plain opening of the key's weights commitment (every
//!    weight claim, in the order the claims arose; `lucid-pcs/open`). The weight claims'
//!    points and values are all in the transcript before the first opening starts.
//!
//! # Byte mode
//!
//! The range width `B` is 16 (every range check in `[0, 2^16)`) or 8 ("byte mode"), chosen by
//! [`ZkPlan::new`] from the key alone: byte mode when the two hiding commitments' estimated
//! stacked size ([`ZkPlan::cost`]) is smaller. The 16-bit table costs `8·2^16` committed
//! elements whatever the model (blinded multiplicities, three blinded limbs of its helper
//! column), which dominates small MLPs; byte mode pays per checked entry instead. In byte mode
//! remainder limbs are 8 bits wide, output bounds and ReLU checks whose values fit in 8 bits use
//! `[0, 2^8)` directly, and every other check of a column `V` in `[0, 2^16)` is *split*
//! ([`plan::ZkSplit`]): the prover commits the low byte `v0` blinded with a fresh mask, and
//! looks up `v0` and the high byte `v1 = (V − v0)·2^{−8}` — an affine image of blinded tables,
//! `v1' = (V' − v0')·2^{−8}` — in `[0, 2^8)`. Both in range force `V = v0 + 2^8·v1 ∈ [0, 2^16)`.
//! A claim `v1'(c, x) = h` becomes, with the prover's `v0'(c, x)` (proof field `low_bytes`),
//! the claims `v0'(c, x)` on the low byte's table and `V'(c, x) = v0'(c, x) + 2^8·h` on `V`'s.
//! Each low byte is queried at two points with random `c` (checked against its mask size like
//! every other mask).
//!
//! Soundness: as the plain proof's, with every zero-knowledge sumcheck's error `d/|EF|` per
//! round, the masks bound before the challenges that use them, and the weights bound by the
//! key (a weight operand's table `[W ; W]` is fixed by the key's commitment, so its revealed
//! value must be the true `W(z*)`).

pub mod columns;
pub mod common;
pub mod conv;
mod layers;
pub mod maps;
pub mod masks;
pub mod plan;
pub mod product;
pub mod proof;
pub mod prover;
pub mod verifier;
pub mod witness;

pub use columns::Cheat;
pub use plan::ZkPlan;
pub use proof::{ZkLayerProof, ZkNodeProof, ZkProof};
pub use prover::{
    prove, prove_with_weights, prove_witness, prove_witness_cheating, prove_witness_unchecked,
    prove_witness_with, prove_witness_with_range,
};
pub use verifier::{verify, verify_with_claims, verify_with_range};
