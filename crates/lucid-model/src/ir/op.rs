//! The operator set of Lucid's IR, with the exact semantics of each operator.
//!
//! Conventions shared by all operators:
//! - Every node has exactly one output tensor. (TopK, which has two results in ONNX, is one node
//!   per result: see [`TopKOutput`].)
//! - "Broadcast" means numpy broadcasting (align shapes on the right; equal dims or a 1).
//! - Axes are non-negative and already normalized by the importer (no negative axes).
//! - Spatial operators (Conv, Deconv, pools) use the channels-first layout `[N, C, d1, …, dk]`
//!   and weights `[O, C/group, k1, …, kk]` (Conv) or `[C, O/group, k1, …, kk]` (Deconv).
//! - `pads` are per spatial (or per tensor, for [`Op::Pad`]) axis `(begin, end)` pairs.
//! - Float parameters are stored as `f32`; numerics in the float interpreter use f64 accumulation.

use serde::{Deserialize, Serialize};

use super::unary::UnaryFn;
use crate::tensor::{DType, Value};

/// Elementwise binary arithmetic on two tensors of the same dtype (F32 or I64), broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b` (I64: truncating division; division by zero is an evaluation error).
    Div,
    /// `a ^ b` (F32 only, as `powf`).
    Pow,
    /// `max(a, b)` (F32: NaN-propagating is not guaranteed; inputs are expected finite).
    Max,
    /// `min(a, b)`.
    Min,
}

/// Elementwise comparison of two tensors of the same dtype, broadcast; result is Bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// `a == b` (any dtype).
    Eq,
    /// `a != b` (any dtype).
    Ne,
    /// `a < b` (F32 or I64).
    Lt,
    /// `a > b`.
    Gt,
    /// `a <= b`.
    Le,
    /// `a >= b`.
    Ge,
}

/// Elementwise boolean logic on two Bool tensors, broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogicOp {
    /// `a && b`.
    And,
    /// `a || b`.
    Or,
    /// `a != b`.
    Xor,
}

/// The reduction applied by [`Op::Reduce`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceKind {
    /// Sum of the elements.
    Sum,
    /// Arithmetic mean.
    Mean,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
    /// Product.
    Prod,
    /// Sum of squares.
    SumSquare,
    /// Mean of squares.
    MeanSquare,
    /// Index (I64) of the maximum along the single reduced axis; on ties the first index, or
    /// the last one when `select_last`.
    ArgMax {
        /// Pick the last maximal index on ties.
        select_last: bool,
    },
    /// Index (I64) of the minimum, tie rule as for `ArgMax`.
    ArgMin {
        /// Pick the last minimal index on ties.
        select_last: bool,
    },
}

impl ReduceKind {
    /// True for ArgMax/ArgMin (I64 result, exactly one axis).
    pub fn is_arg(&self) -> bool {
        matches!(self, ReduceKind::ArgMax { .. } | ReduceKind::ArgMin { .. })
    }
}

/// Geometry of a convolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConvSpec {
    /// Stride per spatial axis (≥ 1).
    pub strides: Vec<usize>,
    /// Zero padding `(begin, end)` per spatial axis.
    pub pads: Vec<(usize, usize)>,
    /// Dilation per spatial axis (≥ 1).
    pub dilations: Vec<usize>,
    /// Number of groups (divides both input and output channels).
    pub group: usize,
}

/// Geometry of a transposed convolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeconvSpec {
    /// Stride per spatial axis (≥ 1).
    pub strides: Vec<usize>,
    /// Cropping `(begin, end)` per spatial axis (ONNX ConvTranspose `pads`).
    pub pads: Vec<(usize, usize)>,
    /// Dilation per spatial axis (≥ 1).
    pub dilations: Vec<usize>,
    /// Extra size added at the end of each spatial axis (ONNX `output_padding`).
    pub output_padding: Vec<usize>,
    /// Number of groups.
    pub group: usize,
}

/// Geometry of a pooling window.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PoolSpec {
    /// Window size per spatial axis (≥ 1).
    pub kernel: Vec<usize>,
    /// Stride per spatial axis (≥ 1).
    pub strides: Vec<usize>,
    /// Padding `(begin, end)` per spatial axis.
    pub pads: Vec<(usize, usize)>,
    /// Dilation per spatial axis (≥ 1).
    pub dilations: Vec<usize>,
}

/// How [`Op::Pad`] fills the border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PadMode {
    /// A constant value.
    Constant,
    /// Mirror without repeating the edge (`[a b c]` → `c b | a b c | b a`); pads < dim.
    Reflect,
    /// Repeat the edge element.
    Edge,
}

