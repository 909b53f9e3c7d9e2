//! The prover's committed tables: phase 1 (blinded looked-up columns and multiplicities,
//! [`ZkWitness`]) and phase 2 (blinded helper limbs and the sumcheck masks, [`HelperColumns`]).

use lucid_core::field::{EF, F};
use lucid_core::sumcheck::zk::ZkMask;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, batch_multiplicative_inverse};
use p3_maybe_rayon::prelude::*;
use rand::{Rng, RngExt};

use crate::error::LookupError;
use crate::layout::{InstanceShape, LookupInstance};

use super::layout::{ZkLayout, table_inverse_denominators, tag_constant};
use super::proof::{ZkChallenges, ZkTableId};

/// Number of base-field limbs of an extension-field element.
pub(crate) const LIMBS: usize = 3;

/// `[values zero-padded to 2^num_vars ; 2^num_vars uniform elements]`: the blinded layout every
/// private base-field table is committed in (the blinding variable is the most significant).
///
/// # Panics
/// If `values.len() > 2^num_vars` (a caller bug).
pub fn blind_column<R: Rng + ?Sized>(values: &[F], num_vars: usize, rng: &mut R) -> Vec<F> {
    let half = 1usize << num_vars;
    assert!(values.len() <= half, "column longer than 2^num_vars");
    let mut out = Vec::with_capacity(2 * half);
    out.extend_from_slice(values);
    out.resize(half, F::ZERO);
    out.extend((0..half).map(|_| rng.random::<F>()));
    out
}

/// Phase 1: the blinded looked-up columns and multiplicities, which the caller commits (hiding)
/// before [`super::prove_phase2`] draws its challenges.
#[derive(Clone, Debug)]
pub struct ZkWitness {
    pub(crate) layout: ZkLayout,
    /// Per lookup, per column: `[column zero-padded to 2^n ; R]`.
    pub(crate) columns: Vec<Vec<Vec<F>>>,
    /// Per distinct table: `[multiplicities zero-padded to 2^n ; R]`.
    pub(crate) multiplicities: Vec<Vec<F>>,
}

impl ZkWitness {
    /// Blinds the lookups' columns and the multiplicities ([`crate::multiplicities`], one vector
    /// per distinct table in [`crate::LookupLayout::tables`] order) with fresh randomness.
    pub fn new<R: Rng + ?Sized>(
        instances: &[LookupInstance],
        multiplicities: &[Vec<F>],
        rng: &mut R,
    ) -> Result<Self, LookupError> {
        let shapes: Vec<InstanceShape> = instances.iter().map(LookupInstance::shape).collect();
        let layout = ZkLayout::new(&shapes)?;
        check_columns(instances)?;
        check_count(layout.base.tables.len(), multiplicities.len())?;
        for (table, m) in layout.base.tables.iter().zip(multiplicities) {
            if m.len() != table.size() {
                return Err(LookupError::Multiplicities {
                    what: "multiplicity vector length",
                    expected: table.size(),
                    got: m.len(),
                });
            }
        }
        let columns = instances
            .iter()
            .enumerate()
            .map(|(i, inst)| {
                let n = layout.instance_vars(i);
                inst.columns
                    .iter()
                    .map(|c| blind_column(c, n, rng))
                    .collect()
            })
            .collect();
        let multiplicities = multiplicities
            .iter()
            .enumerate()
            .map(|(j, m)| blind_column(m, layout.table_vars(j), rng))
            .collect();
        Ok(Self {
            layout,
            columns,
            multiplicities,
        })
    }

