//! Verifier of the zero-knowledge lookup argument: per group, it checks the ZK sumcheck against
//! its own evaluations of the public tables and the proof's claimed evaluations of the blinded
//! private tables, and returns those claims for the caller's openings. It never panics on a
//! malformed proof.

use lucid_core::field::EF;
use lucid_core::sumcheck::zk::verify_zk;
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;

use crate::error::LookupError;
use crate::layout::InstanceShape;

use super::layout::{
    GroupTables, ZkGroup, ZkLayout, combine_columns, group_claimed_sum, group_terms,
    padding_factor, public_evals, tag_constant,
};
use super::proof::{ZkChallenges, ZkClaim, ZkLookupProof, ZkTableId};
use super::witness::{LIMBS, combine_limbs};

/// Phase 2 on the verifier's side: absorbs the shapes and draws `α`, `β`. The caller must have
/// absorbed its phase-1 commitment before, and absorbs its phase-2 commitment after.
///
/// # Transcript
/// Step 1 of the module documentation's `# Transcript`.
pub fn verify_phase2(
    shapes: &[InstanceShape],
    transcript: &mut Transcript,
) -> Result<ZkChallenges, LookupError> {
    let layout = ZkLayout::new(shapes)?;
    Ok(draw_challenges(&layout, transcript))
}

/// Step 1 of the transcript, shared by prover, verifier and simulator.
pub(crate) fn draw_challenges(layout: &ZkLayout, transcript: &mut Transcript) -> ZkChallenges {
    transcript.label(b"lucid/zk-lookup");
    layout.base.observe(transcript);
    let alpha = transcript.sample_ext(b"zk-lookup/alpha");
    let beta = transcript.sample_ext(b"zk-lookup/beta");
    ZkChallenges { alpha, beta }
}

/// Draws a group's `τ` and `λ` (start of step 3).
pub(crate) fn draw_group_challenges(n: usize, transcript: &mut Transcript) -> (Vec<EF>, EF) {
    transcript.label(b"zk-lookup/group");
    let tau = transcript.sample_ext_vec(b"zk-lookup/tau", n);
    let lambda = transcript.sample_ext(b"zk-lookup/lambda");
    (tau, lambda)
}

/// Verifies a zero-knowledge lookup proof for lookups of the given shapes, with the challenges
/// [`verify_phase2`] drew; the caller's phase-2 commitment must be in the transcript. Returns the
/// claims on the committed tables, which the caller must settle with its openings.
///
/// # Transcript
/// Step 3 of the module documentation's `# Transcript`.
pub fn verify(
    shapes: &[InstanceShape],
    challenges: &ZkChallenges,
    proof: &ZkLookupProof,
    transcript: &mut Transcript,
) -> Result<Vec<ZkClaim>, LookupError> {
    let layout = ZkLayout::new(shapes)?;
    expect_len("groups", layout.groups.len(), proof.groups.len())?;
    let mut claims = Vec::new();
    for (k, (group, gp)) in layout.groups.iter().zip(&proof.groups).enumerate() {
        let n = group.num_vars;
        let (tau, lambda) = draw_group_challenges(n, transcript);
        let idx = GroupTables::new(&layout, group);
        let terms = group_terms(&layout, group, &idx, lambda);
        let claimed = group_claimed_sum(&layout, group, lambda, &tau);
        let wrap = |source| LookupError::Sumcheck {
            group: k,
            num_vars: n,
            layer: 0,
            source,
        };
        let sub = verify_zk(
            n + 1,
            layout.group_degree(k),
            claimed,
            &gp.sumcheck,
            transcript,
        )
        .map_err(wrap)?;
        let mut table_evals = vec![EF::ZERO; idx.count];
        public_evals(
            &layout,
            group,
            &idx,
            challenges,
            &tau,
            &sub.point,
            &mut table_evals,
        )?;
        let group_claims = private_evals(
            &layout,
            k,
            &idx,
            challenges,
            &sub.point,
            &gp.evals,
            &mut table_evals,
        )?;
        sub.check(&terms, &table_evals, gp.mask_eval)
            .map_err(wrap)?;
        observe_evals(transcript, &gp.evals, gp.mask_eval);
        claims.extend(group_claims);
        claims.push(ZkClaim {
            table: ZkTableId::Mask { group: k },
            point: sub.point,
            value: gp.mask_eval,
        });
    }
    Ok(claims)
}

