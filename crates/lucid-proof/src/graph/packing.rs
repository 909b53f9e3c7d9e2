//! Packing the plain proof's lookup instances into few, large ones before the LogUp-GKR
//! argument.
//!
//! The argument runs one GKR per distinct tree size, and a GKR over `2^n` leaves costs about
//! `n²/2` sumcheck rounds of proof whatever the number of trees it batches. A model checks
//! dozens of columns of a dozen different sizes, so most of the lookup proof went to small
//! GKRs. Here the instances that share a table (and a column count) are concatenated into at
//! most two instances: the first holds exactly `2^k` entries (`2^k` the largest power of two
//! not above their total `S`), the second the rest (zero-padded by the argument to the next
//! power of two, so at most `S − 2^k` padding leaves). Parts are placed by decreasing size, so
//! every part of `2^m` entries starts at a multiple of `2^m`.
//!
//! # Claims
//! The argument leaves a claim `M(r) = v` on a packed column `M` over `N` variables. A part
//! `P` of `2^m` entries at offset `o` is `M` restricted to the index block `o / 2^m` of the
//! first `N − m` variables, and the columns are zero outside their parts, so
//! `M(r) = Σ_parts eq(bits(o / 2^m), r_{<N−m})·P(r_{≥N−m})` exactly. The prover sends every
//! part's evaluation at its point `r_{≥N−m}` ([`crate::graph::proof::Proof::lookup_parts`]); the
//! verifier checks the sum and continues with one claim per part, as if each part had been its
//! own instance. The sent values enter the transcript before any later challenge.

use lucid_core::field::EF;
use lucid_core::mle::eval_mle_base;
use lucid_lookup::{ColumnClaims, InstanceShape, LookupInstance, TableSpec};
use p3_field::PrimeCharacteristicRing;

use crate::error::ProofError;
use crate::graph::range::Arrangement;

/// One instance of the arrangement inside a packed instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The arrangement's instance.
    pub instance: usize,
    /// Its first entry in the packed columns (a multiple of `len`).
    pub offset: usize,
    /// Its entries (a power of two, at least 2).
    pub len: usize,
}

/// One instance of the argument: consecutive parts looked up in one table.
#[derive(Clone, Debug, PartialEq)]
pub struct Bin {
    /// The table.
    pub table: TableSpec,
    /// Columns per entry (1 for a range check, 2 for a function).
    pub columns: usize,
    /// Entries (the parts' total).
    pub len: usize,
    /// The parts, by decreasing size.
    pub parts: Vec<Part>,
}

/// How the arrangement's instances are packed (derived from the arrangement on both sides).
#[derive(Clone, Debug, PartialEq)]
pub struct Packing {
    /// The argument's instances, ordered by their first part's place in the arrangement.
    pub bins: Vec<Bin>,
    /// Instances in the arrangement.
    pub num_instances: usize,
}

fn malformed(what: impl Into<String>) -> ProofError {
    ProofError::Malformed(what.into())
}

impl Packing {
    /// Packs the instances of `arr`: per (table, column count), in order of first use.
    pub fn new(arr: &Arrangement) -> Self {
        let mut groups: Vec<(TableSpec, usize, Vec<usize>)> = Vec::new();
        for (i, inst) in arr.instances.iter().enumerate() {
            let cols = inst.columns.len();
            match groups
                .iter_mut()
                .find(|(t, c, _)| *t == inst.table && *c == cols)
            {
                Some((_, _, members)) => members.push(i),
                None => groups.push((inst.table.clone(), cols, vec![i])),
            }
        }
        let mut bins = Vec::new();
        for (table, columns, mut members) in groups {
            // Decreasing size, then arrangement order (a stable sort).
            members.sort_by_key(|&i| std::cmp::Reverse(arr.instances[i].len));
            let total: usize = members.iter().map(|&i| arr.instances[i].len).sum();
            let first = if total.is_power_of_two() {
                total
            } else {
                total.next_power_of_two() / 2
            };
            let mut current = Bin {
                table: table.clone(),
                columns,
                len: 0,
                parts: Vec::new(),
            };
            for i in members {
                let len = arr.instances[i].len;
                if current.len == first && first < total {
                    bins.push(current);
                    current = Bin {
                        table: table.clone(),
                        columns,
                        len: 0,
                        parts: Vec::new(),
                    };
                }
                current.parts.push(Part {
                    instance: i,
                    offset: current.len,
                    len,
                });
                current.len += len;
            }
            bins.push(current);
        }
        bins.sort_by_key(|b| b.parts.iter().map(|p| p.instance).min());
        Self {
            bins,
            num_instances: arr.instances.len(),
        }
    }

    /// The shapes the lookup argument sees.
    pub fn shapes(&self) -> Vec<InstanceShape> {
        self.bins
            .iter()
            .map(|b| InstanceShape {
                table: b.table.clone(),
                len: b.len,
            })
            .collect()
    }

