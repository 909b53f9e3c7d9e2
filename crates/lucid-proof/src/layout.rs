//! The padded layout of `docs/PROOF.md`: how an integer tensor becomes a multilinear polynomial.
//!
//! A tensor of shape `(d_1, …, d_r)` is embedded in Goldilocks (`x ↦ x mod p`) and padded per
//! dimension to `(D_1, …, D_r)`, `D_i = next_power_of_two(d_i)`, padding entries zero. Its MLE has
//! `Σ log2 D_i` variables: the bits of dimension 1 first (most significant), then dimension 2, …
//! A point is therefore the concatenation of one sub-point per dimension, and
//!
//! - a transpose permutes the sub-points ([`PaddedShape::permute_point`]);
//! - unit dimensions have no variables (adding or removing them is free);
//! - the selector of the real entries, `S(r) = Π_i Σ_{j < d_i} eq(r_i, j)`, costs `O(Σ D_i)`
//!   ([`PaddedShape::selector_eval`]);
//! - a numpy broadcast multiplies by the selectors of the broadcast dimensions
//!   ([`broadcast_point`]).

use std::ops::Range;

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::{MleRef, eq_table, eval_mle_base};
use lucid_model::tensor::Tensor;
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a tensor or a point does not fit a padded shape.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LayoutError {
    /// A point has the wrong number of coordinates.
    #[error("point of {got} coordinates for a padded shape of {expected} variables")]
    PointLength { expected: usize, got: usize },
    /// The data length differs from the shape's number of elements.
    #[error("{got} values for shape {shape:?} ({expected} elements)")]
    DataLength {
        shape: Vec<usize>,
        expected: usize,
        got: usize,
    },
    /// Two shapes that must broadcast do not.
    #[error("shape {from:?} does not broadcast to {to:?}")]
    Broadcast { from: Vec<usize>, to: Vec<usize> },
    /// A permutation is not a permutation of the axes.
    #[error("{perm:?} is not a permutation of {rank} axes")]
    Permutation { perm: Vec<usize>, rank: usize },
}

/// Real and padded dimensions of a tensor, and the variables of each dimension.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaddedShape {
    dims: Vec<usize>,
    logs: Vec<usize>,
    /// `starts[i]`: index of the first variable of dimension `i`; `starts[rank]` = num_vars.
    starts: Vec<usize>,
}

impl PaddedShape {
    /// The padded layout of a tensor of real shape `dims` (a dimension of size 0 pads to 1).
    pub fn new(dims: &[usize]) -> Self {
        let logs: Vec<usize> = dims
            .iter()
            .map(|&d| d.max(1).next_power_of_two().trailing_zeros() as usize)
            .collect();
        let mut starts = Vec::with_capacity(dims.len() + 1);
        let mut acc = 0;
        for &l in &logs {
            starts.push(acc);
            acc += l;
        }
        starts.push(acc);
        Self {
            dims: dims.to_vec(),
            logs,
            starts,
        }
    }

