//! The prover's witness: multiplicities (how often each table row is looked up) and the binary
//! fraction trees whose roots are the LogUp sums.
//!
//! A tree with `2^n` leaves `(p_i, q_i)` (the fraction `p_i/q_i`) has layers `n` (the leaves) down
//! to `0` (the root); layer `ℓ` holds `2^ℓ` fractions and entry `x` of layer `ℓ` is the sum of
//! entries `2x` and `2x + 1` of layer `ℓ + 1`, i.e. the sibling bit is the **last** variable:
//! `p_ℓ(x) = p_{ℓ+1}(x,0)·q_{ℓ+1}(x,1) + p_{ℓ+1}(x,1)·q_{ℓ+1}(x,0)`,
//! `q_ℓ(x) = q_{ℓ+1}(x,0)·q_{ℓ+1}(x,1)`. Layers are stored split by that bit.

use lucid_core::field::{EF, F};
use p3_field::PrimeCharacteristicRing;
use p3_maybe_rayon::prelude::*;

use crate::error::LookupError;
use crate::layout::{InstanceShape, LookupInstance, LookupLayout};

/// Below this many entries per layer the tree is built sequentially.
const PAR_THRESHOLD: usize = 1 << 12;

/// Checks the instances' columns against their tables (count and lengths) and lays them out.
pub fn checked_layout(instances: &[LookupInstance]) -> Result<LookupLayout, LookupError> {
    let shapes: Vec<InstanceShape> = instances.iter().map(LookupInstance::shape).collect();
    let layout = LookupLayout::new(&shapes)?;
    for (i, inst) in instances.iter().enumerate() {
        let expected = inst.table.num_columns();
        if inst.columns.len() != expected {
            return Err(LookupError::ColumnCount {
                instance: i,
                expected,
                got: inst.columns.len(),
            });
        }
        let len = shapes[i].len;
        for (c, col) in inst.columns.iter().enumerate() {
            if col.len() != len {
                return Err(LookupError::ColumnLength {
                    instance: i,
                    column: c,
                    expected: len,
                    got: col.len(),
                });
            }
        }
    }
    Ok(layout)
}

/// The multiplicity vectors, one per distinct table in [`LookupLayout::tables`] order: entry `j`
/// counts how often row `j` of the table is looked up, over all lookups into that table.
///
/// The caller must **commit** these vectors (like the looked-up columns) before the lookup
/// argument draws its challenges, and open them at the points
/// [`crate::LookupClaims::multiplicities`] names.
///
/// Fails with [`LookupError::NotInTable`] if some entry is not a row of its table: no honest proof
/// exists then.
pub fn multiplicities(instances: &[LookupInstance]) -> Result<Vec<Vec<F>>, LookupError> {
    let layout = checked_layout(instances)?;
    let mut counts: Vec<Vec<u64>> = layout.tables.iter().map(|t| vec![0; t.size()]).collect();
    for (i, inst) in instances.iter().enumerate() {
        let t = layout.instance_table[i];
        let table = &layout.tables[t];
        let len = inst.columns[0].len();
        let mut row = vec![F::ZERO; inst.columns.len()];
        for index in 0..len {
            for (slot, col) in row.iter_mut().zip(&inst.columns) {
                *slot = col[index];
            }
            let j = table
                .find_row(&row)
                .ok_or(LookupError::NotInTable { instance: i, index })?;
            counts[t][j] += 1;
        }
    }
    Ok(counts
        .into_iter()
        .map(|c| c.into_iter().map(F::from_u64).collect())
        .collect())
}

/// One layer of a fraction tree, split by its last variable (the sibling bit): `even[x]` is
/// entry `2x`, `odd[x]` entry `2x + 1`. Stored split so that the layer sumcheck can take the
/// four halves as its tables without copying.
#[derive(Clone, Debug, Default)]
pub(crate) struct SplitLayer {
    pub p_even: Vec<EF>,
    pub q_even: Vec<EF>,
    pub p_odd: Vec<EF>,
    pub q_odd: Vec<EF>,
}

