//! Accuracy of the quantized model against the float reference: per output (and, on request,
//! per layer) the maximum absolute error, the relative L1 error, and for classifier-like outputs
//! (a last axis of size > 1) the fraction of rows whose argmax agrees.

use serde::{Deserialize, Serialize};

use crate::int_eval::Witness;
use crate::ir::Graph;
use crate::quant::QGraph;
use crate::tensor::Value;

/// Error statistics of one tensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorAccuracy {
    /// Output or node name.
    pub name: String,
    /// Number of elements compared.
    pub elements: usize,
    /// `max |q − f|`.
    pub max_abs_error: f64,
    /// `mean |q − f|`.
    pub mean_abs_error: f64,
    /// `Σ |q − f| / Σ |f|` (0 when both are all zero): the mean relative error, robust near zero.
    pub mean_rel_error: f64,
    /// `max |f|`, for scale.
    pub max_abs_reference: f64,
    /// For tensors with a last axis of size > 1: the fraction of rows (all other axes) whose
    /// argmax along the last axis agrees (first index on ties).
    pub argmax_agreement: Option<f64>,
}

impl TensorAccuracy {
    /// The acceptance rule: relative error ≤ `rel_tol` or max abs error ≤ `abs_tol`, and full
    /// argmax agreement where defined.
    pub fn passes(&self, rel_tol: f64, abs_tol: f64) -> bool {
        (self.mean_rel_error <= rel_tol || self.max_abs_error <= abs_tol)
            && self.argmax_agreement.is_none_or(|a| a == 1.0)
    }
}

fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Compares a quantized-run tensor `got` with the reference `reference` (same shape; values are
/// compared as `f64`, booleans as 0/1). A shape mismatch gives infinite errors.
pub fn compare(name: &str, reference: &Value, got: &Value) -> TensorAccuracy {
    let (f, q) = (reference.to_f64_vec(), got.to_f64_vec());
    if reference.shape() != got.shape() {
        return TensorAccuracy {
            name: name.to_string(),
            elements: 0,
            max_abs_error: f64::INFINITY,
            mean_abs_error: f64::INFINITY,
            mean_rel_error: f64::INFINITY,
            max_abs_reference: 0.0,
            argmax_agreement: Some(0.0),
        };
    }
    let n = f.len();
    let (mut max_err, mut sum_err, mut sum_ref, mut max_ref) = (0f64, 0f64, 0f64, 0f64);
    for (a, b) in f.iter().zip(&q) {
        let e = (a - b).abs();
        max_err = max_err.max(e);
        sum_err += e;
        sum_ref += a.abs();
        max_ref = max_ref.max(a.abs());
    }
    let rel = if sum_err == 0.0 {
        0.0
    } else if sum_ref == 0.0 {
        f64::INFINITY
    } else {
        sum_err / sum_ref
    };
    let last = reference.shape().last().copied().unwrap_or(1);
    let argmax_agreement =
        (last > 1 && reference.dtype() == crate::tensor::DType::F32).then(|| {
            let rows = n / last;
            let agree = f
                .chunks(last)
                .zip(q.chunks(last))
                .filter(|(a, b)| argmax(a) == argmax(b))
                .count();
            agree as f64 / rows.max(1) as f64
        });
    TensorAccuracy {
        name: name.to_string(),
        elements: n,
        max_abs_error: max_err,
        mean_abs_error: if n == 0 { 0.0 } else { sum_err / n as f64 },
        mean_rel_error: rel,
        max_abs_reference: max_ref,
        argmax_agreement,
    }
}

/// Per-output accuracy: `reference[k]` is the float value of output `k` (e.g. tract's run),
/// `got[k]` the dequantized integer output.
pub fn output_accuracy(q: &QGraph, reference: &[Value], got: &[Value]) -> Vec<TensorAccuracy> {
    q.outputs
        .iter()
        .zip(reference.iter().zip(got))
        .map(|(o, (f, g))| compare(&o.name, f, g))
        .collect()
}

/// Per-layer accuracy: every IR node that the quantized graph holds, compared with its float
/// value (`float_values[node]`, from `float_eval::run`).
pub fn layer_accuracy(
    ir: &Graph,
    q: &QGraph,
    float_values: &[Value],
    witness: &Witness,
) -> Vec<TensorAccuracy> {
    ir.nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let got = witness.ir_value(q, i)?;
            let f = float_values.get(i)?;
            Some(compare(
                &format!("{i} {} ({})", node.name, node.op.name()),
                f,
                &got,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    #[test]
    fn statistics() {
        let f: Value = Tensor::new(vec![2, 2], vec![1.0f32, 2.0, 3.0, -4.0])
            .expect("ok")
            .into();
        let g: Value = Tensor::new(vec![2, 2], vec![1.0f32, 2.5, 3.0, -3.0])
            .expect("ok")
            .into();
        let a = compare("y", &f, &g);
        assert_eq!(a.max_abs_error, 1.0);
        assert_eq!(a.mean_abs_error, 0.375);
        assert_eq!(a.mean_rel_error, 0.15);
        // Row 0: argmax 1 vs 1; row 1: argmax 0 vs 0.
        assert_eq!(a.argmax_agreement, Some(1.0));
        assert!(a.passes(0.2, 0.0));
        assert!(!a.passes(0.1, 0.5));
        let bad: Value = Tensor::new(vec![4], vec![0.0f32; 4]).expect("ok").into();
        assert!(compare("y", &f, &bad).max_abs_error.is_infinite());
    }
}