    /// The real dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The padded dimensions `D_i = next_power_of_two(d_i)`.
    pub fn padded_dims(&self) -> Vec<usize> {
        self.logs.iter().map(|&l| 1usize << l).collect()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// `log2 D_i` of dimension `i`.
    pub fn dim_log(&self, i: usize) -> usize {
        self.logs[i]
    }

    /// Number of variables of the MLE, `Σ log2 D_i`.
    pub fn num_vars(&self) -> usize {
        self.starts[self.dims.len()]
    }

    /// Number of padded entries, `2^num_vars`.
    pub fn padded_len(&self) -> usize {
        1usize << self.num_vars()
    }

    /// Number of real entries, `Π d_i`.
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// The variables (indices into a point) of dimension `i`.
    pub fn dim_vars(&self, i: usize) -> Range<usize> {
        self.starts[i]..self.starts[i + 1]
    }

    /// The variables of the contiguous dimensions `dims`.
    pub fn dims_vars(&self, dims: Range<usize>) -> Range<usize> {
        self.starts[dims.start]..self.starts[dims.end]
    }

    /// The shape of the contiguous dimensions `dims`.
    pub fn sub_shape(&self, dims: Range<usize>) -> PaddedShape {
        PaddedShape::new(&self.dims[dims])
    }

    /// Checks that `point` has `num_vars` coordinates.
    pub fn check_point(&self, point: &[EF]) -> Result<(), LayoutError> {
        if point.len() != self.num_vars() {
            return Err(LayoutError::PointLength {
                expected: self.num_vars(),
                got: point.len(),
            });
        }
        Ok(())
    }

    /// Splits a point into one sub-point per dimension.
    ///
    /// # Panics
    /// If `point.len() != num_vars` (use [`PaddedShape::check_point`] on untrusted input).
    pub fn split_point<'a>(&self, point: &'a [EF]) -> Vec<&'a [EF]> {
        assert_eq!(point.len(), self.num_vars(), "point length");
        (0..self.rank()).map(|i| &point[self.dim_vars(i)]).collect()
    }

    /// Offset in the padded table of the real multi-index `idx`.
    pub fn padded_offset(&self, idx: &[usize]) -> usize {
        idx.iter()
            .zip(&self.logs)
            .fold(0usize, |acc, (&i, &l)| (acc << l) | i)
    }

    /// For every real entry in row-major order, its offset in the padded table.
    pub fn real_to_padded(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.numel());
        for_each_index(&self.dims, |idx| out.push(self.padded_offset(idx)));
        out
    }

    /// `S_i(r_i) = Σ_{j < d_i} eq(r_i, j)`: the selector of dimension `i`'s real indices.
    pub fn dim_selector_eval(&self, i: usize, sub_point: &[EF]) -> EF {
        prefix_selector(sub_point, self.dims[i])
    }

    /// `S(r) = Π_i S_i(r_i)`: the MLE of the real-entry indicator, in `O(Σ_i D_i)`.
    ///
    /// # Panics
    /// If `point.len() != num_vars`.
    pub fn selector_eval(&self, point: &[EF]) -> EF {
        self.split_point(point)
            .iter()
            .enumerate()
            .map(|(i, r)| self.dim_selector_eval(i, r))
            .product()
    }

    /// For `Y = transpose(X, perm)` (output axis `i` is input axis `perm[i]`) with `self` the
    /// shape of `Y`: the point on `X` whose value is `Y(point)`.
    pub fn permute_point(&self, perm: &[usize], point: &[EF]) -> Result<Vec<EF>, LayoutError> {
        self.check_point(point)?;
        let rank = self.rank();
        let mut inv = vec![usize::MAX; rank];
        if perm.len() != rank {
            return Err(LayoutError::Permutation {
                perm: perm.to_vec(),
                rank,
            });
        }
        for (i, &p) in perm.iter().enumerate() {
            if p >= rank || inv[p] != usize::MAX {
                return Err(LayoutError::Permutation {
                    perm: perm.to_vec(),
                    rank,
                });
            }
            inv[p] = i;
        }
        let subs = self.split_point(point);
        Ok(inv.iter().flat_map(|&i| subs[i].iter().copied()).collect())
    }
}

/// `Σ_{j < d} eq(r, j)` over the `2^{|r|}` indices of one dimension, in `O(2^{|r|})`.
pub fn prefix_selector(sub_point: &[EF], d: usize) -> EF {
    let full = 1usize << sub_point.len();
    if d >= full {
        return EF::ONE;
    }
    eq_table(sub_point)[..d].iter().copied().sum()
}