/// The end of a group's step 3: its private evaluations and mask evaluation.
pub(crate) fn observe_evals(transcript: &mut Transcript, evals: &[EF], mask_eval: EF) {
    let mut all = evals.to_vec();
    all.push(mask_eval);
    transcript.observe_ext_slice(b"zk-lookup/evals", &all);
}

/// Number of private evaluations a group's proof carries.
pub(crate) fn num_private_evals(layout: &ZkLayout, group: &ZkGroup) -> usize {
    let inst: usize = group
        .instances
        .iter()
        .map(|&i| layout.base.instances[i].table.num_columns())
        .sum();
    inst + LIMBS * group.slots.len()
        + group.tables.len()
        + LIMBS * (usize::from(group.carry_in.is_some()) + usize::from(group.carry_out))
}

/// Reads a group's private evaluations (in [`super::ZkGroupProof::evals`] order) into the
/// sumcheck's table evaluations and returns the claims they make on the committed tables. The
/// point is the group's sumcheck point `(r_c, r)`.
pub(crate) fn private_evals(
    layout: &ZkLayout,
    k: usize,
    idx: &GroupTables,
    ch: &ZkChallenges,
    point: &[EF],
    evals: &[EF],
    table_evals: &mut [EF],
) -> Result<Vec<ZkClaim>, LookupError> {
    let group = &layout.groups[k];
    expect_len(
        "private evaluations",
        num_private_evals(layout, group),
        evals.len(),
    )?;
    let mut claims = Vec::with_capacity(evals.len());
    let mut rest = evals;
    let mut take = |len: usize| {
        let (head, tail) = rest.split_at(len);
        rest = tail;
        head
    };
    let claim = |table, point: &[EF], value| ZkClaim {
        table,
        point: point.to_vec(),
        value,
    };
    for (&i, &x) in group.instances.iter().zip(&idx.instances) {
        let cols = take(layout.base.instances[i].table.num_columns());
        let tag = tag_constant(ch, layout.base.instance_table[i]);
        table_evals[x] = tag - combine_columns(cols, ch.beta);
        for (c, &v) in cols.iter().enumerate() {
            let id = ZkTableId::Column {
                instance: i,
                column: c,
            };
            claims.push(claim(id, point, v));
        }
    }
    for (&slot, &(h, _)) in group.slots.iter().zip(&idx.slots) {
        let limbs = take(LIMBS);
        table_evals[h] = combine_limbs(limbs);
        for (limb, &v) in limbs.iter().enumerate() {
            claims.push(claim(ZkTableId::Inverse { slot, limb }, point, v));
        }
    }
    for (&j, &(m, _)) in group.tables.iter().zip(&idx.tables) {
        let mv = take(1)[0];
        table_evals[m] = mv;
        claims.push(claim(ZkTableId::Multiplicity { table: j }, point, mv));
    }
    if let (Some(b), Some(prev_vars)) = (idx.carry_in, group.carry_in) {
        let limbs = take(LIMBS);
        let pad = group.num_vars - prev_vars;
        let r = &point[1..];
        table_evals[b] = padding_factor(r, pad) * combine_limbs(limbs);
        let mut carry_point = vec![point[0]];
        carry_point.extend_from_slice(&r[pad..]);
        for (limb, &v) in limbs.iter().enumerate() {
            let id = ZkTableId::Carry { group: k - 1, limb };
            claims.push(claim(id, &carry_point, v));
        }
    }
    if let Some(a) = idx.carry_out {
        let limbs = take(LIMBS);
        table_evals[a] = combine_limbs(limbs);
        for (limb, &v) in limbs.iter().enumerate() {
            claims.push(claim(ZkTableId::Carry { group: k, limb }, point, v));
        }
    }
    Ok(claims)
}

fn expect_len(what: &'static str, expected: usize, got: usize) -> Result<(), LookupError> {
    if expected != got {
        return Err(LookupError::ProofShape {
            what,
            expected,
            got,
        });
    }
    Ok(())
}