    /// A witness from tables the caller blinded itself (e.g. with [`blind_column`]): per lookup
    /// its columns, per distinct table its multiplicities, each of `2^{n+1}` entries with the
    /// unblinded data (zero-padded) in the first half. Only lengths are checked: with wrong
    /// contents the proof is rejected.
    pub fn from_blinded(
        shapes: &[InstanceShape],
        columns: Vec<Vec<Vec<F>>>,
        multiplicities: Vec<Vec<F>>,
    ) -> Result<Self, LookupError> {
        let layout = ZkLayout::new(shapes)?;
        if columns.len() != shapes.len() {
            return Err(LookupError::ProofShape {
                what: "blinded column lists",
                expected: shapes.len(),
                got: columns.len(),
            });
        }
        for (i, cols) in columns.iter().enumerate() {
            let expected = shapes[i].table.num_columns();
            if cols.len() != expected {
                return Err(LookupError::ColumnCount {
                    instance: i,
                    expected,
                    got: cols.len(),
                });
            }
            let len = 2usize << layout.instance_vars(i);
            if let Some((c, col)) = cols.iter().enumerate().find(|(_, c)| c.len() != len) {
                return Err(LookupError::ColumnLength {
                    instance: i,
                    column: c,
                    expected: len,
                    got: col.len(),
                });
            }
        }
        check_count(layout.base.tables.len(), multiplicities.len())?;
        for (j, m) in multiplicities.iter().enumerate() {
            let len = 2usize << layout.table_vars(j);
            if m.len() != len {
                return Err(LookupError::Multiplicities {
                    what: "blinded multiplicity vector length",
                    expected: len,
                    got: m.len(),
                });
            }
        }
        Ok(Self {
            layout,
            columns,
            multiplicities,
        })
    }

    /// The layout (groups and committed sizes).
    pub fn layout(&self) -> &ZkLayout {
        &self.layout
    }

    /// The public shapes.
    pub fn shapes(&self) -> &[InstanceShape] {
        &self.layout.base.instances
    }

    /// Every phase-1 table the caller must commit (hiding) before [`super::prove_phase2`].
    pub fn committed_tables(&self) -> Vec<(ZkTableId, &[F])> {
        let columns = self.columns.iter().enumerate().flat_map(|(i, cols)| {
            cols.iter().enumerate().map(move |(c, t)| {
                let id = ZkTableId::Column {
                    instance: i,
                    column: c,
                };
                (id, t.as_slice())
            })
        });
        let mults = self
            .multiplicities
            .iter()
            .enumerate()
            .map(|(j, t)| (ZkTableId::Multiplicity { table: j }, t.as_slice()));
        columns.chain(mults).collect()
    }

    /// A phase-1 table by id (`None` for phase-2 ids or out-of-range indices).
    pub fn table(&self, id: ZkTableId) -> Option<&[F]> {
        match id {
            ZkTableId::Column { instance, column } => {
                self.columns.get(instance)?.get(column).map(Vec::as_slice)
            }
            ZkTableId::Multiplicity { table } => self.multiplicities.get(table).map(Vec::as_slice),
            _ => None,
        }
    }
}

fn check_count(expected: usize, got: usize) -> Result<(), LookupError> {
    if expected != got {
        return Err(LookupError::Multiplicities {
            what: "number of multiplicity vectors",
            expected,
            got,
        });
    }
    Ok(())
}

fn check_columns(instances: &[LookupInstance]) -> Result<(), LookupError> {
    for (i, inst) in instances.iter().enumerate() {
        let expected = inst.table.num_columns();
        if inst.columns.len() != expected {
            return Err(LookupError::ColumnCount {
                instance: i,
                expected,
                got: inst.columns.len(),
            });
        }
        let len = inst.columns[0].len();
        if let Some((c, col)) = inst
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() != len)
        {
            return Err(LookupError::ColumnLength {
                instance: i,
                column: c,
                expected: len,
                got: col.len(),
            });
        }
    }
    Ok(())
}

/// Phase 2: the blinded limbs of the extension-field helper columns and one sumcheck mask per
/// group, which the caller commits (hiding) before [`super::prove`].
#[derive(Clone, Debug)]
pub struct HelperColumns {
    pub(crate) challenges: ZkChallenges,
    /// Per inverse slot ([`super::layout::InverseSlot`]), the three blinded limbs of `h`.
    pub(crate) inverses: Vec<[Vec<F>; LIMBS]>,
    /// Per group but the last, the three blinded limbs of its carry.
    pub(crate) carries: Vec<[Vec<F>; LIMBS]>,
    /// Per group, the ZK-sumcheck mask.
    pub(crate) masks: Vec<ZkMask>,
    /// Per distinct table, `1/(α − φ_j)` on its rows: public (the verifier recomputes it),
    /// kept for the sumcheck's `W_j`.
    pub(crate) table_inverses: Vec<Vec<EF>>,
}