/// A fraction tree with `2^n` leaves (`n ≥ 1`): `layers[ℓ]` for `ℓ = 1..=n` holds layer `ℓ`
/// split by its last variable (`layers[0]` is unused: the root is computed from layer 1).
#[derive(Clone, Debug)]
pub(crate) struct FractionTree {
    layers: Vec<SplitLayer>,
}

/// `(p, q)` of the sum of two fractions.
#[inline]
fn add_fractions(p0: EF, q0: EF, p1: EF, q1: EF) -> (EF, EF) {
    (p0 * q1 + p1 * q0, q0 * q1)
}

/// Evaluates `f` on `0..len`, in parallel for long ranges.
fn tabulate(len: usize, f: impl Fn(usize) -> (EF, EF) + Send + Sync) -> (Vec<EF>, Vec<EF>) {
    if len >= PAR_THRESHOLD {
        (0..len).into_par_iter().map(f).unzip()
    } else {
        (0..len).map(f).unzip()
    }
}

impl FractionTree {
    /// Builds every layer from the leaf function `leaf(i) = (p_i, q_i)` on `2^n` leaves.
    pub fn from_leaves(n: usize, leaf: impl Fn(usize) -> (EF, EF) + Send + Sync) -> Self {
        debug_assert!(n >= 1);
        let half = 1usize << (n - 1);
        let (p_even, q_even) = tabulate(half, |x| leaf(2 * x));
        let (p_odd, q_odd) = tabulate(half, |x| leaf(2 * x + 1));
        let mut layers = vec![SplitLayer::default(); n + 1];
        layers[n] = SplitLayer {
            p_even,
            q_even,
            p_odd,
            q_odd,
        };
        for l in (1..n).rev() {
            let child = &layers[l + 1];
            // Entry y of layer l is the sum of entries 2y and 2y + 1 of layer l + 1, which are
            // `even[y]` and `odd[y]` of the child.
            let parent = |y: usize| {
                add_fractions(
                    child.p_even[y],
                    child.q_even[y],
                    child.p_odd[y],
                    child.q_odd[y],
                )
            };
            let half = 1usize << (l - 1);
            let (p_even, q_even) = tabulate(half, |x| parent(2 * x));
            let (p_odd, q_odd) = tabulate(half, |x| parent(2 * x + 1));
            layers[l] = SplitLayer {
                p_even,
                q_even,
                p_odd,
                q_odd,
            };
        }
        Self { layers }
    }

    /// Number of variables of the leaves.
    #[cfg(test)]
    pub fn num_vars(&self) -> usize {
        self.layers.len() - 1
    }

    /// The root fraction `(p, q)`.
    #[cfg(test)]
    pub fn root(&self) -> (EF, EF) {
        let [p0, q0, p1, q1] = self.top();
        add_fractions(p0, q0, p1, q1)
    }

    /// Layer 1 as `[p(0), q(0), p(1), q(1)]`.
    pub fn top(&self) -> [EF; 4] {
        let l = &self.layers[1];
        [l.p_even[0], l.q_even[0], l.p_odd[0], l.q_odd[0]]
    }

    /// Moves layer `l + 1` out of the tree (each layer is consumed by exactly one sumcheck).
    pub fn take_child_layer(&mut self, l: usize) -> SplitLayer {
        core::mem::take(&mut self.layers[l + 1])
    }
}

