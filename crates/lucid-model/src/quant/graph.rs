//! The quantized graph: the serializable artifact the compiler stores and the prover proves.
//!
//! Every node produces one integer tensor (booleans as 0/1) with a static shape, a scale (real
//! value = integer · 2^−scale; 0 for integer and boolean tensors) and a range proven by interval
//! analysis for every input in the input's quantized range. See [`QOp`] for the exact integer
//! semantics of each operator.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ir::{ConvSpec, DType, DeconvSpec, Op, PoolSpec};
use crate::quant::fixed::Rounding;
use crate::quant::interval::Interval;
use crate::quant::table::{TableError, TableSpec};
use crate::tensor::Tensor;

/// Quantization options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Width of activations (every requantized tensor, and the inputs).
    pub act_bits: u32,
    /// Width of quantized weights and other constants.
    pub weight_bits: u32,
    /// Largest lookup table: `2^table_bits` entries.
    pub table_bits: u32,
    /// Extra bits of range above the calibrated maximum (protects unseen inputs from clamping).
    pub headroom_bits: u32,
    /// Rounding of every rescale.
    pub rounding: Rounding,
    /// Scales are limited to `[−max_scale, max_scale]`.
    pub max_scale: i32,
}

impl Default for QuantConfig {
    fn default() -> Self {
        Self {
            act_bits: 16,
            weight_bits: 16,
            table_bits: 16,
            headroom_bits: 2,
            rounding: Rounding::HalfUp,
            max_scale: 40,
        }
    }
}

/// The element kind of a quantized tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QKind {
    /// Fixed point at the node's scale: dequantizes to `f32`.
    Fixed,
    /// An exact integer (IR dtype `I64`), scale 0.
    Int,
    /// A boolean stored as 0/1, scale 0.
    Bool,
}

impl QKind {
    /// The IR dtype this kind dequantizes to.
    pub fn dtype(self) -> DType {
        match self {
            QKind::Fixed => DType::F32,
            QKind::Int => DType::I64,
            QKind::Bool => DType::Bool,
        }
    }

    /// The kind of an IR dtype.
    pub fn of(dtype: DType) -> Self {
        match dtype {
            DType::F32 => QKind::Fixed,
            DType::I64 => QKind::Int,
            DType::Bool => QKind::Bool,
        }
    }
}

/// An integer operator. Inputs are listed as `[name]`; all arithmetic is exact over ℤ unless a
/// rescale or a table says otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum QOp {
    /// Graph input `index`: `clamp(round(x · 2^scale), range)` of the real input (integers and
    /// booleans as given, clamped into the range).
    Input {
        /// Index into the graph inputs.
        index: usize,
    },
    /// A quantized constant.
    Const(Tensor<i64>),
    /// `[a] [b]`: batched matrix product (as `Op::MatMul`), exact.
    MatMul {
        /// `a` is stored transposed.
        transpose_a: bool,
        /// `b` is stored transposed.
        transpose_b: bool,
    },
    /// Einsum over the inputs (as `Op::Einsum`), exact.
    Einsum {
        /// The explicit expression.
        expr: String,
    },
    /// `[x] [w] [bias?]`: convolution, exact (bias at the accumulator scale).
    Conv(ConvSpec),
    /// `[x] [w] [bias?]`: transposed convolution, exact.
    Deconv(DeconvSpec),
    /// `[a] [b]`: `a · 2^shifts[0] + b · 2^shifts[1]`, broadcast.
    Add {
        /// Left shifts aligning the operands' scales.
        shifts: [u32; 2],
    },
    /// `[a] [b]`: `a · 2^shifts[0] − b · 2^shifts[1]`, broadcast.
    Sub {
        /// Left shifts aligning the operands' scales.
        shifts: [u32; 2],
    },
    /// `[a] [b]`: element-wise product, broadcast.
    Mul,
    /// `[x]`: window sums (padding reads 0).
    SumPool(PoolSpec),
    /// `[x]`: sum over `axes`.
    ReduceSum {
        /// Reduced axes (sorted).
        axes: Vec<usize>,
        /// Keep reduced axes as 1.
        keepdims: bool,
    },
    /// `[x]`: `clamp(rescale(x, shift), lo, hi)`: for `shift > 0` the quotient `q` of
    /// `x + offset = q · 2^shift + r`, `0 ≤ r < 2^shift` (offset per `rounding`), for `shift ≤ 0`
    /// the exact `x · 2^−shift`; then clamped into `[lo, hi]`.
    Requant {
        /// Bits removed (negative: bits added).
        shift: i32,
        /// Rounding of the quotient.
        rounding: Rounding,
        /// Clamp lower bound.
        lo: i64,
        /// Clamp upper bound.
        hi: i64,
    },
    /// `[x]`: table lookup `T[clamp(x, domain) − in_lo]` (the input range is always inside the
    /// domain, proven by the analysis, so the clamp never acts).
    Table(TableSpec),
    /// An IR operator applied to the integer tensors unchanged: data movement (reshape, transpose,
    /// slice, gather, pad, concat, …), comparisons, selection, max/min (pooling, reductions,
    /// element-wise), argmax, boolean logic, integer casts. Every fixed-point operand has the
    /// node's scale, so these operators commute with dequantization.
    Exact(Op),
}

