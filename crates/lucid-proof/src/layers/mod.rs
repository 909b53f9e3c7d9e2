//! Per-operator protocols for the *virtual* tensors of `docs/PROOF.md`: each turns one
//! evaluation claim on a node's output (padded layout, [`crate::layout`]) into claims on its
//! operands, with the prover and the verifier side by side.
//!
//! | operators | module | protocol |
//! |---|---|---|
//! | `MatMul` (batched, transposes, broadcast batch) | [`matmul`] | sumcheck over batch × contraction variables |
//! | `Conv` (N-d, strides, pads, dilations, groups, bias) | [`conv`] | sumcheck over channels × kernel taps, then over input positions |
//! | `Deconv` (transposed convolution, same parameters plus output padding) | [`deconv`] | the same two sumchecks, input and output positions exchanged |
//! | `Einsum` (one or two operands, no diagonals) | [`einsum`] | sumcheck over the shared labels |
//! | `Add`, `Sub`, `Mul`, `Requant` (shift ≤ 0), `Broadcast`, `Identity`, `Transpose`, layout-preserving `Reshape` | [`elementwise`] | linear combination / Hadamard sumcheck / point manipulation |
//! | `SumPool`, `ReduceSum`, `Reshape`, `Slice`, `Pad`, `Concat`, `NearestUpsample`, `Gather`, `GatherElements` (constant indices) | [`index_map`], [`maps`] | index-map sumcheck `Y(r) = Σ_x M_r(x)·X(x)` |
//!
//! The entry points are [`prove_node`] and [`verify_node`]. The verifier needs only the
//! operands' shapes and the public index constants, never operand values. Every protocol starts
//! with the same transcript prefix (see [`observe_claim`]) and documents the rest under
//! `# Transcript`.

pub mod conv;
mod conv_phases;
pub mod deconv;
pub mod einsum;
pub mod elementwise;
pub mod index_map;
pub mod maps;
pub mod matmul;

#[cfg(test)]
mod tests;

use lucid_core::field::EF;
use lucid_core::mle::EvalClaim;
use lucid_core::sumcheck::{SumcheckError, SumcheckProof};
use lucid_core::transcript::Transcript;
use lucid_model::ir::Op;
use lucid_model::quant::{QNode, QOp};
use lucid_model::tensor::Tensor;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::layout::{LayoutError, PaddedShape, PaddedTensor};

pub use conv::ConvProof;
pub use index_map::IndexMapProof;

/// A claim left open on operand `operand` (an index into the node's `inputs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperandClaim {
    pub operand: usize,
    pub claim: EvalClaim,
}

/// A sumcheck and the evaluations the prover sends at its final point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductProof {
    pub sumcheck: SumcheckProof,
    pub evals: Vec<EF>,
}

/// The proof of one node's reduction, one variant per protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerProof {
    /// No message: `Identity`, `Transpose`, layout-preserving `Reshape`, `Requant` (shift ≤ 0).
    Free,
    /// Operand evaluations the verifier combines linearly: `Add`, `Sub`, `Broadcast`.
    Evals(Vec<EF>),
    /// Batched matrix product, or a two-operand einsum.
    MatMul(ProductProof),
    /// Element-wise product.
    Mul(ProductProof),
    /// Convolution or transposed convolution.
    Conv(ConvProof),
    /// Index-map sumcheck (pooling, reductions, data movement).
    IndexMap(IndexMapProof),
}

impl LayerProof {
    /// Number of extension-field elements in the proof.
    pub fn num_elements(&self) -> usize {
        let sc = |s: &SumcheckProof| s.num_elements();
        match self {
            LayerProof::Free => 0,
            LayerProof::Evals(e) => e.len(),
            LayerProof::MatMul(p) | LayerProof::Mul(p) => sc(&p.sumcheck) + p.evals.len(),
            LayerProof::Conv(p) => {
                usize::from(p.bias.is_some()) + sc(&p.channels) + sc(&p.positions) + 3
            }
            LayerProof::IndexMap(p) => {
                p.shares.len() + p.sumchecks.iter().map(sc).sum::<usize>() + p.evals.len()
            }
        }
    }

    /// Size of the proof's field elements in bytes (24 per extension-field element).
    pub fn size_bytes(&self) -> usize {
        self.num_elements() * lucid_core::sumcheck::proof::EF_BYTES
    }

    /// The variant's name, for errors.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerProof::Free => "Free",
            LayerProof::Evals(_) => "Evals",
            LayerProof::MatMul(_) => "MatMul",
            LayerProof::Mul(_) => "Mul",
            LayerProof::Conv(_) => "Conv",
            LayerProof::IndexMap(_) => "IndexMap",
        }
    }
}