impl HelperColumns {
    /// The challenges `α`, `β` the helpers were computed for.
    pub fn challenges(&self) -> ZkChallenges {
        self.challenges
    }

    /// Every phase-2 base-field table the caller must commit (hiding) before [`super::prove`].
    pub fn committed_tables(&self) -> Vec<(ZkTableId, &[F])> {
        let mut out = Vec::new();
        for (slot, limbs) in self.inverses.iter().enumerate() {
            for (limb, t) in limbs.iter().enumerate() {
                out.push((ZkTableId::Inverse { slot, limb }, t.as_slice()));
            }
        }
        for (g, limbs) in self.carries.iter().enumerate() {
            for (limb, t) in limbs.iter().enumerate() {
                out.push((ZkTableId::Carry { group: g, limb }, t.as_slice()));
            }
        }
        out
    }

    /// The masks, one per group (commit their coefficients, [`ZkMask::to_base_coeffs`]).
    pub fn masks(&self) -> &[ZkMask] {
        &self.masks
    }

    /// A phase-2 base-field table by id (`None` for masks, phase-1 ids or bad indices).
    pub fn table(&self, id: ZkTableId) -> Option<&[F]> {
        let (limbs, limb) = match id {
            ZkTableId::Inverse { slot, limb } => (self.inverses.get(slot)?, limb),
            ZkTableId::Carry { group, limb } => (self.carries.get(group)?, limb),
            _ => return None,
        };
        limbs.get(limb).map(Vec::as_slice)
    }

    /// Number of base-field elements the caller commits in phase 2 (limb tables and masks).
    pub fn num_committed_elements(&self) -> usize {
        let tables: usize = self.committed_tables().iter().map(|(_, t)| t.len()).sum();
        tables
            + self
                .masks
                .iter()
                .map(|m| m.to_base_coeffs().len())
                .sum::<usize>()
    }
}

/// The extension-field table whose limbs are `limbs`.
pub(crate) fn ef_table(limbs: &[Vec<F>; LIMBS]) -> Vec<EF> {
    let len = limbs[0].len();
    (0..len)
        .into_par_iter()
        .map(|x| EF::from_basis_coefficients_fn(|l| limbs[l][x]))
        .collect()
}

/// `Σ_l e_l·v_l`: the extension-field value whose limbs evaluate to `limb_evals`.
pub(crate) fn combine_limbs(limb_evals: &[EF]) -> EF {
    limb_evals
        .iter()
        .enumerate()
        .map(|(l, &v)| v * EF::from_basis_coefficients_fn(|k| F::from_bool(k == l)))
        .sum()
}

/// Splits an extension-field column of `2^n` entries into three limbs and blinds each.
fn blind_limbs<R: Rng + ?Sized>(values: &[EF], num_vars: usize, rng: &mut R) -> [Vec<F>; LIMBS] {
    std::array::from_fn(|l| {
        let limb: Vec<F> = values
            .iter()
            .map(|v| v.as_basis_coefficients_slice()[l])
            .collect();
        blind_column(&limb, num_vars, rng)
    })
}

/// `1/d` for every entry, or the index of a zero entry.
fn invert_all(denominators: &[EF]) -> Result<Vec<EF>, usize> {
    match denominators.iter().position(|d| *d == EF::ZERO) {
        Some(k) => Err(k),
        None => Ok(batch_multiplicative_inverse(denominators)),
    }
}