impl QOp {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            QOp::Input { .. } => "Input",
            QOp::Const(_) => "Const",
            QOp::MatMul { .. } => "MatMul",
            QOp::Einsum { .. } => "Einsum",
            QOp::Conv(_) => "Conv",
            QOp::Deconv(_) => "Deconv",
            QOp::Add { .. } => "Add",
            QOp::Sub { .. } => "Sub",
            QOp::Mul => "Mul",
            QOp::SumPool(_) => "SumPool",
            QOp::ReduceSum { .. } => "ReduceSum",
            QOp::Requant { .. } => "Requant",
            QOp::Table(_) => "Table",
            QOp::Exact(op) => op.name(),
        }
    }
}

/// One node of the quantized graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QNode {
    /// Name: the IR node's name, with a `/step` suffix for the parts of a decomposition.
    pub name: String,
    /// Index of the IR node this node implements (or helps implement).
    pub source: usize,
    /// The operator.
    pub op: QOp,
    /// Operand node indices, each strictly earlier.
    pub inputs: Vec<usize>,
    /// Static output shape.
    pub shape: Vec<usize>,
    /// Element kind.
    pub kind: QKind,
    /// Scale (fractional bits); 0 for `Int` and `Bool`.
    pub scale: i32,
    /// Every value this node can take, for every input in the inputs' quantized ranges.
    pub range: Interval,
}

/// A graph input of the quantized graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QInput {
    /// Name (from the IR).
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Kind.
    pub kind: QKind,
    /// Scale of the quantized input.
    pub scale: i32,
    /// Node reading it.
    pub node: usize,
}

/// A graph output: a node, dequantized at its scale into its kind's dtype.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QOutput {
    /// Name (from the IR).
    pub name: String,
    /// Producing node.
    pub node: usize,
}

/// The quantized graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QGraph {
    /// Nodes in topological order.
    pub nodes: Vec<QNode>,
    /// Inputs.
    pub inputs: Vec<QInput>,
    /// Outputs.
    pub outputs: Vec<QOutput>,
    /// For each IR node, the quantized node holding its value (if it has one).
    pub ir_map: Vec<Option<usize>>,
    /// The options used.
    pub config: QuantConfig,
}

/// Why a graph cannot be quantized.
#[derive(Debug, Error)]
pub enum QuantError {
    /// An accumulator or value could leave the field's signed range `±(p − 1)/2`.
    #[error(
        "node {index} '{node}' ({op}) can reach [{lo}, {hi}], outside the field's signed range ±(p−1)/2 \
         (lower the bit widths)"
    )]
    Overflow {
        /// IR node index.
        index: usize,
        /// Name of the (IR) node.
        node: String,
        /// Operator.
        op: &'static str,
        /// Lower bound reached.
        lo: i128,
        /// Upper bound reached.
        hi: i128,
    },
    /// The operator (or this use of it) has no quantized form.
    #[error("node {index} '{node}' ({op}): not quantizable: {reason}")]
    Unsupported {
        /// IR node index.
        index: usize,
        /// Name of the node.
        node: String,
        /// Operator.
        op: &'static str,
        /// Why.
        reason: String,
    },
    /// The calibration data does not match the graph.
    #[error("calibration: {reason}")]
    Calibration {
        /// What is wrong.
        reason: String,
    },
    /// Invalid options.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A table could not be built.
    #[error("node '{node}': {source}")]
    Table {
        /// Node name.
        node: String,
        /// The reason.
        source: TableError,
    },
    /// A kernel failed while computing a constant.
    #[error("node '{node}': {reason}")]
    Internal {
        /// Node name.
        node: String,
        /// What failed.
        reason: String,
    },
}

