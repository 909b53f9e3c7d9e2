//! The shape of a zero-knowledge lookup batch, shared by prover, verifier and simulator: the
//! groups of equal size, the committed tables' sizes, and each group's sumcheck polynomial (its
//! tables, terms and public claimed sum) and public table evaluations.

use lucid_core::field::EF;
use lucid_core::mle::{eq_eval, eq_table};
use lucid_core::sumcheck::ProductTerm;
use p3_field::{PrimeCharacteristicRing, batch_multiplicative_inverse};

use crate::error::LookupError;
use crate::layout::{InstanceShape, LookupLayout};
use crate::table::TableSpec;
use crate::verifier::prefix_indicator;

use super::proof::ZkChallenges;
use super::witness::fingerprint_denominators;

/// Minimum number of (unblinded) variables of every committed private table: smaller lookups and
/// tables are zero-padded to `2^MIN_ZK_VARS` entries, so that each blinding half (`≥ 8` uniform
/// base-field elements) hides the two extension-field evaluations it is queried at.
pub const MIN_ZK_VARS: usize = 3;

/// One group: the lookups and distinct tables of `n` variables, proved by one ZK sumcheck over
/// `1 + n` variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkGroup {
    /// Variables of the group's (unblinded) tables.
    pub num_vars: usize,
    /// Lookups of this size, by increasing index.
    pub instances: Vec<usize>,
    /// The group's inverse slots ([`ZkLayout::slots`] indices): its lookups paired in order,
    /// the last one alone if their number is odd.
    pub slots: Vec<usize>,
    /// Distinct tables of this size ([`LookupLayout::tables`] indices), by increasing index.
    pub tables: Vec<usize>,
    /// The previous group's number of variables, if there is a previous group (its carry enters
    /// this group zero-padded).
    pub carry_in: Option<usize>,
    /// Whether this group emits a carry (every group but the last).
    pub carry_out: bool,
}

/// One committed inverse helper column: for a single lookup `i`, `h = sel_i/(α − φ_i)`; for a
/// pair `(a, b)` of lookups of one group, `h = 1/((α − φ_a)(α − φ_b))` on the whole cube, from
/// which both lookups' fractions follow (`sel_a/(α − φ_a) = sel_a·(α − φ_b)·h`): one
/// extension-field column (three blinded limbs) for two lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InverseSlot {
    pub first: usize,
    pub second: Option<usize>,
    /// The slot's group.
    pub group: usize,
}

/// The shape of a zero-knowledge lookup batch, derived from the instance shapes alone.
#[derive(Clone, Debug)]
pub struct ZkLayout {
    /// The plain layout: distinct tables (multiplicity order) and each lookup's table.
    pub base: LookupLayout,
    /// Groups by increasing size.
    pub groups: Vec<ZkGroup>,
    /// For each lookup, its group.
    pub instance_group: Vec<usize>,
    /// For each distinct table, its group.
    pub table_group: Vec<usize>,
    /// The inverse helper columns, group by group.
    pub slots: Vec<InverseSlot>,
}

impl ZkLayout {
    /// Validates the shapes and groups lookups and tables by size.
    pub fn new(shapes: &[InstanceShape]) -> Result<Self, LookupError> {
        let base = LookupLayout::new(shapes)?;
        let inst_vars: Vec<usize> = shapes
            .iter()
            .map(|s| s.num_vars().max(MIN_ZK_VARS))
            .collect();
        let table_vars: Vec<usize> = base
            .tables
            .iter()
            .map(|t| t.log_size.max(MIN_ZK_VARS))
            .collect();
        let mut sizes: Vec<usize> = inst_vars.iter().chain(&table_vars).copied().collect();
        sizes.sort_unstable();
        sizes.dedup();
        let count = sizes.len();
        let mut slots = Vec::new();
        let groups: Vec<ZkGroup> = sizes
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let instances: Vec<usize> =
                    (0..shapes.len()).filter(|&i| inst_vars[i] == n).collect();
                let first_slot = slots.len();
                slots.extend(instances.chunks(2).map(|pair| InverseSlot {
                    first: pair[0],
                    second: pair.get(1).copied(),
                    group: k,
                }));
                ZkGroup {
                    num_vars: n,
                    instances,
                    slots: (first_slot..slots.len()).collect(),
                    tables: (0..table_vars.len())
                        .filter(|&j| table_vars[j] == n)
                        .collect(),
                    carry_in: k.checked_sub(1).map(|p| sizes[p]),
                    carry_out: k + 1 < count,
                }
            })
            .collect();
        let position = |n: usize| sizes.iter().position(|&s| s == n).unwrap_or(0);
        Ok(Self {
            instance_group: inst_vars.iter().map(|&n| position(n)).collect(),
            table_group: table_vars.iter().map(|&n| position(n)).collect(),
            base,
            groups,
            slots,
        })
    }

    /// Number of lookups.
    pub fn num_instances(&self) -> usize {
        self.base.instances.len()
    }

    /// Variables of lookup `i`'s committed columns before blinding (they have `2^{n+1}` entries
    /// blinded).
    pub fn instance_vars(&self, i: usize) -> usize {
        self.groups[self.instance_group[i]].num_vars
    }

    /// Variables of table `j`'s committed multiplicities before blinding.
    pub fn table_vars(&self, j: usize) -> usize {
        self.groups[self.table_group[j]].num_vars
    }

    /// The degree of group `k`'s sumcheck (and of its Libra mask): [`super::GROUP_DEGREE`], plus
    /// one if the group has a pair of lookups sharing an inverse column.
    pub fn group_degree(&self, k: usize) -> usize {
        let paired = self.groups[k]
            .slots
            .iter()
            .any(|&s| self.slots[s].second.is_some());
        super::GROUP_DEGREE + usize::from(paired)
    }

    /// Variables of inverse slot `s`'s column before blinding.
    pub fn slot_vars(&self, s: usize) -> usize {
        self.groups[self.slots[s].group].num_vars
    }

    /// Number of extension-field helper columns: one per inverse slot and per carry.
    pub fn num_helper_columns(&self) -> usize {
        self.slots.len() + self.groups.len().saturating_sub(1)
    }
}

