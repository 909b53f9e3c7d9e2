//! Prover of the zero-knowledge lookup argument: phase 2 (challenges and helper columns) and the
//! per-group zero-knowledge sumchecks of phase 3.

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_table, eval_mle_base};
use lucid_core::sumcheck::SumOfProducts;
use lucid_core::sumcheck::zk::prove_zk;
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use p3_maybe_rayon::prelude::*;
use rand::Rng;

use crate::error::LookupError;

use super::ZkLayout;
use super::layout::{GroupTables, ZkGroup, group_claimed_sum, group_terms, tag_constant};
use super::proof::{ZkClaim, ZkGroupProof, ZkLookupProof, ZkTableId};
use super::verifier::{
    draw_challenges, draw_group_challenges, num_private_evals, observe_evals, private_evals,
};
use super::witness::{
    HelperColumns, LIMBS, ZkWitness, compute_helpers, ef_table, fingerprint_denominators,
};

/// Phase 2: absorbs the shapes, draws `α`, `β`, and computes the blinded helper columns and the
/// masks. The caller must have committed [`ZkWitness::committed_tables`] and absorbed the
/// commitment before; it commits [`HelperColumns::committed_tables`] and
/// [`HelperColumns::masks`] and absorbs that commitment before [`prove`].
///
/// Fails with [`LookupError::ZeroDenominator`] (tree numbering as [`crate::LookupLayout`]:
/// lookups, then tables) if `α − φ = 0` for some row (probability `≤ rows/|EF|`, negligible).
///
/// # Transcript
/// Step 1 of the module documentation's `# Transcript`.
pub fn prove_phase2<R: Rng + ?Sized>(
    witness: &ZkWitness,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<HelperColumns, LookupError> {
    let challenges = draw_challenges(&witness.layout, transcript);
    compute_helpers(witness, challenges, rng)
}

/// Phase 3: proves every group's sumcheck and returns the proof and the claims on the committed
/// tables (the same claims [`super::verify`] returns), which the caller settles with its
/// openings.
///
/// The prover does not check the witness: with an entry outside its table, wrong multiplicities
/// or wrong helper columns it still produces a proof, which the verifier rejects.
///
/// # Transcript
/// Step 3 of the module documentation's `# Transcript`.
pub fn prove(
    witness: &ZkWitness,
    helpers: &HelperColumns,
    transcript: &mut Transcript,
) -> Result<(ZkLookupProof, Vec<ZkClaim>), LookupError> {
    let layout = &witness.layout;
    check_helpers(layout, helpers)?;
    let ch = helpers.challenges;
    let mut groups = Vec::with_capacity(layout.groups.len());
    let mut claims = Vec::new();
    for (k, group) in layout.groups.iter().enumerate() {
        let n = group.num_vars;
        let (tau, lambda) = draw_group_challenges(n, transcript);
        let idx = GroupTables::new(layout, group);
        let tables = group_tables(witness, helpers, k, &idx, &tau);
        let terms = group_terms(layout, group, &idx, lambda);
        let claimed = group_claimed_sum(layout, group, lambda, &tau);
        let poly = SumOfProducts {
            num_vars: n + 1,
            tables,
            terms,
        };
        let out = prove_zk(poly, claimed, &helpers.masks[k], transcript);
        let evals = group_private_evals(witness, helpers, k, &out.point);
        debug_assert_eq!(evals.len(), num_private_evals(layout, group));
        // The same parsing the verifier does, for the claims (and the table evaluations, unused).
        let mut table_evals = vec![EF::ZERO; idx.count];
        let group_claims =
            private_evals(layout, k, &idx, &ch, &out.point, &evals, &mut table_evals)?;
        observe_evals(transcript, &evals, out.mask_eval);
        claims.extend(group_claims);
        claims.push(ZkClaim {
            table: ZkTableId::Mask { group: k },
            point: out.point.clone(),
            value: out.mask_eval,
        });
        groups.push(ZkGroupProof {
            sumcheck: out.proof,
            evals,
            mask_eval: out.mask_eval,
        });
    }
    Ok((ZkLookupProof { groups }, claims))
}

/// Checks the helpers have the layout's shape (they come from [`prove_phase2`] on the same
/// witness unless the caller mixed them up).
fn check_helpers(layout: &ZkLayout, helpers: &HelperColumns) -> Result<(), LookupError> {
    let counts = [
        (
            "inverse helper columns",
            layout.slots.len(),
            helpers.inverses.len(),
        ),
        (
            "carry helper columns",
            layout.groups.len().saturating_sub(1),
            helpers.carries.len(),
        ),
        ("masks", layout.groups.len(), helpers.masks.len()),
        (
            "table inverses",
            layout.base.tables.len(),
            helpers.table_inverses.len(),
        ),
    ];
    for (what, expected, got) in counts {
        if expected != got {
            return Err(LookupError::ProofShape {
                what,
                expected,
                got,
            });
        }
    }
    let limb_sizes = (0..layout.slots.len())
        .map(|s| (&helpers.inverses[s], layout.slot_vars(s)))
        .chain(
            helpers
                .carries
                .iter()
                .zip(layout.groups.iter().map(|g| g.num_vars)),
        );
    for (limbs, n) in limb_sizes {
        if let Some(bad) = limbs.iter().find(|t| t.len() != 2 << n) {
            return Err(LookupError::ProofShape {
                what: "helper limb length",
                expected: 2 << n,
                got: bad.len(),
            });
        }
    }
    for (spec, inverses) in layout.base.tables.iter().zip(&helpers.table_inverses) {
        if inverses.len() != spec.size() {
            return Err(LookupError::ProofShape {
                what: "table inverse length",
                expected: spec.size(),
                got: inverses.len(),
            });
        }
    }
    for (k, (group, mask)) in layout.groups.iter().zip(&helpers.masks).enumerate() {
        if mask.num_vars() != group.num_vars + 1 || mask.degree() != layout.group_degree(k) {
            return Err(LookupError::ProofShape {
                what: "mask variables",
                expected: group.num_vars + 1,
                got: mask.num_vars(),
            });
        }
    }
    Ok(())
}

/// A base-field table lifted to the extension field.
fn lift(t: &[F]) -> Vec<EF> {
    t.par_iter().map(|&v| EF::from(v)).collect()
}

/// `[half ; half]`.
fn duplicate(mut half: Vec<EF>) -> Vec<EF> {
    half.extend_from_within(..);
    half
}

/// The dense sumcheck tables of group `k` (`2^{n+1}` entries each), indexed as [`GroupTables`].
fn group_tables(
    witness: &ZkWitness,
    helpers: &HelperColumns,
    k: usize,
    idx: &GroupTables,
    tau: &[EF],
) -> Vec<Vec<EF>> {
    let layout = &witness.layout;
    let group: &ZkGroup = &layout.groups[k];
    let ch = helpers.challenges;
    let half = 1usize << group.num_vars;
    let mut tables = vec![Vec::new(); idx.count];

    let mut s = vec![EF::ONE; half];
    s.resize(2 * half, EF::ZERO);
    tables[idx.s] = s;
    let mut es = eq_table(tau);
    es.resize(2 * half, EF::ZERO);
    tables[idx.es] = es;

    for (&i, &x) in group.instances.iter().zip(&idx.instances) {
        let cols = &witness.columns[i];
        let tag = tag_constant(&ch, layout.base.instance_table[i]);
        tables[x] = fingerprint_denominators(cols, cols[0].len(), tag, ch.beta);
    }
    for (&sl, &(h, sels)) in group.slots.iter().zip(&idx.slots) {
        tables[h] = ef_table(&helpers.inverses[sl]);
        let slot = layout.slots[sl];
        if let (Some(b), Some((sa, sb))) = (slot.second, sels) {
            for (i, t) in [(slot.first, sa), (b, sb)] {
                if t != idx.s {
                    let mut sel = vec![EF::ONE; layout.base.instances[i].len];
                    sel.resize(2 * half, EF::ZERO);
                    tables[t] = sel;
                }
            }
        }
    }
    for (&j, &(m, w)) in group.tables.iter().zip(&idx.tables) {
        // W = tsel/(α − φ_j): the inverse denominators on the real rows, zero on padding.
        let mut inverses = helpers.table_inverses[j].clone();
        inverses.resize(half, EF::ZERO);
        tables[w] = duplicate(inverses);
        tables[m] = lift(&witness.multiplicities[j]);
    }
    if let (Some(b), Some(prev_vars)) = (idx.carry_in, group.carry_in) {
        // The previous carry's blinded table, each half zero-padded to 2^n.
        let prev = ef_table(&helpers.carries[k - 1]);
        let prev_half = 1usize << prev_vars;
        let mut padded = prev[..prev_half].to_vec();
        padded.resize(half, EF::ZERO);
        padded.extend_from_slice(&prev[prev_half..]);
        padded.resize(2 * half, EF::ZERO);
        tables[b] = padded;
    }
    if let Some(a) = idx.carry_out {
        tables[a] = ef_table(&helpers.carries[k]);
    }
    tables
}

/// The private evaluations of group `k` at `point`, in [`ZkGroupProof::evals`] order.
fn group_private_evals(
    witness: &ZkWitness,
    helpers: &HelperColumns,
    k: usize,
    point: &[EF],
) -> Vec<EF> {
    let layout = &witness.layout;
    let group = &layout.groups[k];
    let mut evals = Vec::new();
    let limb_evals = |limbs: &[Vec<F>; LIMBS], p: &[EF]| -> Vec<EF> {
        limbs.iter().map(|t| eval_mle_base(t, p)).collect()
    };
    for &i in &group.instances {
        evals.extend(witness.columns[i].iter().map(|c| eval_mle_base(c, point)));
    }
    for &slot in &group.slots {
        evals.extend(limb_evals(&helpers.inverses[slot], point));
    }
    for &j in &group.tables {
        evals.push(eval_mle_base(&witness.multiplicities[j], point));
    }
    if let Some(prev_vars) = group.carry_in {
        let pad = group.num_vars - prev_vars;
        let mut carry_point = vec![point[0]];
        carry_point.extend_from_slice(&point[1 + pad..]);
        evals.extend(limb_evals(&helpers.carries[k - 1], &carry_point));
    }
    if group.carry_out {
        evals.extend(limb_evals(&helpers.carries[k], point));
    }
    evals
}
