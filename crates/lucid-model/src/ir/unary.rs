//! Elementwise functions of one tensor ([`super::Op::Unary`]) and their exact definitions.

use serde::{Deserialize, Serialize};

/// An elementwise function `y = f(x)` on F32 tensors (Abs, Neg, Sign also on I64).
/// Each variant documents `f` in real arithmetic; the float interpreter evaluates it in f64 and
/// rounds to f32.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum UnaryFn {
    /// `max(x, 0)`.
    Relu,
    /// `x` if `x ≥ 0`, else `alpha·x`.
    LeakyRelu {
        /// Negative slope.
        alpha: f32,
    },
    /// `1 / (1 + e^{-x})`.
    Sigmoid,
    /// `max(0, min(1, alpha·x + beta))`.
    HardSigmoid {
        /// Slope.
        alpha: f32,
        /// Offset.
        beta: f32,
    },
    /// `x · max(0, min(1, x/6 + 1/2))`.
    HardSwish,
    /// `tanh(x)`.
    Tanh,
    /// `e^x`.
    Exp,
    /// Natural logarithm `ln x` (NaN for x < 0, −∞ at 0).
    Ln,
    /// `√x`.
    Sqrt,
    /// `1 / √x`.
    Rsqrt,
    /// `1 / x`.
    Recip,
    /// `x²`.
    Square,
    /// The error function `erf(x)`.
    Erf,
    /// `x/2 · (1 + erf(x/√2))`.
    GeluExact,
    /// `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))`.
    GeluTanh,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `x` if `x > 0`, else `alpha·(e^x − 1)`.
    Elu {
        /// Scale of the negative part.
        alpha: f32,
    },
    /// `gamma·x` if `x > 0`, else `gamma·alpha·(e^x − 1)` (ONNX defaults alpha ≈ 1.67326,
    /// gamma ≈ 1.0507).
    Selu {
        /// Scale of the exponential part.
        alpha: f32,
        /// Overall scale.
        gamma: f32,
    },
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `tan x`.
    Tan,
    /// `asin x`.
    Asin,
    /// `acos x`.
    Acos,
    /// `atan x`.
    Atan,
    /// `sinh x`.
    Sinh,
    /// `cosh x`.
    Cosh,
    /// `asinh x`.
    Asinh,
    /// `acosh x`.
    Acosh,
    /// `atanh x`.
    Atanh,
    /// `|x|`.
    Abs,
    /// `−x`.
    Neg,
    /// `−1, 0 or 1` by the sign of x.
    Sign,
    /// Largest integer ≤ x.
    Floor,
    /// Smallest integer ≥ x.
    Ceil,
    /// Nearest integer, halves to even (ONNX Round).
    Round,
    /// `min(max(x, min), max)`; a missing bound is not applied.
    Clip {
        /// Lower bound.
        min: Option<f32>,
        /// Upper bound.
        max: Option<f32>,
    },
}

impl UnaryFn {
    /// A short name (for errors and statistics).
    pub fn name(&self) -> &'static str {
        match self {
            UnaryFn::Relu => "Relu",
            UnaryFn::LeakyRelu { .. } => "LeakyRelu",
            UnaryFn::Sigmoid => "Sigmoid",
            UnaryFn::HardSigmoid { .. } => "HardSigmoid",
            UnaryFn::HardSwish => "HardSwish",
            UnaryFn::Tanh => "Tanh",
            UnaryFn::Exp => "Exp",
            UnaryFn::Ln => "Ln",
            UnaryFn::Sqrt => "Sqrt",
            UnaryFn::Rsqrt => "Rsqrt",
            UnaryFn::Recip => "Recip",
            UnaryFn::Square => "Square",
            UnaryFn::Erf => "Erf",
            UnaryFn::GeluExact => "GeluExact",
            UnaryFn::GeluTanh => "GeluTanh",
            UnaryFn::Softplus => "Softplus",
            UnaryFn::Softsign => "Softsign",
            UnaryFn::Elu { .. } => "Elu",
            UnaryFn::Selu { .. } => "Selu",
            UnaryFn::Sin => "Sin",
            UnaryFn::Cos => "Cos",
            UnaryFn::Tan => "Tan",
            UnaryFn::Asin => "Asin",
            UnaryFn::Acos => "Acos",
            UnaryFn::Atan => "Atan",
            UnaryFn::Sinh => "Sinh",
            UnaryFn::Cosh => "Cosh",
            UnaryFn::Asinh => "Asinh",
            UnaryFn::Acosh => "Acosh",
            UnaryFn::Atanh => "Atanh",
            UnaryFn::Abs => "Abs",
            UnaryFn::Neg => "Neg",
            UnaryFn::Sign => "Sign",
            UnaryFn::Floor => "Floor",
            UnaryFn::Ceil => "Ceil",
            UnaryFn::Round => "Round",
            UnaryFn::Clip { .. } => "Clip",
        }
    }

    /// True when the function also applies to I64 tensors (Abs, Neg, Sign, Relu, Clip on
    /// integers are exact).
    pub fn accepts_i64(&self) -> bool {
        matches!(
            self,
            UnaryFn::Abs | UnaryFn::Neg | UnaryFn::Sign | UnaryFn::Relu | UnaryFn::Clip { .. }
        )
    }

    /// True for functions that are piecewise linear with integer breakpoints in their input
    /// scale (no lookup table needed after quantization): Relu, LeakyRelu, Abs, Neg, Sign, Clip,
    /// HardSigmoid, Floor, Ceil, Round.
    pub fn is_piecewise_linear(&self) -> bool {
        matches!(
            self,
            UnaryFn::Relu
                | UnaryFn::LeakyRelu { .. }
                | UnaryFn::Abs
                | UnaryFn::Neg
                | UnaryFn::Sign
                | UnaryFn::Clip { .. }
                | UnaryFn::HardSigmoid { .. }
                | UnaryFn::Floor
                | UnaryFn::Ceil
                | UnaryFn::Round
        )
    }
}