/// The indices of a group's sumcheck tables.
///
/// Order: `S = [1 ; 0]`, `ES = [eq(τ, ·) ; 0]`; per lookup `X = α − β²·t − w'_0 − β·w'_1`
/// (the denominator `α − φ` on the blinded columns: its MLE is the same affine combination of
/// theirs); per inverse slot `h'`, and for a pair each lookup's `S·sel = [sel ; 0]` if it is
/// padded (else `S` serves); per table `m'` and the public `W = [tsel/(α − φ_j) ; same]` (zero
/// on a padded table's extra rows); then the carry in `B` and the carry out `A'`, if any.
#[derive(Clone, Debug)]
pub(crate) struct GroupTables {
    pub s: usize,
    pub es: usize,
    /// Per lookup of the group: `x`.
    pub instances: Vec<usize>,
    /// Per inverse slot of the group: `h`, and for a pair the `S·sel` tables of its two
    /// lookups (`S` itself when a lookup fills the cube).
    pub slots: Vec<(usize, Option<(usize, usize)>)>,
    /// Per table of the group: `(m, w)`.
    pub tables: Vec<(usize, usize)>,
    pub carry_in: Option<usize>,
    pub carry_out: Option<usize>,
    pub count: usize,
}

impl GroupTables {
    pub fn new(layout: &ZkLayout, group: &ZkGroup) -> Self {
        let mut next = 0;
        let mut take = || {
            next += 1;
            next - 1
        };
        let s = take();
        let es = take();
        let instances = group.instances.iter().map(|_| take()).collect();
        let full = |i: usize| layout.base.instances[i].len == 1 << group.num_vars;
        let slots = group
            .slots
            .iter()
            .map(|&sl| {
                let slot = layout.slots[sl];
                let h = take();
                let sels = slot.second.map(|b| {
                    let sa = if full(slot.first) { s } else { take() };
                    let sb = if full(b) { s } else { take() };
                    (sa, sb)
                });
                (h, sels)
            })
            .collect();
        let tables = group.tables.iter().map(|_| (take(), take())).collect();
        let carry_in = group.carry_in.map(|_| take());
        let carry_out = group.carry_out.then(&mut take);
        Self {
            s,
            es,
            instances,
            slots,
            tables,
            carry_in,
            carry_out,
            count: next,
        }
    }
}

/// The zero-check batching coefficients `λ^1, λ^2, …` of a group's inverse slots.
fn zero_check_coeffs(group: &ZkGroup, lambda: EF) -> Vec<EF> {
    let count = group.slots.len();
    let mut out = Vec::with_capacity(count);
    let mut c = lambda;
    for _ in 0..count {
        out.push(c);
        c *= lambda;
    }
    out
}

/// `α − β²·t`: the constant part of `α − φ` for rows of distinct table `t`.
pub(crate) fn tag_constant(ch: &ZkChallenges, table: usize) -> EF {
    ch.alpha - ch.beta.square() * EF::from_usize(table)
}