/// The fraction trees of every lookup and table of the layout, in tree order: lookups get
/// `p = 1` on their entries and `0` on the padding, `q = γ − (a + β·b)` (columns zero-padded);
/// tables get `p = m`, `q = γ − (t + β·f)`.
pub(crate) fn build_trees(
    layout: &LookupLayout,
    instances: &[LookupInstance],
    multiplicities: &[Vec<F>],
    beta: EF,
    gamma: EF,
) -> Vec<FractionTree> {
    let leaf = |columns: &[Vec<F>], i: usize| -> EF {
        let mut fp = EF::ZERO;
        for col in columns.iter().rev() {
            fp = fp * beta + col.get(i).copied().unwrap_or(F::ZERO);
        }
        gamma - fp
    };
    let mut trees = Vec::with_capacity(layout.trees.len());
    for (inst, shape) in instances.iter().zip(&layout.instances) {
        let len = shape.len;
        trees.push(FractionTree::from_leaves(shape.num_vars(), |i| {
            (EF::from_bool(i < len), leaf(&inst.columns, i))
        }));
    }
    for (table, m) in layout.tables.iter().zip(multiplicities) {
        let columns = table.columns();
        trees.push(FractionTree::from_leaves(table.log_size, |i| {
            (EF::from(m[i]), leaf(&columns, i))
        }));
    }
    trees
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableSpec;
    use lucid_core::field::from_i64;
    use p3_field::Field;

    #[test]
    fn multiplicities_count_every_lookup_into_a_table() {
        let r = TableSpec::unsigned_range(2);
        let f = TableSpec::function_from(2, -2, |x| x * x);
        let v = |xs: &[i64]| xs.iter().map(|&x| from_i64(x)).collect::<Vec<F>>();
        let instances = vec![
            LookupInstance::range(r.clone(), v(&[0, 3, 3])),
            LookupInstance::function(f, v(&[-2, 1]), v(&[4, 1])),
            LookupInstance::range(r, v(&[3, 1, 0, 0, 0])),
        ];
        let m = multiplicities(&instances).expect("all entries are in their tables");
        assert_eq!(m, vec![v(&[4, 1, 0, 3]), v(&[1, 0, 0, 1])]);
    }

    #[test]
    fn multiplicities_reject_entries_outside_the_table() {
        let r = TableSpec::unsigned_range(3);
        let f = TableSpec::function_from(2, 0, |x| x + 1);
        let bad_range = LookupInstance::range(r, vec![from_i64(2), from_i64(8)]);
        assert_eq!(
            multiplicities(&[bad_range]),
            Err(LookupError::NotInTable {
                instance: 0,
                index: 1
            })
        );
        let bad_output = LookupInstance::function(f.clone(), vec![from_i64(1)], vec![from_i64(3)]);
        assert!(matches!(
            multiplicities(&[bad_output]),
            Err(LookupError::NotInTable { .. })
        ));
        let one_column = LookupInstance::range(f, vec![from_i64(1)]);
        assert!(matches!(
            multiplicities(&[one_column]),
            Err(LookupError::ColumnCount { .. })
        ));
    }

    #[test]
    fn tree_root_is_the_fraction_sum() {
        let leaves: Vec<(EF, EF)> = (1..=8u64)
            .map(|i| (EF::from_u64(i % 3), EF::from_u64(i + 10)))
            .collect();
        let tree = FractionTree::from_leaves(3, |i| leaves[i]);
        assert_eq!(tree.num_vars(), 3);
        let (rp, rq) = tree.root();
        let want: EF = leaves.iter().map(|&(p, q)| p * q.inverse()).sum();
        assert_eq!(rp * rq.inverse(), want);
        let [p0, q0, p1, q1] = tree.top();
        assert_eq!((rp, rq), (p0 * q1 + p1 * q0, q0 * q1));
    }

    #[test]
    fn logup_identity_holds_for_honest_witness() {
        let r = TableSpec::range(3, -4);
        let instances = vec![LookupInstance::range(
            r,
            [-4, 3, 3, 0, 1].iter().map(|&x| from_i64(x)).collect(),
        )];
        let layout = checked_layout(&instances).expect("valid");
        let m = multiplicities(&instances).expect("in table");
        let (beta, gamma) = (EF::from_u64(5), EF::from_u64(1 << 40));
        let trees = build_trees(&layout, &instances, &m, beta, gamma);
        let frac = |t: &FractionTree| t.root().0 * t.root().1.inverse();
        assert_eq!(frac(&trees[0]), frac(&trees[1]));
    }
}
