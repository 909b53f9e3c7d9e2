//! The zero-knowledge prover's looked-up columns (phase 1 of the lookup argument): each column's
//! values and its blinded table `[V ; R_V]`, an affine image of committed blinded tables — a
//! tensor's or a limb's (the plain proof's columns), `z' − y'` (a ReLU's difference), a split
//! check's committed low byte `[v0 ; R_0]` with a fresh mask, or its high byte
//! `(V' − v0')·2^{−8}` — and the prover's column messages after the argument (`z'` of each
//! difference, `v0'` of each high byte, at the claims' points).

use std::collections::HashMap;

use lucid_core::field::{EF, F};
use lucid_lookup::zk::{ZkClaim, ZkTableId, ZkWitness, blind_column};
use lucid_lookup::{LookupInstance, LookupLayout, multiplicities};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField64};
use rand::CryptoRng;

use super::common::pow2;
use super::masks::blinded_eval;
use super::plan::{ZkColumn, ZkPlan};
use super::witness::random_table;
use crate::error::ProofError;
use crate::graph::lookups::{self as lk, Column};
use crate::graph::plan::BYTE_BITS;
use crate::graph::statement::real_mask;
use crate::layout::PaddedTensor;

fn internal(what: impl ToString) -> ProofError {
    ProofError::Witness {
        node: "zero-knowledge prover".into(),
        reason: what.to_string(),
    }
}

/// A cheating prover's changes to its lookup witness (soundness tests only; an honest prover
/// uses [`Cheat::default`]).
#[derive(Clone, Debug, Default)]
pub struct Cheat {
    /// `(split, entry, delta)`: adds `delta` to a low byte (the high byte follows from it).
    pub low_byte: Option<(usize, usize, i64)>,
    /// `(requantization node, entry)`: adds `2^B` to remainder limb 0 and subtracts 1 from
    /// limb 1 at that entry (`B` the plan's range width), which keeps the requantization
    /// identity but puts limb 0 out of range.
    pub limb_carry: Option<(usize, usize)>,
    /// Forces the plan's range width (not a cheat: for measurements of both widths).
    pub range_bits: Option<u32>,
}

impl Cheat {
    fn any(&self) -> bool {
        self.low_byte.is_some() || self.limb_carry.is_some()
    }

    /// Applies [`Cheat::limb_carry`] to the remainder limbs.
    pub(crate) fn apply_to_limbs(
        &self,
        bits: u32,
        limbs: &mut HashMap<(usize, usize), PaddedTensor>,
    ) {
        let Some((node, entry)) = self.limb_carry else {
            return;
        };
        if let Some(v) = limbs
            .get_mut(&(node, 0))
            .and_then(|l| l.evals.get_mut(entry))
        {
            *v += pow2(bits);
        }
        if let Some(v) = limbs
            .get_mut(&(node, 1))
            .and_then(|l| l.evals.get_mut(entry))
        {
            *v -= F::ONE;
        }
    }
}

/// The private tables the columns are made from.
pub(crate) struct Sources<'a> {
    pub padded: &'a [PaddedTensor],
    pub limbs: &'a HashMap<(usize, usize), PaddedTensor>,
    pub masks: &'a [Option<Vec<F>>],
    pub limb_masks: &'a HashMap<(usize, usize), Vec<F>>,
}

impl Sources<'_> {
    fn mask(&self, n: usize) -> Result<&[F], ProofError> {
        self.masks[n]
            .as_deref()
            .ok_or_else(|| internal(format!("node {n} has no mask")))
    }

    /// The values and the mask half of a column that is not a byte of a split check.
    fn whole(
        &self,
        zp: &ZkPlan,
        col: &ZkColumn,
        len: usize,
    ) -> Result<(Vec<F>, Vec<F>), ProofError> {
        let bits = zp.plan.range_bits;
        match col {
            ZkColumn::Diff { z, y } => {
                let (vz, vy) = (&self.padded[*z].evals, &self.padded[*y].evals);
                let (mz, my) = (self.mask(*z)?, self.mask(*y)?);
                Ok((
                    vz.iter().zip(vy).map(|(&a, &b)| a - b).collect(),
                    mz.iter().zip(my).map(|(&a, &b)| a - b).collect(),
                ))
            }
            ZkColumn::Plain(c) => {
                let values = lk::column_values_with(
                    bits,
                    c,
                    len,
                    |n| &self.padded[n].evals,
                    |n| real_mask(&self.padded[n].shape),
                    |n, i| &self.limbs[&(n, i)].evals,
                );
                let half: Vec<F> = match c {
                    Column::Limb { node, limb, width } => {
                        let s = pow2(bits.saturating_sub(*width));
                        self.limb_masks
                            .get(&(*node, *limb))
                            .ok_or_else(|| internal("a limb without a mask"))?
                            .iter()
                            .map(|&v| v * s)
                            .collect()
                    }
                    Column::AboveLo { node, .. } | Column::Shifted { node, .. } => {
                        self.mask(*node)?.to_vec()
                    }
                    Column::BelowHi { node, .. } => self.mask(*node)?.iter().map(|&v| -v).collect(),
                };
                Ok((values, half))
            }
            ZkColumn::Low(_) | ZkColumn::High(_) => {
                Err(internal("a split check's whole column is a byte column"))
            }
        }
    }
}