/// How [`Op::ScatterElements`] combines an update with the existing element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScatterReduction {
    /// Overwrite (later updates in row-major order win).
    None,
    /// Add.
    Add,
    /// Multiply.
    Mul,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
}

/// Which result of TopK a node produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TopKOutput {
    /// The k selected values (input dtype).
    Values,
    /// Their indices along the axis (I64).
    Indices,
}

/// An operator. Inputs are listed as `[name: dtype shape]`; the output dtype/shape follows `->`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// The graph input number `index` (no node inputs). `-> graph.inputs[index]`.
    Input {
        /// Index into [`super::Graph::inputs`].
        index: usize,
    },
    /// A constant tensor (weights, biases, index tables, masks), kept exact.
    Const(Value),
    /// Batched matrix product. `[a: F32 [..batch_a, m, k]] [b: F32 [..batch_b, k, n]]`
    /// (before the optional transposes of the last two axes) `-> F32 [..broadcast(batch_a,
    /// batch_b), m, n]`, `y[.., i, j] = Σ_l a[.., i, l] · b[.., l, j]`. Both ranks ≥ 2.
    MatMul {
        /// Use `a` with its last two axes swapped (`a` is stored `[.., k, m]`).
        transpose_a: bool,
        /// Use `b` with its last two axes swapped (`b` is stored `[.., n, k]`).
        transpose_b: bool,
    },
    /// General Einstein summation, the fallback for contractions that are not a plain
    /// (batched) matrix product. `expr` is explicit, e.g. `"bij,bjk->bik"`: one ASCII letter per
    /// axis, operands separated by `,`, then `->` and the output letters (each once). A letter
    /// repeated within an operand takes the diagonal. Letters missing from the output are
    /// summed. All dims sharing a letter must agree (no broadcasting). F32 or I64, all inputs
    /// the same dtype.
    Einsum {
        /// The explicit einsum expression.
        expr: String,
    },
    /// N-d convolution (cross-correlation, as ONNX Conv). `[x: F32 [N, C, d1..dk]]
    /// [w: F32 [O, C/group, k1..kk]] [bias: F32 [O], optional]` `-> F32 [N, O, o1..ok]` with
    /// `o_i = (d_i + pb_i + pe_i - dil_i·(k_i-1) - 1) / s_i + 1` (floor), and
    /// `y[n, o, p] = bias[o] + Σ_{c in group(o), q} x[n, c, p·s - pb + q·dil] · w[o, c', q]`
    /// (out-of-range x reads 0).
    Conv(ConvSpec),
    /// N-d transposed convolution (ONNX ConvTranspose). `[x: F32 [N, C, d1..dk]]
    /// [w: F32 [C, O/group, k1..kk]] [bias: F32 [O], optional]` `-> F32 [N, O, o1..ok]` with
    /// `o_i = s_i·(d_i-1) + op_i + dil_i·(k_i-1) + 1 - pb_i - pe_i`; each input position `p`
    /// adds `x[n, c, p]·w[c, o', q]` to output position `p·s + q·dil - pb` (when in range).
    Deconv(DeconvSpec),
    /// Elementwise arithmetic, broadcast. `[a: T] [b: T] -> T`, T ∈ {F32, I64}.
    Binary(BinaryOp),
    /// Elementwise comparison, broadcast. `[a: T] [b: T] -> Bool`.
    Compare(CmpOp),
    /// Elementwise logic, broadcast. `[a: Bool] [b: Bool] -> Bool`.
    Logic(LogicOp),
    /// Boolean negation. `[a: Bool] -> Bool`.
    Not,
    /// Select (ONNX Where, tract Iff), broadcast over all three: `[cond: Bool] [a: T] [b: T] ->
    /// T`, `y = cond ? a : b`.
    Where,
    /// Elementwise function of one F32 tensor (`Abs`, `Neg`, `Sign` also accept I64).
    Unary(UnaryFn),
    /// Softmax over `axes` (jointly): `y = exp(x - max) / Σ exp(x - max)`. `[x: F32] -> F32`.
    Softmax {
        /// The normalized axes (usually one).
        axes: Vec<usize>,
    },
    /// Log-softmax over `axes`: `y = x - max - ln Σ exp(x - max)`. `[x: F32] -> F32`.
    LogSoftmax {
        /// The normalized axes.
        axes: Vec<usize>,
    },
    /// Reduction over `axes` (sorted, distinct). `[x: T] -> T` (Arg*: `-> I64`, exactly one
    /// axis). The reduced axes are kept as 1 when `keepdims`, else removed. Sum/Mean/SumSquare/
    /// MeanSquare/Prod of I64 stay I64 (Mean: truncating division).
    Reduce {
        /// What to compute.
        kind: ReduceKind,
        /// Reduced axes.
        axes: Vec<usize>,
        /// Keep reduced axes as size 1.
        keepdims: bool,
    },
    /// RMS normalization over one axis (what tract fuses Layer/Instance norm pieces into):
    /// `y = x / sqrt(mean(x², axis) + eps)`. `[x: F32] -> F32` same shape.
    RmsNorm {
        /// The normalized axis.
        axis: usize,
        /// Added to the mean of squares.
        eps: f32,
    },
    /// Max pooling. `[x: F32 [N, C, d1..dk]] -> F32 [N, C, o1..ok]` (output sizes as Conv);
    /// padded positions never win (treated as −∞). Every window must contain a real element.
    MaxPool(PoolSpec),
    /// Sum or average pooling. `[x: F32 [N, C, d..]] -> F32 [N, C, o..]`; padding reads 0.
    /// With `normalize` the sum is divided by the kernel size (`count_include_pad`) or by the
    /// number of non-padding elements in the window.
    SumPool {
        /// Window geometry.
        pool: PoolSpec,
        /// Divide by a count (AveragePool) instead of returning the sum.
        normalize: bool,
        /// Count padding positions in the divisor.
        count_include_pad: bool,
    },
    /// Same data with a new shape of the same element count. `[x: T] -> T shape`.
    Reshape {
        /// The output shape.
        shape: Vec<usize>,
    },
    /// Axis permutation: output axis `i` is input axis `perm[i]`. `[x: T] -> T`.
    Transpose {
        /// A permutation of `0..rank`.
        perm: Vec<usize>,
    },
    /// Numpy broadcast to `shape` (ONNX Expand, tract MultiBroadcastTo). `[x: T] -> T shape`.
    Broadcast {
        /// The output shape (the input must broadcast to exactly this shape).
        shape: Vec<usize>,
    },
    /// Concatenation along `axis`; all inputs (≥ 1) have equal dtype, equal rank and equal
    /// dims except on `axis`.
    Concat {
        /// Concatenation axis.
        axis: usize,
    },
    /// Strided slice along one axis with ONNX semantics: negative `start`/`end` count from the
    /// end (add the dim), then are clamped to `[0, dim]` (`step > 0`) or `[-1, dim-1]`
    /// (`step < 0`); the output takes `start, start+step, …` while before `end`. `step ≠ 0`.
    Slice {
        /// The sliced axis.
        axis: usize,
        /// First index (ONNX semantics).
        start: i64,
        /// Exclusive end (ONNX semantics).
        end: i64,
        /// Step (negative walks backwards).
        step: i64,
    },
    /// Padding of every axis by `pads[axis] = (begin, end)`. `[x: T] -> T`. In `Constant` mode
    /// the border is `value` (cast to T: I64 truncates, Bool is `value != 0`).
    Pad {
        /// `(begin, end)` for each axis of the input.
        pads: Vec<(usize, usize)>,
        /// Border rule.
        mode: PadMode,
        /// Constant for `PadMode::Constant`.
        value: f32,
    },
    /// ONNX Gather: `[data: T [..pre, D, ..post]] [indices: I64 shape I] -> T [..pre, ..I,
    /// ..post]`, picking `data[.., idx, ..]`; negative indices add `D`; out of range is an
    /// evaluation error.
    Gather {
        /// The gathered axis of `data`.
        axis: usize,
    },
    /// ONNX GatherElements: `[data: T] [indices: I64, same rank] -> T shape(indices)`, with
    /// `y[i] = data[i with i[axis] replaced by indices[i]]` (negative indices add the dim).
    /// `indices` dims other than `axis` must be ≤ those of data.
    GatherElements {
        /// The indexed axis.
        axis: usize,
    },
    /// ONNX ScatterElements: `[data: T] [indices: I64] [updates: T, shape(indices)] -> T
    /// shape(data)`; a copy of data where, for each position `i` of `indices` in row-major
    /// order, `y[i with i[axis] = indices[i]]` is set to (or combined with, per `reduction`)
    /// `updates[i]`.
    ScatterElements {
        /// The indexed axis.
        axis: usize,
        /// How to combine.
        reduction: ScatterReduction,
    },
    /// Nearest-neighbour upsampling by integer factors per axis: `[x: T] -> T` with dims
    /// `d_i·factors[i]` and `y[p] = x[p_i / factors[i]]`.
    NearestUpsample {
        /// One factor ≥ 1 per input axis.
        factors: Vec<usize>,
    },
    /// ONNX OneHot: `[indices: I64 shape I] -> dtype` with `depth` inserted at output axis
    /// `axis` (0 ≤ axis ≤ rank(I)); the element is `on` where the position along `axis` equals
    /// the index (negative indices add `depth`), else `off`.
    OneHot {
        /// Position of the new axis in the output.
        axis: usize,
        /// Size of the new axis.
        depth: usize,
        /// Value where the index matches.
        on: f32,
        /// Value elsewhere.
        off: f32,
        /// Output dtype (values cast as in [`Op::Pad`]).
        dtype: DType,
    },
    /// TopK along `axis`: `[x: T, F32 or I64] -> values T or indices I64`, with `axis` resized
    /// to `k`. Results are sorted (descending if `largest`, else ascending); ties keep the
    /// lower index first.
    TopK {
        /// The searched axis.
        axis: usize,
        /// Number of elements kept (≤ dim).
        k: usize,
        /// Largest (true) or smallest (false).
        largest: bool,
        /// Which result this node produces.
        output: TopKOutput,
    },
    /// Element type conversion. F32→I64 truncates toward zero (saturating), any→Bool is
    /// `x != 0`, Bool→numeric is 0/1, I64→F32 rounds to nearest f32.
    Cast {
        /// Target type.
        to: DType,
    },
    /// The input unchanged.
    Identity,
}