/// Calls `f` with every multi-index of `dims` in row-major order.
pub fn for_each_index(dims: &[usize], mut f: impl FnMut(&[usize])) {
    if dims.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; dims.len()];
    loop {
        f(&idx);
        let mut ax = dims.len();
        loop {
            if ax == 0 {
                return;
            }
            ax -= 1;
            idx[ax] += 1;
            if idx[ax] < dims[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
}

/// How an operand of shape `from` broadcasts (numpy, right-aligned) to the shape `to`: for each
/// output dimension, whether it is *kept* (the operand has the same size there and shares its
/// variables) or *broadcast* (the operand has size 1 or lacks the dimension).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast {
    /// Output shape.
    pub to: PaddedShape,
    /// Operand shape.
    pub from: PaddedShape,
    /// Per output dimension: `true` if broadcast (the operand's size there is 1 or missing while
    /// the output's is larger).
    pub broadcast: Vec<bool>,
}

impl Broadcast {
    /// The broadcast of `from` to `to`; errors unless numpy broadcasting gives exactly `to`.
    pub fn new(from: &[usize], to: &[usize]) -> Result<Self, LayoutError> {
        let err = || LayoutError::Broadcast {
            from: from.to_vec(),
            to: to.to_vec(),
        };
        if from.len() > to.len() {
            return Err(err());
        }
        let lead = to.len() - from.len();
        let mut broadcast = Vec::with_capacity(to.len());
        for (i, &d) in to.iter().enumerate() {
            let s = if i < lead { 1 } else { from[i - lead] };
            if s == d {
                broadcast.push(false);
            } else if s == 1 {
                broadcast.push(true);
            } else {
                return Err(err());
            }
        }
        Ok(Self {
            to: PaddedShape::new(to),
            from: PaddedShape::new(from),
            broadcast,
        })
    }

    /// Whether nothing is broadcast (the operand's MLE is the output's up to unit axes).
    pub fn is_trivial(&self) -> bool {
        !self.broadcast.iter().any(|&b| b)
    }

    /// For a point on the output: the point on the operand (the kept dimensions' sub-points)
    /// and the product of the broadcast dimensions' selectors, so that
    /// `Y(r) = X(r_kept) · factor` for `Y = broadcast(X)`.
    pub fn project(&self, point: &[EF]) -> Result<(Vec<EF>, EF), LayoutError> {
        self.to.check_point(point)?;
        let subs = self.to.split_point(point);
        let mut proj = Vec::with_capacity(self.from.num_vars());
        let mut factor = EF::ONE;
        for (i, sub) in subs.iter().enumerate() {
            if self.broadcast[i] {
                factor *= self.to.dim_selector_eval(i, sub);
            } else {
                proj.extend_from_slice(sub);
            }
        }
        Ok((proj, factor))
    }

    /// For every padded index of the output, the padded index of the operand entry it copies,
    /// or `None` where the output is padding (a broadcast coordinate beyond the real size, or a
    /// kept coordinate in the operand's own padding maps to that padding entry, which is zero).
    pub fn source_map(&self) -> Vec<Option<usize>> {
        let mut out = vec![None; self.to.padded_len()];
        let rank = self.to.rank();
        let pdims = self.to.padded_dims();
        // Walk the output's padded indices whose broadcast coordinates are real.
        let walk: Vec<usize> = (0..rank)
            .map(|i| {
                if self.broadcast[i] {
                    self.to.dims()[i]
                } else {
                    pdims[i]
                }
            })
            .collect();
        for_each_index(&walk, |idx| {
            let mut src = 0usize;
            for (i, &j) in idx.iter().enumerate() {
                if !self.broadcast[i] {
                    src = (src << self.to.dim_log(i)) | j;
                }
            }
            out[self.to.padded_offset(idx)] = Some(src);
        });
        out
    }

    /// The operand's table broadcast to the output's padded layout (padding zero), lifted into
    /// the extension field: `X'(y) = X(y_kept) · [y real in the broadcast dimensions]`.
    pub fn expand(&self, table: &[F]) -> Vec<EF> {
        self.source_map()
            .into_iter()
            .map(|s| s.map_or(EF::ZERO, |s| EF::from(table[s])))
            .collect()
    }

    /// [`Broadcast::expand`] for a table over `(operand vars ‖ block vars)` with `2^block_vars`
    /// trailing entries per operand index: the result is over `(output vars ‖ block vars)`.
    pub fn expand_blocks(&self, table: &[EF], block_vars: usize) -> Vec<EF> {
        if self.is_trivial() {
            return table.to_vec();
        }
        let kk = 1usize << block_vars;
        let map = self.source_map();
        let mut out = vec![EF::ZERO; map.len() * kk];
        for (o, s) in map.into_iter().enumerate() {
            if let Some(s) = s {
                out[o * kk..(o + 1) * kk].copy_from_slice(&table[s * kk..(s + 1) * kk]);
            }
        }
        out
    }
}

/// For a point on an output of shape `to`, the point on an operand of shape `from` broadcast to
/// it, and the selector factor: `Y(r) = X(r') · factor`. See [`Broadcast::project`].
pub fn broadcast_point(
    from: &[usize],
    to: &[usize],
    point: &[EF],
) -> Result<(Vec<EF>, EF), LayoutError> {
    Broadcast::new(from, to)?.project(point)
}

/// A tensor in the padded layout: its real shape and its `2^num_vars` evaluations over `F`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddedTensor {
    pub shape: PaddedShape,
    pub evals: Vec<F>,
}

impl PaddedTensor {
    /// Pads row-major integer `data` of real shape `shape` (signed embedding).
    pub fn from_i64(shape: &[usize], data: &[i64]) -> Result<Self, LayoutError> {
        let ps = PaddedShape::new(shape);
        if data.len() != ps.numel() {
            return Err(LayoutError::DataLength {
                shape: shape.to_vec(),
                expected: ps.numel(),
                got: data.len(),
            });
        }
        let mut evals = vec![F::ZERO; ps.padded_len()];
        let mut k = 0;
        for_each_index(shape, |idx| {
            evals[ps.padded_offset(idx)] = from_i64(data[k]);
            k += 1;
        });
        Ok(Self { shape: ps, evals })
    }

