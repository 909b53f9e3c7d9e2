//! Dense row-major tensors, element types and numpy-style broadcasting.
//!
//! [`Tensor<T>`] owns a shape and a flat row-major buffer whose length always equals the
//! product of the shape (checked on construction and on deserialization). A rank-0 tensor has
//! shape `[]` and one element. [`Value`] is a tensor of one of the three element types the IR
//! knows ([`DType`]): `f32` numbers, `i64` integers (indices, labels, counts) and booleans.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors from tensor construction, indexing and broadcasting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TensorError {
    /// The buffer length differs from the product of the shape.
    #[error("shape {shape:?} needs {expected} elements, got {got}")]
    LenMismatch {
        /// The requested shape.
        shape: Vec<usize>,
        /// Product of the shape.
        expected: usize,
        /// Length of the buffer.
        got: usize,
    },
    /// A multi-index has the wrong rank or a coordinate out of range.
    #[error("index {index:?} out of bounds for shape {shape:?}")]
    IndexOutOfBounds {
        /// The index.
        index: Vec<usize>,
        /// The tensor shape.
        shape: Vec<usize>,
    },
    /// Two shapes cannot be broadcast together (numpy rules).
    #[error("shapes {a:?} and {b:?} cannot be broadcast together")]
    Broadcast {
        /// First shape.
        a: Vec<usize>,
        /// Second shape.
        b: Vec<usize>,
    },
    /// The element count overflows `usize`.
    #[error("shape {shape:?} has too many elements")]
    TooLarge {
        /// The shape.
        shape: Vec<usize>,
    },
    /// A value has a different element type than required.
    #[error("expected a {expected} tensor, got {got}")]
    DType {
        /// Required type.
        expected: DType,
        /// Actual type.
        got: DType,
    },
}

/// Number of elements of a shape (1 for rank 0), or an error on overflow.
pub fn checked_numel(shape: &[usize]) -> Result<usize, TensorError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| TensorError::TooLarge {
            shape: shape.to_vec(),
        })
}

/// Number of elements of a shape, saturating at `usize::MAX` (for statistics).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().fold(1usize, |acc, &d| acc.saturating_mul(d))
}

/// Row-major strides of a shape (the last axis has stride 1).
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1].saturating_mul(shape[i + 1]);
    }
    s
}

/// Converts a flat row-major offset into a multi-index (writes into `index`).
pub fn unravel(mut offset: usize, shape: &[usize], index: &mut [usize]) {
    for (i, &d) in shape.iter().enumerate().rev() {
        if d == 0 {
            index[i] = 0;
        } else {
            index[i] = offset % d;
            offset /= d;
        }
    }
}

/// The numpy broadcast of two shapes: align on the right, each pair of dims must be equal or
/// one of them 1.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, TensorError> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::Broadcast {
                a: a.to_vec(),
                b: b.to_vec(),
            });
        };
    }
    Ok(out)
}

/// The numpy broadcast of several shapes.
pub fn broadcast_all(shapes: &[&[usize]]) -> Result<Vec<usize>, TensorError> {
    let mut out: Vec<usize> = Vec::new();
    for s in shapes {
        out = broadcast_shapes(&out, s)?;
    }
    Ok(out)
}

/// For each output offset of `out_shape`, the offset into a tensor of shape `src` broadcast to
/// it. `src` must broadcast to `out_shape` (checked).
pub fn broadcast_offsets(src: &[usize], out_shape: &[usize]) -> Result<Vec<usize>, TensorError> {
    let merged = broadcast_shapes(src, out_shape)?;
    if merged != out_shape {
        return Err(TensorError::Broadcast {
            a: src.to_vec(),
            b: out_shape.to_vec(),
        });
    }
    let rank = out_shape.len();
    let src_strides = strides(src);
    // Stride of each output axis in the source (0 on broadcast axes).
    let mut eff = vec![0usize; rank];
    for i in 0..src.len() {
        let o = i + rank - src.len();
        eff[o] = if src[i] == 1 { 0 } else { src_strides[i] };
    }
    let n = checked_numel(out_shape)?;
    let mut offsets = Vec::with_capacity(n);
    let mut idx = vec![0usize; rank];
    let mut cur = 0usize;
    for _ in 0..n {
        offsets.push(cur);
        // Increment the multi-index (odometer), updating the source offset.
        for ax in (0..rank).rev() {
            idx[ax] += 1;
            cur += eff[ax];
            if idx[ax] < out_shape[ax] {
                break;
            }
            cur -= eff[ax] * idx[ax];
            idx[ax] = 0;
        }
    }
    Ok(offsets)
}