impl Op {
    /// A short, stable name of the operator family (for errors and statistics).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "Input",
            Op::Const(_) => "Const",
            Op::MatMul { .. } => "MatMul",
            Op::Einsum { .. } => "Einsum",
            Op::Conv(_) => "Conv",
            Op::Deconv(_) => "Deconv",
            Op::Binary(b) => match b {
                BinaryOp::Add => "Add",
                BinaryOp::Sub => "Sub",
                BinaryOp::Mul => "Mul",
                BinaryOp::Div => "Div",
                BinaryOp::Pow => "Pow",
                BinaryOp::Max => "Max",
                BinaryOp::Min => "Min",
            },
            Op::Compare(c) => match c {
                CmpOp::Eq => "Eq",
                CmpOp::Ne => "Ne",
                CmpOp::Lt => "Lt",
                CmpOp::Gt => "Gt",
                CmpOp::Le => "Le",
                CmpOp::Ge => "Ge",
            },
            Op::Logic(l) => match l {
                LogicOp::And => "And",
                LogicOp::Or => "Or",
                LogicOp::Xor => "Xor",
            },
            Op::Not => "Not",
            Op::Where => "Where",
            Op::Unary(u) => u.name(),
            Op::Softmax { .. } => "Softmax",
            Op::LogSoftmax { .. } => "LogSoftmax",
            Op::Reduce { kind, .. } => match kind {
                ReduceKind::Sum => "ReduceSum",
                ReduceKind::Mean => "ReduceMean",
                ReduceKind::Max => "ReduceMax",
                ReduceKind::Min => "ReduceMin",
                ReduceKind::Prod => "ReduceProd",
                ReduceKind::SumSquare => "ReduceSumSquare",
                ReduceKind::MeanSquare => "ReduceMeanSquare",
                ReduceKind::ArgMax { .. } => "ArgMax",
                ReduceKind::ArgMin { .. } => "ArgMin",
            },
            Op::RmsNorm { .. } => "RmsNorm",
            Op::MaxPool(_) => "MaxPool",
            Op::SumPool { normalize, .. } => {
                if *normalize {
                    "AveragePool"
                } else {
                    "SumPool"
                }
            }
            Op::Reshape { .. } => "Reshape",
            Op::Transpose { .. } => "Transpose",
            Op::Broadcast { .. } => "Broadcast",
            Op::Concat { .. } => "Concat",
            Op::Slice { .. } => "Slice",
            Op::Pad { .. } => "Pad",
            Op::Gather { .. } => "Gather",
            Op::GatherElements { .. } => "GatherElements",
            Op::ScatterElements { .. } => "ScatterElements",
            Op::NearestUpsample { .. } => "NearestUpsample",
            Op::OneHot { .. } => "OneHot",
            Op::TopK { .. } => "TopK",
            Op::Cast { .. } => "Cast",
            Op::Identity => "Identity",
        }
    }
}