/// The terms of a group's sumcheck polynomial (see the module documentation), over the tables of
/// [`GroupTables`].
pub(crate) fn group_terms(
    layout: &ZkLayout,
    group: &ZkGroup,
    idx: &GroupTables,
    lambda: EF,
) -> Vec<ProductTerm> {
    let term = |coeff: EF, factors: Vec<usize>| ProductTerm { coeff, factors };
    // The `X` table of lookup `i` of the group.
    let x_of = |i: usize| {
        let pos = group.instances.iter().position(|&g| g == i).unwrap_or(0);
        idx.instances[pos]
    };
    let mut terms = Vec::new();
    // The LogUp sum part: a single lookup's `S·h`; a pair's `S·sel_a·X_b·h + S·sel_b·X_a·h`.
    for (&sl, &(h, sels)) in group.slots.iter().zip(&idx.slots) {
        let slot = layout.slots[sl];
        match (slot.second, sels) {
            (Some(b), Some((sa, sb))) => {
                terms.push(term(EF::ONE, vec![sa, h, x_of(b)]));
                terms.push(term(EF::ONE, vec![sb, h, x_of(slot.first)]));
            }
            _ => terms.push(term(EF::ONE, vec![idx.s, h])),
        }
    }
    for &(m, w) in &idx.tables {
        terms.push(term(-EF::ONE, vec![idx.s, m, w]));
    }
    if let Some(b) = idx.carry_in {
        terms.push(term(EF::ONE, vec![idx.s, b]));
    }
    if let Some(a) = idx.carry_out {
        terms.push(term(-EF::ONE, vec![idx.s, a]));
    }
    // The zero-checks: `h·X_i = sel_i` for a single lookup, `h·X_a·X_b = 1` for a pair.
    let coeffs = zero_check_coeffs(group, lambda);
    for ((&sl, &(h, _)), &mu) in group.slots.iter().zip(&idx.slots).zip(&coeffs) {
        let slot = layout.slots[sl];
        let mut factors = vec![idx.es, h, x_of(slot.first)];
        factors.extend(slot.second.map(x_of));
        terms.push(term(mu, factors));
    }
    terms
}

/// The group's public claimed sum: `Σ_s μ_s·sel_s(τ)` over its inverse slots, `sel_i(τ)` for a
/// single lookup and `1 = Σ_x eq(τ, x)` for a pair (the zero-checks' constant terms, moved to
/// the right-hand side).
pub(crate) fn group_claimed_sum(layout: &ZkLayout, group: &ZkGroup, lambda: EF, tau: &[EF]) -> EF {
    let coeffs = zero_check_coeffs(group, lambda);
    group
        .slots
        .iter()
        .zip(&coeffs)
        .map(|(&sl, &mu)| {
            let slot = layout.slots[sl];
            match slot.second {
                Some(_) => mu,
                None => mu * prefix_indicator(layout.base.instances[slot.first].len, tau),
            }
        })
        .sum()
}

/// `Π_{k < pad} (1 − point[k])`: the factor by which a table of `point.len() − pad` variables,
/// zero-padded to `point.len()` variables, scales at `point`.
pub(crate) fn padding_factor(point: &[EF], pad: usize) -> EF {
    point[..pad].iter().map(|&r| EF::ONE - r).product()
}

/// `φ` of a row from its column values: `a + β·b`.
pub(crate) fn combine_columns(columns: &[EF], beta: EF) -> EF {
    columns
        .iter()
        .rev()
        .fold(EF::ZERO, |acc, &v| acc * beta + v)
}

/// `1/(α − φ_j(y))` for every row `y` of distinct table `j` (`2^{log_size}` entries), or
/// [`LookupError::ZeroDenominator`] (`tree` numbered as [`crate::LookupLayout`]: lookups, then
/// tables) if a row's denominator is zero (probability `≤ rows/|EF|` over `α`).
pub(crate) fn table_inverse_denominators(
    layout: &ZkLayout,
    j: usize,
    ch: &ZkChallenges,
) -> Result<Vec<EF>, LookupError> {
    let spec: &TableSpec = &layout.base.tables[j];
    let denominators =
        fingerprint_denominators(&spec.columns(), spec.size(), tag_constant(ch, j), ch.beta);
    if denominators.contains(&EF::ZERO) {
        return Err(LookupError::ZeroDenominator {
            tree: layout.num_instances() + j,
        });
    }
    Ok(batch_multiplicative_inverse(&denominators))
}

/// Evaluations of a group's public tables at the sumcheck point `(r_c, r)`, written into
/// `evals` (indexed as [`GroupTables`]): `S`, `ES` and every `W` (`O(2^k)` for a table of `2^k`
/// rows: the inverse denominators have no closed form).
pub(crate) fn public_evals(
    layout: &ZkLayout,
    group: &ZkGroup,
    idx: &GroupTables,
    ch: &ZkChallenges,
    tau: &[EF],
    point: &[EF],
    evals: &mut [EF],
) -> Result<(), LookupError> {
    let (r_c, r) = (point[0], &point[1..]);
    evals[idx.s] = EF::ONE - r_c;
    evals[idx.es] = (EF::ONE - r_c) * eq_eval(tau, r);
    for (&sl, &(_, sels)) in group.slots.iter().zip(&idx.slots) {
        let slot = layout.slots[sl];
        if let (Some(b), Some((sa, sb))) = (slot.second, sels) {
            for (i, t) in [(slot.first, sa), (b, sb)] {
                if t != idx.s {
                    evals[t] = (EF::ONE - r_c) * prefix_indicator(layout.base.instances[i].len, r);
                }
            }
        }
    }
    for (&j, &(_, w)) in group.tables.iter().zip(&idx.tables) {
        let pad = group.num_vars - layout.base.tables[j].log_size;
        let inverses = table_inverse_denominators(layout, j, ch)?;
        let at_rows: EF = eq_table(&r[pad..])
            .iter()
            .zip(&inverses)
            .map(|(&e, &d)| e * d)
            .sum();
        evals[w] = padding_factor(r, pad) * at_rows;
    }
    Ok(())
}