impl QGraph {
    /// Structural checks of a (possibly deserialized) graph, so the interpreter never indexes out
    /// of bounds: operands strictly earlier, operand counts, input indices, shift amounts.
    pub fn validate(&self) -> Result<(), String> {
        for (i, n) in self.nodes.iter().enumerate() {
            let arity_ok = match &n.op {
                QOp::Input { index } => n.inputs.is_empty() && *index < self.inputs.len(),
                QOp::Const(t) => n.inputs.is_empty() && t.shape() == n.shape.as_slice(),
                QOp::MatMul { .. } | QOp::Add { .. } | QOp::Sub { .. } | QOp::Mul => {
                    n.inputs.len() == 2
                }
                QOp::Conv(_) | QOp::Deconv(_) => (2..=3).contains(&n.inputs.len()),
                QOp::SumPool(_) | QOp::ReduceSum { .. } | QOp::Requant { .. } | QOp::Table(_) => {
                    n.inputs.len() == 1
                }
                QOp::Einsum { .. } | QOp::Exact(_) => {
                    !n.inputs.is_empty() || matches!(n.op, QOp::Exact(Op::Const(_)))
                }
            };
            if !arity_ok {
                return Err(format!(
                    "node {i} '{}' ({}): wrong operands {:?}",
                    n.name,
                    n.op.name(),
                    n.inputs
                ));
            }
            if let Some(&bad) = n.inputs.iter().find(|&&j| j >= i) {
                return Err(format!(
                    "node {i} '{}' reads node {bad}, not an earlier node",
                    n.name
                ));
            }
            let shifts_ok = match &n.op {
                QOp::Add { shifts } | QOp::Sub { shifts } => shifts.iter().all(|&s| s <= 62),
                QOp::Requant { shift, lo, hi, .. } => (-62..=126).contains(shift) && lo <= hi,
                _ => true,
            };
            if !shifts_ok || n.range.lo > n.range.hi {
                return Err(format!(
                    "node {i} '{}': invalid shift, clamp or range",
                    n.name
                ));
            }
        }
        for o in &self.outputs {
            if o.node >= self.nodes.len() {
                return Err(format!(
                    "output '{}' refers to missing node {}",
                    o.name, o.node
                ));
            }
        }
        for (k, inp) in self.inputs.iter().enumerate() {
            if !matches!(self.nodes.get(inp.node).map(|n| &n.op), Some(QOp::Input { index }) if *index == k)
            {
                return Err(format!(
                    "input {k} '{}' is not read by its Input node",
                    inp.name
                ));
            }
        }
        Ok(())
    }

    /// The real value of every element of node `id`'s tensor (`f32` for fixed point, unchanged
    /// integers, booleans).
    pub fn dequantize(&self, id: usize, t: &Tensor<i64>) -> crate::tensor::Value {
        let node = &self.nodes[id];
        match node.kind {
            QKind::Fixed => {
                let f = crate::quant::fixed::pow2(-node.scale);
                t.map(|&v| (v as f64 * f) as f32).into()
            }
            QKind::Int => t.clone().into(),
            QKind::Bool => t.map(|&v| v != 0).into(),
        }
    }

    /// Number of table lookups of each table (spec, number of looked-up elements).
    pub fn tables(&self) -> Vec<(TableSpec, usize)> {
        self.nodes
            .iter()
            .filter_map(|n| match &n.op {
                QOp::Table(spec) => Some((*spec, n.shape.iter().product())),
                _ => None,
            })
            .collect()
    }
}