/// A dense row-major tensor. The invariant `data.len() == product(shape)` always holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTensor<T>")]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Tensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

#[derive(Deserialize)]
struct RawTensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T> TryFrom<RawTensor<T>> for Tensor<T> {
    type Error = TensorError;
    fn try_from(raw: RawTensor<T>) -> Result<Self, TensorError> {
        Tensor::new(raw.shape, raw.data)
    }
}

impl<T> Tensor<T> {
    /// A tensor from a shape and a row-major buffer; errors if the lengths disagree.
    pub fn new(shape: Vec<usize>, data: Vec<T>) -> Result<Self, TensorError> {
        let expected = checked_numel(&shape)?;
        if expected != data.len() {
            return Err(TensorError::LenMismatch {
                shape,
                expected,
                got: data.len(),
            });
        }
        Ok(Self { shape, data })
    }

    /// A rank-0 tensor.
    pub fn scalar(value: T) -> Self {
        Self {
            shape: Vec::new(),
            data: vec![value],
        }
    }

    /// A rank-1 tensor.
    pub fn from_vec(data: Vec<T>) -> Self {
        Self {
            shape: vec![data.len()],
            data,
        }
    }

    /// A tensor whose element at each multi-index is `f(index)`.
    pub fn from_fn(
        shape: Vec<usize>,
        mut f: impl FnMut(&[usize]) -> T,
    ) -> Result<Self, TensorError> {
        let n = checked_numel(&shape)?;
        let mut idx = vec![0usize; shape.len()];
        let mut data = Vec::with_capacity(n);
        for off in 0..n {
            unravel(off, &shape, &mut idx);
            data.push(f(&idx));
        }
        Ok(Self { shape, data })
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The rank (number of axes).
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor has no element (some dim is 0).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The row-major buffer.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The row-major buffer, mutable (the shape cannot change).
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Splits into shape and buffer.
    pub fn into_parts(self) -> (Vec<usize>, Vec<T>) {
        (self.shape, self.data)
    }

    /// The buffer.
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// Row-major flat offset of a multi-index, checked.
    pub fn offset(&self, index: &[usize]) -> Result<usize, TensorError> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, d)| i >= d) {
            return Err(TensorError::IndexOutOfBounds {
                index: index.to_vec(),
                shape: self.shape.clone(),
            });
        }
        Ok(index
            .iter()
            .zip(strides(&self.shape))
            .map(|(i, s)| i * s)
            .sum())
    }

    /// The element at a multi-index, checked.
    pub fn get(&self, index: &[usize]) -> Result<&T, TensorError> {
        let off = self.offset(index)?;
        Ok(&self.data[off])
    }

    /// Same data under another shape with the same element count.
    pub fn reshape(self, shape: Vec<usize>) -> Result<Self, TensorError> {
        Self::new(shape, self.data)
    }

    /// Applies `f` to every element.
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Tensor<U> {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.iter().map(f).collect(),
        }
    }
}

impl<T: Clone> Tensor<T> {
    /// A tensor with every element equal to `value`.
    pub fn full(shape: Vec<usize>, value: T) -> Result<Self, TensorError> {
        let n = checked_numel(&shape)?;
        Ok(Self {
            shape,
            data: vec![value; n],
        })
    }

    /// This tensor broadcast (numpy rules) to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Self, TensorError> {
        let offs = broadcast_offsets(&self.shape, shape)?;
        Ok(Self {
            shape: shape.to_vec(),
            data: offs.into_iter().map(|o| self.data[o].clone()).collect(),
        })
    }

    /// Elementwise `f(a, b)` over the numpy broadcast of the two shapes.
    pub fn zip_broadcast<U: Clone, V>(
        &self,
        other: &Tensor<U>,
        mut f: impl FnMut(&T, &U) -> V,
    ) -> Result<Tensor<V>, TensorError> {
        let shape = broadcast_shapes(&self.shape, &other.shape)?;
        if shape == self.shape && shape == other.shape {
            let data = self
                .data
                .iter()
                .zip(&other.data)
                .map(|(a, b)| f(a, b))
                .collect();
            return Ok(Tensor { shape, data });
        }
        let oa = broadcast_offsets(&self.shape, &shape)?;
        let ob = broadcast_offsets(&other.shape, &shape)?;
        let data = oa
            .into_iter()
            .zip(ob)
            .map(|(i, j)| f(&self.data[i], &other.data[j]))
            .collect();
        Ok(Tensor { shape, data })
    }
}

impl<T: Default + Clone> Tensor<T> {
    /// A tensor of default values (zeros, `false`).
    pub fn zeros(shape: Vec<usize>) -> Result<Self, TensorError> {
        Self::full(shape, T::default())
    }
}

