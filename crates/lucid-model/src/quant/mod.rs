//! Quantization of the f32 IR graph into a graph of exact signed fixed-point integer operators,
//! whose integer run ([`crate::int_eval`]) is the witness the prover proves.
//!
//! # Numbers
//!
//! A tensor at scale `s` holds integers `q ≈ x · 2^s` ([`fixed`]). Scales are powers of two, one
//! per tensor, chosen by calibration: the finest `s` with `max|x| · 2^headroom · 2^s` inside
//! `act_bits` signed bits (weights and other constants: `weight_bits`, no headroom). Integer
//! (`I64`) and boolean tensors have scale 0 and are never rescaled. Every value is embedded in
//! Goldilocks as `q mod p`.
//!
//! # Operators ([`QOp`]) and what proves them
//!
//! - Linear, exact over ℤ (sumcheck): `MatMul`, `Einsum`, `Conv`, `Deconv` (bias quantized at the
//!   accumulator scale `s_x + s_w`), `Add`/`Sub` (operands aligned by left shifts to the finer
//!   scale), `Mul` (scale `s_a + s_b`), `SumPool`, `ReduceSum`. Means multiply by a quantized
//!   `1/n`, or, for `n = 2^k`, just read the sum at `k` more fractional bits.
//! - `Requant` (lookup/range check): after every linear operator the accumulator is rescaled to the
//!   output's calibrated scale, `acc + 2^(k−1) = q · 2^k + r` with `0 ≤ r < 2^k` (round half up;
//!   `Floor` optional), and `q` clamped into `act_bits`. A node is skipped when it would change
//!   nothing.
//! - `Table` (LogUp lookup): every other element-wise function, over the input's whole proven
//!   range (a 16-bit activation is exactly a 2^16 table) or, if wider than `2^table_bits`, after a
//!   coarsening `Requant`. Values come from [`table::build_table`], the function the prover's table
//!   builder calls, with deterministic `f64` math ([`detmath`]).
//! - `Exact` (range checks and wiring): ReLU, max/min, max-pooling, comparisons, selection,
//!   argmax, data movement and integer casts run on the integers unchanged; all fixed-point
//!   operands are first aligned to one scale, so these commute with dequantization.
//!
//! # Composite functions
//!
//! - Softmax over axes: `m = max x` (exact), `d = x − m ≤ 0`, `d` requantized to `2^table_bits`
//!   steps over `[−16, 0]` (`e^−16` is below the output step), `e = exp(d)` at scale
//!   `act_bits − 1` (so `e(0) = 2^(act_bits−1)` exactly), `S = Σ e ≥ 2^(act_bits−1)`, `S` rescaled
//!   into a reciprocal table whose domain covers `[1, min(n, 2·calibrated max)]`, `r = 1/S` at
//!   `act_bits + ⌈log2 n⌉` fractional bits, `p = e · r` requantized to scale `act_bits − 2`
//!   (probabilities ≤ 1). LogSoftmax uses `ln S` at the input's scale: `y = d − ln S`.
//! - RmsNorm (what LayerNorm becomes after centering): `Σ x²` (exact), rescaled into a
//!   `1/√(Σ/n + ε)` table whose domain covers twice the calibrated maximum, output scale from the
//!   calibrated normalizer, then `x · r` requantized.
//! - Division by a tensor: a reciprocal table (output scale from the calibrated `1/b`) and a
//!   product; division by a constant is a product with the quantized reciprocal.
//!
//! # Overflow
//!
//! Every node's range is computed when it is created ([`interval`]): inputs span their full
//! quantized range (not just the calibration data), products of constants use the exact
//! `Σ|w|·max|x|` bounds. A range outside `±(p − 1)/2` (which also keeps `i64` exact) aborts with
//! [`QuantError::Overflow`] naming the IR node.

pub mod detmath;
pub mod fixed;
pub mod graph;
pub mod interval;
mod lower;
pub mod provable;
pub mod table;

pub use graph::{QGraph, QInput, QKind, QNode, QOp, QOutput, QuantConfig, QuantError};
pub use lower::{TensorStats, quantize_graph, quantize_with_inputs};

#[cfg(test)]
mod tests;