/// Why a layer could not be proved or its proof was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LayerError {
    /// The operator (or this use of it) has no layer protocol.
    #[error("node '{node}' ({op}) has no layer protocol: {reason}")]
    Unsupported {
        node: String,
        op: &'static str,
        reason: String,
    },
    /// Operand count, shapes or parameters do not match the operator.
    #[error("node '{node}' ({op}): {reason}")]
    Shape {
        node: String,
        op: &'static str,
        reason: String,
    },
    /// The proof is of another protocol than the node's.
    #[error("proof of kind {got}, expected {expected}")]
    WrongProofKind {
        expected: &'static str,
        got: &'static str,
    },
    /// A list in the proof has the wrong length.
    #[error("wrong number of {what}: expected {expected}, got {got}")]
    WrongCount {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A check of the claimed values failed.
    #[error("{what}: expected {expected:?}, got {got:?}")]
    Mismatch {
        what: &'static str,
        expected: EF,
        got: EF,
    },
    /// A sumcheck was rejected.
    #[error("sumcheck: {0}")]
    Sumcheck(#[from] SumcheckError),
    /// A point or shape does not fit the padded layout.
    #[error("layout: {0}")]
    Layout(#[from] LayoutError),
}

/// Shapes and public constants of a node's operands, as both sides see them.
#[derive(Clone, Copy, Debug)]
pub struct NodeCtx<'a> {
    pub node: &'a QNode,
    /// Real shapes of the operands (the node's `inputs`, in order).
    pub shapes: &'a [&'a [usize]],
    /// Per operand, its value when it is a public index constant (`Gather`/`GatherElements`
    /// indices); may be shorter than `shapes` (missing entries are `None`).
    pub consts: &'a [Option<&'a Tensor<i64>>],
}

