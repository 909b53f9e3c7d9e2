//! The plain proof's lookup instances, as the LogUp-GKR argument sees them: the lookups of
//! `graph::lookups`, the clamps' difference columns, and — when the plan's range table is the
//! byte table `[0, 2^8)` — every 16-bit range check split into two byte checks.
//!
//! A split check of a column `V` whose honest values lie in `[0, 2^16)` commits the low byte
//! `v0` (one table of the witness commitment) and looks up `v0` and the *virtual* high byte
//! `v1 = (V − v0)·2^{−8}` in `[0, 2^8)`. Both lookups hold iff `v0, v1` are integers in
//! `[0, 2^8)`, so `V = v0 + 2^8·v1` is an integer in `[0, 2^16)`: the same statement as one
//! lookup of `V` into the 16-bit table. Padding entries of `V` lie in `[0, 2^16)` (see
//! `graph::lookups`), so their bytes lie in the byte table too.
//!
//! `v1` is linear in `V` and `v0`: the argument's claim `v1(r) = h` becomes, with the prover's
//! `v0(r)` (sent in the proof, [`crate::graph::proof::Proof::low_bytes`]), the claim
//! `V(r) = v0(r) + 2^8·h` on `V`'s parts and the claim `v0(r)` on the committed low byte, both
//! settled by the witness opening; the claim on `v0` at the point of its own lookup is settled
//! there too.

use std::collections::HashMap;

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, eval_mle_base};
use lucid_lookup::{ColumnClaims, InstanceShape, LookupInstance, TableSpec};
use lucid_model::quant::QGraph;
use lucid_model::tensor::Tensor;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};

use crate::error::ProofError;
use crate::graph::clamp::{self, Clamp};
use crate::graph::lookups::{self as lk, Column, Target};
use crate::graph::plan::{BYTE_BITS, Plan, RANGE_BITS};
use crate::graph::proof::Claims;
use crate::layout::{PaddedShape, PaddedTensor};

/// What one looked-up column of the plain proof reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Looked {
    /// An affine image of a committed tensor or remainder limb.
    Column(Column),
    /// The difference column of clamp `k` (index into the plan's clamps).
    Gap(usize),
    /// The committed low byte `v0` of split check `s`.
    Low(usize),
    /// The high byte `(V − v0)·2^{−8}` of split check `s`.
    High(usize),
}

/// A range check of a column `V ∈ [0, 2^16)` made as two byte lookups.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The checked column: a [`Looked::Column`] or a [`Looked::Gap`].
    pub whole: Looked,
    /// Entries of `V` (and of the committed low byte).
    pub len: usize,
    /// Index of the instance looking up the high byte.
    pub high: usize,
}

/// One lookup instance: a table and the columns looked up in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The public table.
    pub table: TableSpec,
    /// The columns (1 for a range check, 2 for a function).
    pub columns: Vec<Looked>,
    /// Entries per column.
    pub len: usize,
}

/// Every lookup instance of the plain proof, in argument order, and the split checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrangement {
    /// The instances: `graph::lookups::lookups_with`'s lookups in order, then one per clamp's
    /// difference column; a split check takes two consecutive places (low byte, high byte).
    pub instances: Vec<Instance>,
    /// The split checks, in the order of their low bytes in the witness commitment.
    pub splits: Vec<Split>,
}

/// The instances of a plan with its clamps. A check in the 16-bit table is split when the
/// plan's range table is the byte table.
pub fn arrange(graph: &QGraph, plan: &Plan, clamps: &[Clamp]) -> Result<Arrangement, ProofError> {
    let mut arr = Arrangement {
        instances: Vec::new(),
        splits: Vec::new(),
    };
    let wide = lk::range_table();
    let checks = lk::lookups_with(graph, plan, clamps)?
        .into_iter()
        .map(|l| {
            let columns = l.columns.into_iter().map(Looked::Column).collect();
            (l.table, columns, l.len)
        })
        .chain(clamps.iter().enumerate().map(|(i, k)| {
            let len = 1 << PaddedShape::new(&graph.nodes[k.node].shape).num_vars();
            (lk::gap_table(graph, plan, k), vec![Looked::Gap(i)], len)
        }));
    for (table, mut columns, len) in checks {
        if plan.range_bits < RANGE_BITS && table == wide && columns.len() == 1 {
            let s = arr.splits.len();
            let byte = lk::range_table_bits(BYTE_BITS);
            arr.instances.push(Instance {
                table: byte.clone(),
                columns: vec![Looked::Low(s)],
                len,
            });
            arr.instances.push(Instance {
                table: byte,
                columns: vec![Looked::High(s)],
                len,
            });
            arr.splits.push(Split {
                whole: columns.remove(0),
                len,
                high: arr.instances.len() - 1,
            });
        } else {
            arr.instances.push(Instance {
                table,
                columns,
                len,
            });
        }
    }
    Ok(arr)
}