/// The committed low byte of a split check: its values and its fresh mask.
pub(crate) struct LowByte {
    pub values: Vec<F>,
    pub mask: Vec<F>,
}

/// The lookup argument's phase-1 witness and the split checks' low bytes.
pub(crate) fn lookup_witness<R: CryptoRng + ?Sized>(
    zp: &ZkPlan,
    src: &Sources<'_>,
    cheat: &Cheat,
    rng: &mut R,
) -> Result<(Option<ZkWitness>, Vec<LowByte>), ProofError> {
    let Some(layout) = &zp.lookup_layout else {
        return Ok((None, Vec::new()));
    };
    let mut wholes = Vec::with_capacity(zp.splits.len());
    let mut lows = Vec::with_capacity(zp.splits.len());
    for (s, split) in zp.splits.iter().enumerate() {
        let whole = src.whole(zp, &split.whole, split.len)?;
        let mut values: Vec<F> = whole
            .0
            .iter()
            .map(|v| F::from_u64(v.as_canonical_u64() & 0xFF))
            .collect();
        if let Some((cs, i, delta)) = cheat.low_byte
            && cs == s
            && let Some(v) = values.get_mut(i)
        {
            *v += lucid_core::field::from_i64(delta);
        }
        lows.push(LowByte {
            values,
            mask: random_table(split.len, rng),
        });
        wholes.push(whole);
    }
    let inv = pow2(BYTE_BITS).inverse();
    let mut instances = Vec::with_capacity(zp.lookups.len());
    let mut blinded_cols = Vec::with_capacity(zp.lookups.len());
    for l in &zp.lookups {
        let mut cols = Vec::new();
        let mut blinded = Vec::new();
        for zc in &l.columns {
            let (values, half) = match zc {
                ZkColumn::Low(s) => (lows[*s].values.clone(), lows[*s].mask.clone()),
                ZkColumn::High(s) => {
                    let ((wv, wh), low) = (&wholes[*s], &lows[*s]);
                    (
                        wv.iter()
                            .zip(&low.values)
                            .map(|(&v, &b)| (v - b) * inv)
                            .collect(),
                        wh.iter()
                            .zip(&low.mask)
                            .map(|(&v, &b)| (v - b) * inv)
                            .collect(),
                    )
                }
                whole => src.whole(zp, whole, l.len)?,
            };
            if half.len() != values.len() {
                return Err(internal("a lookup column and its mask differ in length"));
            }
            blinded.push([values.as_slice(), half.as_slice()].concat());
            cols.push(values);
        }
        instances.push(LookupInstance {
            table: l.table.clone(),
            columns: cols,
        });
        blinded_cols.push(blinded);
    }
    let mults = if cheat.any() {
        lenient_multiplicities(zp, &instances)?
    } else {
        multiplicities(&instances)?
    };
    let blinded_mults: Vec<Vec<F>> = mults
        .iter()
        .enumerate()
        .map(|(j, m)| blind_column(m, layout.table_vars(j), rng))
        .collect();
    let witness = ZkWitness::from_blinded(&zp.shapes, blinded_cols, blinded_mults)?;
    Ok((Some(witness), lows))
}

/// Multiplicities that count only the entries found in their table (a cheating prover's: the
/// LogUp sum then does not balance and the verifier must reject).
fn lenient_multiplicities(
    zp: &ZkPlan,
    instances: &[LookupInstance],
) -> Result<Vec<Vec<F>>, ProofError> {
    let layout = LookupLayout::new(&zp.shapes)?;
    let mut counts: Vec<Vec<u64>> = layout.tables.iter().map(|t| vec![0; t.size()]).collect();
    for (i, inst) in instances.iter().enumerate() {
        let t = layout.instance_table[i];
        let len = inst.columns.first().map_or(0, Vec::len);
        for index in 0..len {
            let row: Vec<F> = inst.columns.iter().map(|c| c[index]).collect();
            if let Some(j) = layout.tables[t].find_row(&row) {
                counts[t][j] += 1;
            }
        }
    }
    Ok(counts
        .into_iter()
        .map(|c| c.into_iter().map(F::from_u64).collect())
        .collect())
}

/// The prover's column messages for the argument's claims, in claim order: `(diffs, lows)`
/// ([`super::common::settle_lookup_claims`]).
pub(crate) fn column_messages(
    zp: &ZkPlan,
    src: &Sources<'_>,
    lows: &[LowByte],
    claims: &[ZkClaim],
) -> Result<(Vec<EF>, Vec<EF>), ProofError> {
    let mut diffs = Vec::new();
    let mut low_evals = Vec::new();
    for c in claims {
        let ZkTableId::Column { instance, column } = c.table else {
            continue;
        };
        let Some(mut col) = zp.lookups.get(instance).and_then(|l| l.columns.get(column)) else {
            continue;
        };
        let (rc, x) = (c.point[0], &c.point[1..]);
        if let ZkColumn::High(s) = col {
            let low = &lows[*s];
            low_evals.push(blinded_eval(&low.values, &low.mask, rc, x));
            col = &zp.splits[*s].whole;
        }
        if let ZkColumn::Diff { z, .. } = col {
            diffs.push(blinded_eval(&src.padded[*z].evals, src.mask(*z)?, rc, x));
        }
    }
    Ok((diffs, low_evals))
}