/// Element type of an IR tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DType {
    /// Real numbers (f32 in the float model, fixed point after quantization).
    F32,
    /// Exact integers: indices, labels, counts (never quantized).
    I64,
    /// Booleans (masks, comparison results).
    Bool,
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::I64 => "i64",
            DType::Bool => "bool",
        })
    }
}

/// A tensor of one of the IR element types (constants, graph inputs, evaluated values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Real-valued tensor.
    F32(Tensor<f32>),
    /// Integer tensor.
    I64(Tensor<i64>),
    /// Boolean tensor.
    Bool(Tensor<bool>),
}

impl Value {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Value::F32(_) => DType::F32,
            Value::I64(_) => DType::I64,
            Value::Bool(_) => DType::Bool,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Value::F32(t) => t.shape(),
            Value::I64(t) => t.shape(),
            Value::Bool(t) => t.shape(),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        numel(self.shape())
    }

    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The f32 tensor, or a dtype error.
    pub fn as_f32(&self) -> Result<&Tensor<f32>, TensorError> {
        match self {
            Value::F32(t) => Ok(t),
            other => Err(TensorError::DType {
                expected: DType::F32,
                got: other.dtype(),
            }),
        }
    }

    /// The i64 tensor, or a dtype error.
    pub fn as_i64(&self) -> Result<&Tensor<i64>, TensorError> {
        match self {
            Value::I64(t) => Ok(t),
            other => Err(TensorError::DType {
                expected: DType::I64,
                got: other.dtype(),
            }),
        }
    }

    /// The bool tensor, or a dtype error.
    pub fn as_bool(&self) -> Result<&Tensor<bool>, TensorError> {
        match self {
            Value::Bool(t) => Ok(t),
            other => Err(TensorError::DType {
                expected: DType::Bool,
                got: other.dtype(),
            }),
        }
    }

    /// Every element as f64 (bools as 0/1), row-major.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            Value::F32(t) => t.data().iter().map(|&x| f64::from(x)).collect(),
            Value::I64(t) => t.data().iter().map(|&x| x as f64).collect(),
            Value::Bool(t) => t.data().iter().map(|&x| f64::from(u8::from(x))).collect(),
        }
    }
}

impl From<Tensor<f32>> for Value {
    fn from(t: Tensor<f32>) -> Self {
        Value::F32(t)
    }
}

impl From<Tensor<i64>> for Value {
    fn from(t: Tensor<i64>) -> Self {
        Value::I64(t)
    }
}

impl From<Tensor<bool>> for Value {
    fn from(t: Tensor<bool>) -> Self {
        Value::Bool(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_checks_len() {
        assert!(Tensor::new(vec![2, 3], vec![0f32; 6]).is_ok());
        assert!(matches!(
            Tensor::new(vec![2, 3], vec![0f32; 5]),
            Err(TensorError::LenMismatch {
                expected: 6,
                got: 5,
                ..
            })
        ));
        let s = Tensor::scalar(3i64);
        assert_eq!(s.shape(), &[] as &[usize]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn deserialize_checks_len() {
        let bad = r#"{"shape":[2,2],"data":[1.0,2.0,3.0]}"#;
        assert!(serde_json::from_str::<Tensor<f32>>(bad).is_err());
        let good = r#"{"shape":[2,2],"data":[1.0,2.0,3.0,4.0]}"#;
        let t: Tensor<f32> = serde_json::from_str(good).unwrap();
        assert_eq!(*t.get(&[1, 0]).unwrap(), 3.0);
        assert!(t.get(&[2, 0]).is_err());
    }

    #[test]
    fn broadcasting() {
        assert_eq!(
            broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap(),
            vec![2, 4, 3]
        );
        assert!(broadcast_shapes(&[2, 3], &[4, 3]).is_err());
        let a = Tensor::new(vec![2, 1], vec![10, 20]).unwrap();
        let b = Tensor::new(vec![3], vec![1, 2, 3]).unwrap();
        let c = a.zip_broadcast(&b, |x, y| x + y).unwrap();
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(c.data(), &[11, 12, 13, 21, 22, 23]);
        let d = b.broadcast_to(&[2, 3]).unwrap();
        assert_eq!(d.data(), &[1, 2, 3, 1, 2, 3]);
        assert!(a.broadcast_to(&[3]).is_err());
    }

    #[test]
    fn strides_and_unravel() {
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
        let mut idx = [0; 3];
        unravel(23, &[2, 3, 4], &mut idx);
        assert_eq!(idx, [1, 2, 3]);
    }
}