impl Arrangement {
    /// The shapes the verifier hands to the lookup argument.
    pub fn shapes(&self) -> Vec<InstanceShape> {
        self.instances
            .iter()
            .map(|i| InstanceShape {
                table: i.table.clone(),
                len: i.len,
            })
            .collect()
    }

    /// The lengths of the committed low bytes, in split order.
    pub fn low_byte_lens(&self) -> Vec<usize> {
        self.splits.iter().map(|s| s.len).collect()
    }
}

/// The field tables the plain prover commits or reduces, in the padded layout.
#[derive(Clone, Debug)]
pub struct FieldWitness {
    /// The integer tensors, one per node (the statement's public inputs and outputs are read
    /// from them).
    pub tensors: Vec<Tensor<i64>>,
    /// Per node, its padded tensor.
    pub padded: Vec<PaddedTensor>,
    /// Per `(requantization node, limb)`, the padded remainder limb.
    pub limbs: HashMap<(usize, usize), PaddedTensor>,
    /// The committed low bytes of the split checks; `None` to derive them from the other
    /// tables (as an honest prover does, [`low_bytes`]).
    pub low_bytes: Option<Vec<Vec<F>>>,
}

/// The values of a column that is not a low byte (prover side).
fn whole_values(
    plan: &Plan,
    clamps: &[Clamp],
    w: &FieldWitness,
    looked: &Looked,
    len: usize,
) -> Vec<F> {
    match looked {
        Looked::Column(c) => lk::column_values_with(
            plan.range_bits,
            c,
            len,
            |n| &w.padded[n].evals,
            |n| crate::graph::statement::real_mask(&w.padded[n].shape),
            |n, i| &w.limbs[&(n, i)].evals,
        ),
        Looked::Gap(k) => clamp::gap_values(&clamps[*k], &w.padded),
        Looked::Low(_) | Looked::High(_) => {
            unreachable!("a split check's whole column is a tensor column or a gap")
        }
    }
}

/// The honest low bytes of every split check: the low 8 bits of each entry of `V` (read as
/// its canonical representative).
pub fn low_bytes(
    plan: &Plan,
    clamps: &[Clamp],
    arr: &Arrangement,
    w: &FieldWitness,
) -> Vec<Vec<F>> {
    arr.splits
        .iter()
        .map(|s| {
            whole_values(plan, clamps, w, &s.whole, s.len)
                .into_iter()
                .map(|v| F::from_u64(v.as_canonical_u64() & 0xFF))
                .collect()
        })
        .collect()
}

/// The lookup instances with their values (prover side), given the low bytes.
pub fn instances(
    plan: &Plan,
    clamps: &[Clamp],
    arr: &Arrangement,
    w: &FieldWitness,
    lows: &[Vec<F>],
) -> Vec<LookupInstance> {
    let inv = F::from_u64(1 << BYTE_BITS).inverse();
    arr.instances
        .iter()
        .map(|i| LookupInstance {
            table: i.table.clone(),
            columns: i
                .columns
                .iter()
                .map(|c| match c {
                    Looked::Low(s) => lows[*s].clone(),
                    Looked::High(s) => {
                        let split = &arr.splits[*s];
                        whole_values(plan, clamps, w, &split.whole, split.len)
                            .into_iter()
                            .zip(&lows[*s])
                            .map(|(v, &l)| (v - l) * inv)
                            .collect()
                    }
                    whole => whole_values(plan, clamps, w, whole, i.len),
                })
                .collect(),
        })
        .collect()
}