    /// Pads the integer tensor `t`, read row-major with real shape `shape` (normally
    /// `t.shape()`; any shape with the same number of elements is accepted).
    ///
    /// # Panics
    /// If `shape` and `t` have different numbers of elements (a caller bug: node shapes are
    /// checked by the integer interpreter).
    pub fn from_tensor(shape: &[usize], t: &Tensor<i64>) -> Self {
        Self::from_i64(shape, t.data()).expect("tensor and shape have the same number of elements")
    }

    /// The MLE at `point` (`shape.num_vars()` coordinates).
    ///
    /// # Panics
    /// If the point has the wrong length.
    pub fn eval(&self, point: &[EF]) -> EF {
        eval_mle_base(&self.evals, point)
    }

    /// The evaluation table, borrowed.
    pub fn mle(&self) -> MleRef<'_> {
        MleRef::Base(&self.evals)
    }

    /// The value at real multi-index `idx`.
    pub fn get(&self, idx: &[usize]) -> F {
        self.evals[self.shape.padded_offset(idx)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    fn rand_point(rng: &mut SmallRng, n: usize) -> Vec<EF> {
        (0..n).map(|_| rng.random()).collect()
    }

    #[test]
    fn shape_variables_and_offsets() {
        let s = PaddedShape::new(&[3, 1, 5, 4]);
        assert_eq!(s.padded_dims(), vec![4, 1, 8, 4]);
        assert_eq!(s.num_vars(), 2 + 3 + 2);
        assert_eq!(s.dim_vars(1), 2..2);
        assert_eq!(s.dim_vars(2), 2..5);
        assert_eq!(s.padded_offset(&[2, 0, 4, 3]), (2 * 8 + 4) * 4 + 3);
        assert_eq!(PaddedShape::new(&[]).num_vars(), 0);
        assert_eq!(PaddedShape::new(&[1, 1]).padded_len(), 1);
    }

    #[test]
    fn selector_matches_indicator_mle() {
        let mut rng = SmallRng::seed_from_u64(1);
        let dims = [3, 5, 2];
        let s = PaddedShape::new(&dims);
        let ones = vec![1i64; 30];
        let t = PaddedTensor::from_i64(&dims, &ones).expect("ok");
        let p = rand_point(&mut rng, s.num_vars());
        assert_eq!(s.selector_eval(&p), t.eval(&p));
    }

    #[test]
    fn transpose_is_a_sub_point_permutation() {
        let mut rng = SmallRng::seed_from_u64(2);
        let dims = [3, 2, 5];
        let data: Vec<i64> = (0..30).map(|i| i * 7 - 11).collect();
        let x = PaddedTensor::from_i64(&dims, &data).expect("ok");
        let perm = [2, 0, 1];
        let out_dims = [5, 3, 2];
        let mut ydata = vec![0i64; 30];
        let mut k = 0;
        for_each_index(&out_dims, |o| {
            ydata[k] = data[(o[1] * 2 + o[2]) * 5 + o[0]];
            k += 1;
        });
        let y = PaddedTensor::from_i64(&out_dims, &ydata).expect("ok");
        let p = rand_point(&mut rng, y.shape.num_vars());
        let q = y.shape.permute_point(&perm, &p).expect("perm");
        assert_eq!(y.eval(&p), x.eval(&q));
        assert!(y.shape.permute_point(&[0, 0, 1], &p).is_err());
    }

    #[test]
    fn broadcast_projection_and_expansion() {
        let mut rng = SmallRng::seed_from_u64(3);
        let from = [3, 1];
        let to = [2, 3, 5];
        let x = PaddedTensor::from_i64(&from, &[4, -5, 6]).expect("ok");
        let mut ydata = Vec::new();
        for_each_index(&to, |o| ydata.push([4, -5, 6][o[1]]));
        let y = PaddedTensor::from_i64(&to, &ydata).expect("ok");
        let b = Broadcast::new(&from, &to).expect("broadcasts");
        let p = rand_point(&mut rng, y.shape.num_vars());
        let (q, f) = b.project(&p).expect("ok");
        assert_eq!(y.eval(&p), x.eval(&q) * f);
        assert_eq!(b.expand(&x.evals), lucid_core::mle::lift(&y.evals));
        assert!(Broadcast::new(&[2], &[3]).is_err());
        assert!(Broadcast::new(&[2, 2, 2], &[2, 2]).is_err());
    }

    #[test]
    fn bad_lengths_are_errors() {
        assert!(PaddedTensor::from_i64(&[2, 2], &[1, 2, 3]).is_err());
        let s = PaddedShape::new(&[4]);
        assert!(s.check_point(&[EF::ONE]).is_err());
    }
}