    /// Number of part evaluations a proof carries: every column of every part of a bin with
    /// more than one part.
    pub fn num_part_evals(&self) -> usize {
        self.bins
            .iter()
            .filter(|b| b.parts.len() > 1)
            .map(|b| b.parts.len() * b.columns)
            .sum()
    }

    /// The packed instances (prover side), from the arrangement's instances with values.
    ///
    /// # Panics
    /// If `instances` is not the arrangement's (a caller bug).
    pub fn pack(&self, instances: Vec<LookupInstance>) -> Vec<LookupInstance> {
        assert_eq!(
            instances.len(),
            self.num_instances,
            "packing another arrangement"
        );
        let mut slots: Vec<Option<LookupInstance>> = instances.into_iter().map(Some).collect();
        self.bins
            .iter()
            .map(|b| {
                let mut columns = vec![Vec::with_capacity(b.len); b.columns];
                for p in &b.parts {
                    let inst = slots[p.instance].take().expect("each instance packed once");
                    for (c, values) in columns.iter_mut().zip(inst.columns) {
                        c.extend(values);
                    }
                }
                LookupInstance {
                    table: b.table.clone(),
                    columns,
                }
            })
            .collect()
    }

    /// Every part's column evaluations at its point (prover side), in bin, part, column order,
    /// for the bins with more than one part; `packed` are [`Packing::pack`]'s instances and
    /// `claims` the argument's claims on them.
    pub fn part_evals(&self, packed: &[LookupInstance], claims: &[ColumnClaims]) -> Vec<EF> {
        let mut out = Vec::with_capacity(self.num_part_evals());
        for ((b, inst), cc) in self.bins.iter().zip(packed).zip(claims) {
            if b.parts.len() < 2 {
                continue;
            }
            for p in &b.parts {
                let point = part_point(&cc.point, p.len);
                for column in &inst.columns {
                    out.push(eval_mle_base(&column[p.offset..p.offset + p.len], point));
                }
            }
        }
        out
    }

    /// The claims on the arrangement's instances, from the argument's claims on the packed
    /// ones and the parts' evaluations (`evals`, see [`Packing::part_evals`]). Rejects when a
    /// packed claim is not the parts' combination; errors (never panics) on claims or
    /// evaluations of the wrong shape.
    pub fn unpack(
        &self,
        claims: &[ColumnClaims],
        evals: &[EF],
    ) -> Result<Vec<ColumnClaims>, ProofError> {
        if claims.len() != self.bins.len() {
            return Err(malformed(format!(
                "{} lookup claims for {} packed lookups",
                claims.len(),
                self.bins.len()
            )));
        }
        if evals.len() != self.num_part_evals() {
            return Err(malformed(format!(
                "{} lookup part evaluations, expected {}",
                evals.len(),
                self.num_part_evals()
            )));
        }
        let mut out: Vec<Option<ColumnClaims>> = vec![None; self.num_instances];
        let mut evals = evals.iter();
        for (b, cc) in self.bins.iter().zip(claims) {
            let n = InstanceShape {
                table: b.table.clone(),
                len: b.len,
            }
            .num_vars();
            if cc.point.len() != n || cc.column_evals.len() != b.columns {
                return Err(malformed("a lookup claim of the wrong shape"));
            }
            if let [p] = b.parts.as_slice() {
                out[p.instance] = Some(cc.clone());
                continue;
            }
            let mut sums = vec![EF::ZERO; b.columns];
            for p in &b.parts {
                let m = p.len.trailing_zeros() as usize;
                let point = part_point(&cc.point, p.len).to_vec();
                let weight = block_eq(&cc.point[..n - m], p.offset >> m);
                let values: Vec<EF> = evals.by_ref().take(b.columns).copied().collect();
                for (s, &v) in sums.iter_mut().zip(&values) {
                    *s += weight * v;
                }
                out[p.instance] = Some(ColumnClaims {
                    point,
                    column_evals: values,
                });
            }
            if sums != cc.column_evals {
                return Err(ProofError::Rejected {
                    at: "lookup parts".into(),
                    reason: "a packed column's evaluation is not its parts' combination".into(),
                });
            }
        }
        out.into_iter()
            .map(|c| c.ok_or_else(|| malformed("a lookup instance in no packed lookup")))
            .collect()
    }
}

/// The point of a part of `len` entries: the last `log2(len)` coordinates of its bin's point.
fn part_point(point: &[EF], len: usize) -> &[EF] {
    &point[point.len() - len.trailing_zeros() as usize..]
}

/// `eq(bits(block), r)`, the block's index written in `r.len()` bits, most significant first.
fn block_eq(r: &[EF], block: usize) -> EF {
    let k = r.len();
    r.iter()
        .enumerate()
        .map(|(j, &rj)| {
            if (block >> (k - 1 - j)) & 1 == 1 {
                rj
            } else {
                EF::ONE - rj
            }
        })
        .product()
}