/// The claims the lookup argument's output leaves, once every column is undone.
#[derive(Clone, Debug, Default)]
pub struct LookupClaims {
    /// Per clamp, its difference column's point and value.
    pub gaps: Vec<(Vec<EF>, EF)>,
    /// Claims on the committed low bytes: `(split, claim)`.
    pub low_bytes: Vec<(usize, EvalClaim)>,
}

/// Undoes every column claim of the lookup argument: claims on tensors and limbs go into
/// `claims`; the clamps' difference claims and the low-byte claims are returned. `lows[s]` is
/// the low byte of split `s` at its high byte's point (from the proof). Errors (never panics)
/// when the argument's output does not match the arrangement.
pub fn undo_claims(
    graph: &QGraph,
    plan: &Plan,
    num_clamps: usize,
    arr: &Arrangement,
    columns: &[ColumnClaims],
    lows: &[EF],
    claims: &mut Claims,
) -> Result<LookupClaims, ProofError> {
    let malformed = |what: &str| ProofError::Malformed(what.to_string());
    if columns.len() != arr.instances.len() {
        return Err(malformed("lookup claims do not match the lookups"));
    }
    if lows.len() != arr.splits.len() {
        return Err(ProofError::Malformed(format!(
            "{} low-byte evaluations for {} split range checks",
            lows.len(),
            arr.splits.len()
        )));
    }
    let shape = |n: usize| PaddedShape::new(&graph.nodes[n].shape);
    let mut gaps: Vec<Option<(Vec<EF>, EF)>> = vec![None; num_clamps];
    let mut out = LookupClaims::default();
    let mut whole = |looked: &Looked, point: &[EF], v: EF| -> Result<(), ProofError> {
        match looked {
            Looked::Column(c) => {
                let (target, point, value) = lk::undo_column(plan.range_bits, c, point, v, shape);
                let claim = EvalClaim::new(point, value);
                match target {
                    Target::Tensor(n) => claims.on_node[n].push(claim),
                    Target::Limb(n, l) => claims.on_limb.push((n, l, claim)),
                }
            }
            Looked::Gap(k) => {
                let slot = gaps
                    .get_mut(*k)
                    .ok_or_else(|| malformed("a difference column of a missing clamp"))?;
                *slot = Some((point.to_vec(), v));
            }
            Looked::Low(_) | Looked::High(_) => {
                return Err(malformed("a split check of a byte column"));
            }
        }
        Ok(())
    };
    let two8 = EF::from(F::from_u64(1 << BYTE_BITS));
    for (inst, cc) in arr.instances.iter().zip(columns) {
        if cc.column_evals.len() != inst.columns.len() {
            return Err(malformed("lookup column claims do not match the columns"));
        }
        for (c, &v) in inst.columns.iter().zip(&cc.column_evals) {
            match c {
                Looked::Low(s) => out
                    .low_bytes
                    .push((*s, EvalClaim::new(cc.point.clone(), v))),
                Looked::High(s) => {
                    let split = arr
                        .splits
                        .get(*s)
                        .ok_or_else(|| malformed("a high byte of a missing split check"))?;
                    let low = lows[*s];
                    out.low_bytes
                        .push((*s, EvalClaim::new(cc.point.clone(), low)));
                    whole(&split.whole, &cc.point, low + two8 * v)?;
                }
                other => whole(other, &cc.point, v)?,
            }
        }
    }
    out.gaps = gaps
        .into_iter()
        .map(|g| g.ok_or_else(|| malformed("a clamp without a difference column claim")))
        .collect::<Result<_, _>>()?;
    Ok(out)
}

/// Each split's low byte at its high byte's point (prover side).
pub fn low_byte_evals(arr: &Arrangement, columns: &[ColumnClaims], lows: &[Vec<F>]) -> Vec<EF> {
    arr.splits
        .iter()
        .zip(lows)
        .map(|(s, l)| eval_mle_base(l, &columns[s.high].point))
        .collect()
}
