//! Lookup tables as public data: a [`TableSpec`] describes a range table `{offset, …, offset +
//! 2^k − 1}` or a function table `{(x, f(x))}` over such a range, small enough to sit in a
//! verifying key. The verifier evaluates a table's column MLEs itself: the input column in
//! `O(k)` (its MLE is affine), the output column of a function table in `O(2^k)` from the public
//! outputs.

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::eval_mle_base;
use lucid_core::transcript::Transcript;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use serde::{Deserialize, Serialize};

use crate::error::LookupError;

/// Largest supported table: `2^MAX_TABLE_LOG_SIZE` rows.
pub const MAX_TABLE_LOG_SIZE: usize = 24;

/// Table inputs must stay within `[-2^62, 2^62]`, so that every input has a unique signed
/// representative in Goldilocks (`|x| < p/2`) and index arithmetic never overflows.
const INPUT_BOUND: i64 = 1 << 62;

/// What a table holds besides its input range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableKind {
    /// Rows `x` for `x ∈ [offset, offset + 2^k)`: one column. Looked up by one witness column.
    Range,
    /// Rows `(x, outputs[x − offset])` for `x ∈ [offset, offset + 2^k)`: two columns. Looked up
    /// by two witness columns (input, output), combined as `a + β·b`.
    Function { outputs: Vec<F> },
}

/// A public lookup table: `2^log_size` consecutive (signed) integer inputs starting at `offset`,
/// and for a function table one output per input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    pub kind: TableKind,
    /// `k`: the table has `2^k` rows (`1 ≤ k ≤ MAX_TABLE_LOG_SIZE`).
    pub log_size: usize,
    /// The first input; inputs are `offset, offset + 1, …, offset + 2^k − 1`.
    pub offset: i64,
}

impl TableSpec {
    /// The range table `[offset, offset + 2^log_size)`.
    pub fn range(log_size: usize, offset: i64) -> Self {
        Self {
            kind: TableKind::Range,
            log_size,
            offset,
        }
    }

    /// The unsigned range table `[0, 2^log_size)`.
    pub fn unsigned_range(log_size: usize) -> Self {
        Self::range(log_size, 0)
    }

    /// A function table with the given outputs (`outputs[j]` is `f(offset + j)`).
    pub fn function(log_size: usize, offset: i64, outputs: Vec<F>) -> Self {
        Self {
            kind: TableKind::Function { outputs },
            log_size,
            offset,
        }
    }

    /// A function table of an integer function, evaluated on every input of the range.
    pub fn function_from(log_size: usize, offset: i64, f: impl Fn(i64) -> i64) -> Self {
        let outputs = (0..1i64 << log_size.min(MAX_TABLE_LOG_SIZE))
            .map(|j| from_i64(f(offset.saturating_add(j))))
            .collect();
        Self::function(log_size, offset, outputs)
    }

    /// Checks the spec describes a supported table.
    pub fn validate(&self) -> Result<(), LookupError> {
        if self.log_size == 0 || self.log_size > MAX_TABLE_LOG_SIZE {
            return Err(LookupError::TableSize {
                max: MAX_TABLE_LOG_SIZE,
                got: self.log_size,
            });
        }
        let last = self.offset.checked_add((1i64 << self.log_size) - 1);
        if self.offset < -INPUT_BOUND || last.is_none_or(|l| l > INPUT_BOUND) {
            return Err(LookupError::TableOffset {
                offset: self.offset,
                log_size: self.log_size,
            });
        }
        if let TableKind::Function { outputs } = &self.kind
            && outputs.len() != self.size()
        {
            return Err(LookupError::TableOutputs {
                expected: self.size(),
                got: outputs.len(),
            });
        }
        Ok(())
    }

    /// Number of rows, `2^log_size`.
    pub fn size(&self) -> usize {
        1 << self.log_size
    }

    /// Number of columns a lookup into this table has: 1 (range) or 2 (function).
    pub fn num_columns(&self) -> usize {
        match self.kind {
            TableKind::Range => 1,
            TableKind::Function { .. } => 2,
        }
    }

    /// The input of row `j`.
    pub fn input(&self, j: usize) -> F {
        from_i64(self.offset + j as i64)
    }

    /// The table's columns as field elements (one per column, `2^k` rows each).
    pub fn columns(&self) -> Vec<Vec<F>> {
        let inputs = (0..self.size()).map(|j| self.input(j)).collect();
        match &self.kind {
            TableKind::Range => vec![inputs],
            TableKind::Function { outputs } => vec![inputs, outputs.clone()],
        }
    }

    /// The row holding `row` (one value per column), if any. Assumes a valid spec.
    pub fn find_row(&self, row: &[F]) -> Option<usize> {
        let x = to_signed(*row.first()?);
        let j = usize::try_from(x.checked_sub(self.offset)?).ok()?;
        if j >= self.size() {
            return None;
        }
        match &self.kind {
            TableKind::Range => (row.len() == 1).then_some(j),
            TableKind::Function { outputs } => {
                (row.len() == 2 && row[1] == outputs[j]).then_some(j)
            }
        }
    }

