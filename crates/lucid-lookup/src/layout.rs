//! The shape of a batch of lookups, shared by prover and verifier: which distinct tables there
//! are, one fraction tree per lookup and per table, and the trees grouped by size (trees of the
//! same size run one GKR together, one batched sumcheck per layer).

use lucid_core::field::{F, from_i64};
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::error::LookupError;
use crate::table::TableSpec;

/// Largest supported lookup: `2^MAX_LOOKUP_LOG_SIZE` entries.
pub const MAX_LOOKUP_LOG_SIZE: usize = 30;

/// A lookup as the prover holds it: the table and the looked-up columns (1 for a range table,
/// 2 — inputs then outputs — for a function table), all of the same length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupInstance {
    pub table: TableSpec,
    pub columns: Vec<Vec<F>>,
}

impl LookupInstance {
    /// A lookup of one column into a range table.
    pub fn range(table: TableSpec, values: Vec<F>) -> Self {
        Self {
            table,
            columns: vec![values],
        }
    }

    /// A lookup of `(input, output)` pairs into a function table.
    pub fn function(table: TableSpec, inputs: Vec<F>, outputs: Vec<F>) -> Self {
        Self {
            table,
            columns: vec![inputs, outputs],
        }
    }

    /// The public shape the verifier knows.
    pub fn shape(&self) -> InstanceShape {
        InstanceShape {
            table: self.table.clone(),
            len: self.columns.first().map_or(0, Vec::len),
        }
    }
}

/// A lookup as the verifier knows it: the table and the number of entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceShape {
    pub table: TableSpec,
    pub len: usize,
}

impl InstanceShape {
    /// Variables of the lookup's fraction tree and of its claims: `max(1, ⌈log2 len⌉)`. The
    /// columns are zero-padded to `2^num_vars` entries.
    pub fn num_vars(&self) -> usize {
        self.len.next_power_of_two().trailing_zeros().max(1) as usize
    }
}

/// Which leaves a fraction tree holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeKind {
    /// `1/(γ − (a_i + β·b_i))` for the entries of lookup `i`; zero-numerator padding.
    Instance(usize),
    /// `m_j/(γ − (t_j + β·f_j))` for the rows of distinct table `j`.
    Table(usize),
}

/// The shape of a batch of lookups, derived from the instance shapes alone.
///
/// Trees are numbered lookups first (in the given order), then distinct tables (in order of
/// first use). Groups hold the trees of one size, by increasing size.
#[derive(Clone, Debug)]
pub struct LookupLayout {
    /// The instance shapes, as given.
    pub instances: Vec<InstanceShape>,
    /// Distinct tables, in order of first use; multiplicities follow this order.
    pub tables: Vec<TableSpec>,
    /// For each instance, the index of its table in [`Self::tables`].
    pub instance_table: Vec<usize>,
    /// Every tree: its kind and number of variables (`log2` of its leaf count).
    pub trees: Vec<(TreeKind, usize)>,
    /// Trees of equal size: `(num_vars, tree indices)`, by increasing `num_vars`.
    pub groups: Vec<(usize, Vec<usize>)>,
}

impl LookupLayout {
    /// Validates the shapes and lays out the trees.
    pub fn new(instances: &[InstanceShape]) -> Result<Self, LookupError> {
        let mut tables: Vec<TableSpec> = Vec::new();
        let mut instance_table = Vec::with_capacity(instances.len());
        for (i, shape) in instances.iter().enumerate() {
            if shape.len == 0 || shape.len > 1 << MAX_LOOKUP_LOG_SIZE {
                return Err(LookupError::LookupSize {
                    instance: i,
                    max: 1 << MAX_LOOKUP_LOG_SIZE,
                    got: shape.len,
                });
            }
            let t = match tables.iter().position(|t| *t == shape.table) {
                Some(t) => t,
                None => {
                    shape.table.validate()?;
                    tables.push(shape.table.clone());
                    tables.len() - 1
                }
            };
            instance_table.push(t);
        }
        let trees: Vec<(TreeKind, usize)> = instances
            .iter()
            .enumerate()
            .map(|(i, s)| (TreeKind::Instance(i), s.num_vars()))
            .chain(
                tables
                    .iter()
                    .enumerate()
                    .map(|(j, t)| (TreeKind::Table(j), t.log_size)),
            )
            .collect();
        let mut sizes: Vec<usize> = trees.iter().map(|&(_, n)| n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let groups = sizes
            .into_iter()
            .map(|n| {
                let members = (0..trees.len()).filter(|&t| trees[t].1 == n).collect();
                (n, members)
            })
            .collect();
        Ok(Self {
            instances: instances.to_vec(),
            tables,
            instance_table,
            trees,
            groups,
        })
    }

    /// Absorbs the shapes: the number of lookups and tables, each table's spec, then each
    /// lookup's `(table index, length)`.
    pub(crate) fn observe(&self, transcript: &mut Transcript) {
        transcript.observe_base_slice(
            b"lookup/counts",
            &[
                F::from_usize(self.instances.len()),
                F::from_usize(self.tables.len()),
            ],
        );
        for t in &self.tables {
            t.observe(transcript);
        }
        let shapes: Vec<F> = self
            .instances
            .iter()
            .zip(&self.instance_table)
            .flat_map(|(s, &t)| [F::from_usize(t), from_i64(s.len as i64)])
            .collect();
        transcript.observe_base_slice(b"lookup/instances", &shapes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_dedups_tables_and_groups_by_size() {
        let r8 = TableSpec::unsigned_range(8);
        let r2 = TableSpec::unsigned_range(2);
        let shapes = vec![
            InstanceShape {
                table: r8.clone(),
                len: 5,
            },
            InstanceShape {
                table: r2.clone(),
                len: 1,
            },
            InstanceShape {
                table: r8.clone(),
                len: 256,
            },
        ];
        let layout = LookupLayout::new(&shapes).expect("valid shapes");
        assert_eq!(layout.tables, vec![r8, r2]);
        assert_eq!(layout.instance_table, vec![0, 1, 0]);
        assert_eq!(
            layout.trees,
            vec![
                (TreeKind::Instance(0), 3),
                (TreeKind::Instance(1), 1),
                (TreeKind::Instance(2), 8),
                (TreeKind::Table(0), 8),
                (TreeKind::Table(1), 2),
            ]
        );
        assert_eq!(
            layout.groups,
            vec![(1, vec![1]), (2, vec![4]), (3, vec![0]), (8, vec![2, 3])]
        );
    }

    #[test]
    fn layout_rejects_bad_shapes() {
        let bad = |shape: InstanceShape| LookupLayout::new(&[shape]).map(|_| ());
        assert!(matches!(
            bad(InstanceShape {
                table: TableSpec::unsigned_range(4),
                len: 0
            }),
            Err(LookupError::LookupSize { .. })
        ));
        assert!(matches!(
            bad(InstanceShape {
                table: TableSpec::unsigned_range(0),
                len: 3
            }),
            Err(LookupError::TableSize { .. })
        ));
    }
}
