//! Pooling: max pooling (padding never wins) and sum/average pooling (padding reads 0).

use super::linear::{NONE, taps};
use super::{bad_value, for_each_chunk};
use crate::ir::{OpError, PoolSpec, TensorFact};
use crate::tensor::{Tensor, Value, numel};

/// Window table: for each kernel tap `q` and output position `p`, the input spatial offset.
fn window_table(spec: &PoolSpec, in_sp: &[usize], out_sp: &[usize]) -> Vec<usize> {
    taps(
        out_sp,
        in_sp,
        &spec.kernel,
        &spec.strides,
        &spec.dilations,
        &spec.pads,
    )
}

/// Number of real (non-padding) elements in each output window.
fn real_counts(table: &[usize], p_out: usize, kk: usize) -> Vec<usize> {
    (0..p_out)
        .map(|p| (0..kk).filter(|q| table[q * p_out + p] != NONE).count())
        .collect()
}

/// [`crate::ir::Op::MaxPool`].
pub(super) fn max_pool(spec: &PoolSpec, x: &Value, out: &TensorFact) -> Result<Value, OpError> {
    let t = x.as_f32()?;
    let (xs, os) = (t.shape(), out.shape.as_slice());
    let (p_in, p_out, kk) = (numel(&xs[2..]), numel(&os[2..]), numel(&spec.kernel));
    let table = window_table(spec, &xs[2..], &os[2..]);
    if real_counts(&table, p_out, kk).contains(&0) {
        return Err(bad_value("a max-pool window lies entirely in the padding"));
    }
    let xd = t.data();
    let mut data = vec![f32::NEG_INFINITY; numel(os)];
    for_each_chunk(&mut data, p_out, |ch, buf| {
        let base = ch * p_in;
        for q in 0..kk {
            for (slot, &src) in buf.iter_mut().zip(&table[q * p_out..(q + 1) * p_out]) {
                if src != NONE {
                    *slot = slot.max(xd[base + src]);
                }
            }
        }
    });
    Ok(Value::F32(Tensor::new(os.to_vec(), data)?))
}

/// [`crate::ir::Op::SumPool`] (AveragePool when `normalize`).
pub(super) fn sum_pool(
    spec: &PoolSpec,
    normalize: bool,
    count_include_pad: bool,
    x: &Value,
    out: &TensorFact,
) -> Result<Value, OpError> {
    let t = x.as_f32()?;
    let (xs, os) = (t.shape(), out.shape.as_slice());
    let (p_in, p_out, kk) = (numel(&xs[2..]), numel(&os[2..]), numel(&spec.kernel));
    let table = window_table(spec, &xs[2..], &os[2..]);
    let divisors: Vec<f64> = if !normalize {
        vec![1.0; p_out]
    } else if count_include_pad {
        vec![kk as f64; p_out]
    } else {
        real_counts(&table, p_out, kk)
            .into_iter()
            .map(|c| c as f64)
            .collect()
    };
    let xd = t.data();
    let mut acc = vec![0f64; numel(os)];
    for_each_chunk(&mut acc, p_out, |ch, buf| {
        let base = ch * p_in;
        for q in 0..kk {
            for (slot, &src) in buf.iter_mut().zip(&table[q * p_out..(q + 1) * p_out]) {
                if src != NONE {
                    *slot += f64::from(xd[base + src]);
                }
            }
        }
        buf.iter_mut().zip(&divisors).for_each(|(v, d)| *v /= d);
    });
    let data = acc.into_iter().map(|v| v as f32).collect();
    Ok(Value::F32(Tensor::new(os.to_vec(), data)?))
}