    /// The MLEs of the table's columns at `point` (`log_size` coordinates). The input column
    /// `offset + Σ_i 2^{k−1−i}·x_i` is affine, so its MLE is the same expression at `point`
    /// (`O(k)`); a function table's outputs are evaluated from the public values (`O(2^k)`).
    ///
    /// # Panics
    /// If `point.len() != log_size` (a caller bug: the verifier derives the point length from
    /// the spec).
    pub fn column_evals(&self, point: &[EF]) -> Vec<EF> {
        assert_eq!(
            point.len(),
            self.log_size,
            "table point of the wrong length"
        );
        let mut input = EF::from(from_i64(self.offset));
        for (i, &r) in point.iter().enumerate() {
            input += r * EF::from(F::from_u64(1u64 << (self.log_size - 1 - i)));
        }
        match &self.kind {
            TableKind::Range => vec![input],
            TableKind::Function { outputs } => vec![input, eval_mle_base(outputs, point)],
        }
    }

    /// Absorbs the spec: kind tag, `log_size`, offset, and a function table's outputs.
    pub(crate) fn observe(&self, transcript: &mut Transcript) {
        let tag = match self.kind {
            TableKind::Range => 0u64,
            TableKind::Function { .. } => 1,
        };
        transcript.observe_base_slice(
            b"lookup/table",
            &[
                F::from_u64(tag),
                F::from_usize(self.log_size),
                from_i64(self.offset),
            ],
        );
        if let TableKind::Function { outputs } = &self.kind {
            transcript.observe_base_slice(b"lookup/table_outputs", outputs);
        }
    }
}

/// The signed representative of a field element in `(−p/2, p/2)`.
pub fn to_signed(v: F) -> i64 {
    const P: u64 = 0xFFFF_FFFF_0000_0001;
    let c = v.as_canonical_u64();
    if c <= P / 2 {
        c as i64
    } else {
        -((P - c) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn signed_representative_round_trips() {
        for x in [0i64, 1, -1, 12345, -(1 << 40), INPUT_BOUND, -INPUT_BOUND] {
            assert_eq!(to_signed(from_i64(x)), x);
        }
    }

    #[test]
    fn validation() {
        assert!(TableSpec::unsigned_range(8).validate().is_ok());
        assert!(TableSpec::range(8, -128).validate().is_ok());
        assert!(matches!(
            TableSpec::unsigned_range(0).validate(),
            Err(LookupError::TableSize { .. })
        ));
        assert!(matches!(
            TableSpec::unsigned_range(MAX_TABLE_LOG_SIZE + 1).validate(),
            Err(LookupError::TableSize { .. })
        ));
        assert!(matches!(
            TableSpec::range(4, i64::MAX - 3).validate(),
            Err(LookupError::TableOffset { .. })
        ));
        assert!(matches!(
            TableSpec::range(4, i64::MIN).validate(),
            Err(LookupError::TableOffset { .. })
        ));
        assert!(matches!(
            TableSpec::function(3, 0, vec![F::ZERO; 7]).validate(),
            Err(LookupError::TableOutputs {
                expected: 8,
                got: 7
            })
        ));
    }

    #[test]
    fn find_row_range_and_function() {
        let r = TableSpec::range(4, -8);
        assert_eq!(r.find_row(&[from_i64(-8)]), Some(0));
        assert_eq!(r.find_row(&[from_i64(7)]), Some(15));
        assert_eq!(r.find_row(&[from_i64(8)]), None);
        assert_eq!(r.find_row(&[from_i64(-9)]), None);
        assert_eq!(r.find_row(&[from_i64(0), from_i64(0)]), None);
        let f = TableSpec::function_from(4, -8, |x| x * x);
        assert_eq!(f.find_row(&[from_i64(-3), from_i64(9)]), Some(5));
        assert_eq!(f.find_row(&[from_i64(-3), from_i64(8)]), None);
        assert_eq!(f.find_row(&[from_i64(-3)]), None);
        assert_eq!(f.find_row(&[]), None);
    }

    #[test]
    fn column_evals_match_table_mles() {
        let mut rng = SmallRng::seed_from_u64(7);
        for spec in [
            TableSpec::unsigned_range(5),
            TableSpec::range(3, -4),
            TableSpec::function_from(6, -32, |x| (x * 7) >> 2),
        ] {
            let point: Vec<EF> = (0..spec.log_size).map(|_| rng.random()).collect();
            let want: Vec<EF> = spec
                .columns()
                .iter()
                .map(|c| eval_mle_base(c, &point))
                .collect();
            assert_eq!(spec.column_evals(&point), want);
        }
    }
}