impl NodeCtx<'_> {
    pub(crate) fn err(&self, reason: impl Into<String>) -> LayerError {
        LayerError::Shape {
            node: self.node.name.clone(),
            op: self.node.op.name(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(&self, reason: impl Into<String>) -> LayerError {
        LayerError::Unsupported {
            node: self.node.name.clone(),
            op: self.node.op.name(),
            reason: reason.into(),
        }
    }

    pub(crate) fn expect_operands(
        &self,
        n: std::ops::RangeInclusive<usize>,
    ) -> Result<(), LayerError> {
        if !n.contains(&self.shapes.len()) || self.node.inputs.len() != self.shapes.len() {
            return Err(self.err(format!(
                "{} operands given for {} inputs (expected {n:?})",
                self.shapes.len(),
                self.node.inputs.len()
            )));
        }
        Ok(())
    }

    pub(crate) fn index_const(&self, operand: usize) -> Result<&Tensor<i64>, LayerError> {
        self.consts.get(operand).copied().flatten().ok_or_else(|| {
            self.unsupported(format!("operand {operand} must be a public index constant"))
        })
    }

    pub(crate) fn out_shape(&self) -> PaddedShape {
        PaddedShape::new(&self.node.shape)
    }
}

/// Whether the layer protocols prove `op` (as a virtual tensor).
pub fn is_layer_op(op: &QOp) -> bool {
    match op {
        QOp::MatMul { .. }
        | QOp::Conv(_)
        | QOp::Deconv(_)
        | QOp::Add { .. }
        | QOp::Sub { .. }
        | QOp::Mul
        | QOp::SumPool(_)
        | QOp::ReduceSum { .. } => true,
        QOp::Requant { shift, .. } => *shift <= 0,
        QOp::Einsum { expr } => einsum::supported(expr),
        QOp::Exact(op) => matches!(
            op,
            Op::Identity
                | Op::Reshape { .. }
                | Op::Transpose { .. }
                | Op::Broadcast { .. }
                | Op::Slice { .. }
                | Op::Pad { .. }
                | Op::Concat { .. }
                | Op::NearestUpsample { .. }
                | Op::Gather { .. }
                | Op::GatherElements { .. }
        ),
        _ => false,
    }
}

/// Operands of `op` that must be public constants known to the verifier (they receive no
/// claim): the indices of `Gather` and `GatherElements`.
pub fn index_operands(op: &QOp) -> &'static [usize] {
    match op {
        QOp::Exact(Op::Gather { .. } | Op::GatherElements { .. }) => &[1],
        _ => &[],
    }
}

/// The transcript prefix of every layer protocol: `label(b"layer")`, then
/// `observe_ext_slice(b"layer/point", claim.point)`, `observe_ext(b"layer/value", claim.value)`.
pub fn observe_claim(claim: &EvalClaim, transcript: &mut Transcript) {
    transcript.label(b"layer");
    transcript.observe_ext_slice(b"layer/point", &claim.point);
    transcript.observe_ext(b"layer/value", claim.value);
}

/// Proves `claim` (on `node`'s output, padded layout) from the operands' tensors, returning the
/// proof and the claims it leaves open on the operands. `index_consts[i]` is operand `i`'s value
/// when it is a public index constant (see [`index_operands`]).
///
/// # Transcript
/// [`observe_claim`], then the operator's protocol (see its module).
pub fn prove_node(
    node: &QNode,
    operands: &[&PaddedTensor],
    index_consts: &[Option<&Tensor<i64>>],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
    let shapes: Vec<&[usize]> = operands.iter().map(|t| t.shape.dims()).collect();
    let ctx = NodeCtx {
        node,
        shapes: &shapes,
        consts: index_consts,
    };
    ctx.out_shape().check_point(&claim.point)?;
    observe_claim(claim, transcript);
    match &node.op {
        QOp::MatMul { .. } => matmul::prove(&ctx, operands, claim, transcript),
        QOp::Conv(_) => conv::prove(&ctx, operands, claim, transcript),
        QOp::Deconv(_) => deconv::prove(&ctx, operands, claim, transcript),
        QOp::Einsum { .. } => einsum::prove(&ctx, operands, claim, transcript),
        QOp::Add { .. } | QOp::Sub { .. } | QOp::Mul | QOp::Requant { .. } => {
            elementwise::prove(&ctx, operands, claim, transcript)
        }
        QOp::Exact(Op::Identity | Op::Transpose { .. } | Op::Broadcast { .. }) => {
            elementwise::prove(&ctx, operands, claim, transcript)
        }
        QOp::SumPool(_) | QOp::ReduceSum { .. } | QOp::Exact(_) => match maps::plan(&ctx)? {
            maps::MapPlan::Free(f) => Ok((LayerProof::Free, f.apply(claim))),
            maps::MapPlan::Map(m) => index_map::prove(&m, operands, claim, transcript),
        },
        _ => Err(ctx.unsupported("not a virtual (layer-proved) operator")),
    }
}

/// Verifies a node's proof for `claim` and returns the claims left open on its operands.
/// `operand_shapes` are the padded layouts of the node's inputs; `index_consts` as in
/// [`prove_node`].
///
/// # Transcript
/// As in [`prove_node`].
pub fn verify_node(
    node: &QNode,
    operand_shapes: &[PaddedShape],
    index_consts: &[Option<&Tensor<i64>>],
    claim: &EvalClaim,
    proof: &LayerProof,
    transcript: &mut Transcript,
) -> Result<Vec<OperandClaim>, LayerError> {
    let shapes: Vec<&[usize]> = operand_shapes.iter().map(PaddedShape::dims).collect();
    let ctx = NodeCtx {
        node,
        shapes: &shapes,
        consts: index_consts,
    };
    ctx.out_shape().check_point(&claim.point)?;
    observe_claim(claim, transcript);
    match &node.op {
        QOp::MatMul { .. } => matmul::verify(&ctx, claim, proof, transcript),
        QOp::Conv(_) => conv::verify(&ctx, claim, proof, transcript),
        QOp::Deconv(_) => deconv::verify(&ctx, claim, proof, transcript),
        QOp::Einsum { .. } => einsum::verify(&ctx, claim, proof, transcript),
        QOp::Add { .. } | QOp::Sub { .. } | QOp::Mul | QOp::Requant { .. } => {
            elementwise::verify(&ctx, claim, proof, transcript)
        }
        QOp::Exact(Op::Identity | Op::Transpose { .. } | Op::Broadcast { .. }) => {
            elementwise::verify(&ctx, claim, proof, transcript)
        }
        QOp::SumPool(_) | QOp::ReduceSum { .. } | QOp::Exact(_) => match maps::plan(&ctx)? {
            maps::MapPlan::Free(f) => {
                expect_free(proof)?;
                Ok(f.apply(claim))
            }
            maps::MapPlan::Map(m) => index_map::verify(&m, claim, proof, transcript),
        },
        _ => Err(ctx.unsupported("not a virtual (layer-proved) operator")),
    }
}

pub(crate) fn expect_free(proof: &LayerProof) -> Result<(), LayerError> {
    match proof {
        LayerProof::Free => Ok(()),
        other => Err(LayerError::WrongProofKind {
            expected: "Free",
            got: other.kind(),
        }),
    }
}

pub(crate) fn check_count(
    what: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), LayerError> {
    if expected != got {
        return Err(LayerError::WrongCount {
            what,
            expected,
            got,
        });
    }
    Ok(())
}