/// Computes the helper columns for challenges `ch`, blinds them, and samples the masks.
pub(crate) fn compute_helpers<R: Rng + ?Sized>(
    witness: &ZkWitness,
    ch: ZkChallenges,
    rng: &mut R,
) -> Result<HelperColumns, LookupError> {
    let layout = &witness.layout;
    let num_instances = layout.num_instances();

    // h_i = 1/(α − φ_i) on real entries, 0 on padding.
    let mut h_values = Vec::with_capacity(num_instances);
    for (i, shape) in layout.base.instances.iter().enumerate() {
        let tag = tag_constant(&ch, layout.base.instance_table[i]);
        let cols = &witness.columns[i];
        let denominators = fingerprint_denominators(cols, shape.len, tag, ch.beta);
        let mut h =
            invert_all(&denominators).map_err(|_| LookupError::ZeroDenominator { tree: i })?;
        h.resize(1 << layout.instance_vars(i), EF::ZERO);
        h_values.push(h);
    }

    // g_j = m_j/(α − φ_j) on real rows, 0 on padding: not committed (the sumcheck reads
    // `m'_j·W_j` with the public `W_j`), but part of the carries.
    let table_inverses = (0..layout.base.tables.len())
        .map(|j| table_inverse_denominators(layout, j, &ch))
        .collect::<Result<Vec<_>, _>>()?;
    let mut g_values = Vec::with_capacity(layout.base.tables.len());
    for (j, inv) in table_inverses.iter().enumerate() {
        let m = &witness.multiplicities[j];
        let mut g: Vec<EF> = inv.iter().zip(m).map(|(&d, &m)| d * m).collect();
        g.resize(1 << layout.table_vars(j), EF::ZERO);
        g_values.push(g);
    }

    // Carries: A_k = L_k + A_{k−1} (zero-padded), for every group but the last.
    let mut carry_values: Vec<Vec<EF>> = Vec::new();
    for group in layout.groups.iter().filter(|g| g.carry_out) {
        let mut a = carry_values.last().cloned().unwrap_or_default();
        a.resize(1 << group.num_vars, EF::ZERO);
        for &i in &group.instances {
            add_assign(&mut a, &h_values[i], EF::ONE);
        }
        for &j in &group.tables {
            add_assign(&mut a, &g_values[j], -EF::ONE);
        }
        carry_values.push(a);
    }

    // Inverse slots: a single lookup's h_i, or a pair's 1/(X_a·X_b) on the whole cube.
    let mut inverses = Vec::with_capacity(layout.slots.len());
    for (s, slot) in layout.slots.iter().enumerate() {
        let n = layout.slot_vars(s);
        let values = match slot.second {
            None => h_values[slot.first].clone(),
            Some(b) => {
                let cube = |i: usize| {
                    let tag = tag_constant(&ch, layout.base.instance_table[i]);
                    fingerprint_denominators(&witness.columns[i], 1 << n, tag, ch.beta)
                };
                let products: Vec<EF> = cube(slot.first)
                    .iter()
                    .zip(cube(b))
                    .map(|(&x, y)| x * y)
                    .collect();
                invert_all(&products).map_err(|_| LookupError::ZeroDenominator { tree: b })?
            }
        };
        inverses.push(blind_limbs(&values, n, rng));
    }
    let carries = carry_values
        .iter()
        .zip(&layout.groups)
        .map(|(a, group)| blind_limbs(a, group.num_vars, rng))
        .collect();
    let masks = layout
        .groups
        .iter()
        .enumerate()
        .map(|(k, g)| ZkMask::random(g.num_vars + 1, layout.group_degree(k), rng))
        .collect();
    Ok(HelperColumns {
        challenges: ch,
        inverses,
        carries,
        masks,
        table_inverses,
    })
}

/// `tag − (a_x + β·b_x)` for the first `len` rows of one or two columns.
pub(crate) fn fingerprint_denominators(
    columns: &[Vec<F>],
    len: usize,
    tag: EF,
    beta: EF,
) -> Vec<EF> {
    match columns {
        [a] => a[..len].par_iter().map(|&a| tag - a).collect(),
        [a, b, ..] => a[..len]
            .par_iter()
            .zip(b[..len].par_iter())
            .map(|(&a, &b)| tag - (beta * b + a))
            .collect(),
        [] => vec![tag; len],
    }
}

/// `acc[x] += scale·v[x]` over `v`'s entries.
fn add_assign(acc: &mut [EF], v: &[EF], scale: EF) {
    for (a, &b) in acc.iter_mut().zip(v) {
        *a += scale * b;
    }
}
