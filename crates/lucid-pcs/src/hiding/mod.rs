//! The hiding (zero-knowledge) mode: a batch of tables committed with HVZK-WHIR
//! (Plonky3's `HidingWhirPcs`, ePrint 2026/391), and any number of evaluation claims on
//! them proved by one hiding opening.
//!
//! # Stacks
//!
//! The tables go into one to three stacks, each its own HVZK-WHIR commitment (the commitment
//! holds one root per stack): a single stack unless splitting the tables (largest first) saves
//! at least `2^17` stacked entries, see [`layout`]. An opening proves, stack by stack, the
//! claims on that stack's tables; a stack without claims is not opened.
//!
//! # Stacking
//!
//! The tables of a stack are placed, largest first, into one multilinear polynomial of `n` variables:
//! a table of `2^k` (padded) entries occupies an aligned slot `[o, o + 2^k)`, so its entry `j`
//! is stacked entry `o + j`. With `point[0]` the most significant bit, a claim
//! `table(r) = v` is the claim `stacked(s ‖ r) = v`, where `s` are the `n − k` bits of
//! `o / 2^k` (most significant first) as `0`/`1` coordinates: the eq-polynomial of a Boolean
//! prefix selects exactly the slot. Unused slots are zero. `n` is the smallest size that
//! holds every table *and* whose HVZK configuration leaves room for the encoding randomness
//! (each oracle needs `M + t ≤ H`: message rows plus randomness rows within the codeword), so
//! very small batches are stacked into a larger polynomial.
//!
//! Every hiding stack also holds two internal tables after the caller's: `MASK`, the packed
//! Libra mask of the claim-batching sumcheck, and `BLIND`, a few uniform entries that keep the
//! batched evaluation uniform (see [`batch`]). No caller claim may name them.
//!
//! # Claim batching
//!
//! An opening with more than `n + 5` claims first reduces them to `n + 1` claims with a
//! zero-knowledge sumcheck ([`batch`]): HVZK-WHIR's prover pays per claim for the whole stack.
//!
//! # What an opening reveals, and why
//!
//! Only the claimed evaluations. The verifier sees the Merkle roots, the claims, and an
//! HVZK-WHIR proof; by the construction of ePrint 2026/391 every other message is masked:
//!
//! - the committed codeword is a *randomized* Reed–Solomon encoding (message plus `t` fresh
//!   random coefficients per limb, `t` = the number of positions ever opened from it), so any
//!   `t` opened positions are uniformly random and the root hides the table;
//! - sumcheck round polynomials are masked by committed random polynomials (Construction 6.3);
//! - out-of-domain answers are padded by private random values, and each code-switching round
//!   re-encodes with fresh randomness (Construction 9.7);
//! - the final message is sent under a one-time mask (Construction 7.2).
//!
//! Hence (honest-verifier zero knowledge, in the random-oracle model) a simulator given only
//! the claimed values produces transcripts with the same distribution; under Fiat–Shamir the
//! verifier's challenges are hash outputs, so this is the usual NIZK guarantee. The claimed
//! values themselves are revealed by design: a caller must only open claims that are public
//! or themselves masked (e.g. at random points drawn after a masking polynomial is bound).
//!
//! Requirements on the caller: the `rng` given to [`CommitmentScheme::commit_hiding`] must be
//! a cryptographically secure generator seeded from fresh entropy (it seeds a ChaCha-based
//! `StdRng` that drives every mask of the commitment and of its opening), and a hiding
//! [`ProverData`] can be opened once only (a second opening of the same randomized codeword
//! would open more positions than its randomness budget hides): clones share it, and opening
//! a shared copy fails with [`PcsError::HidingDataShared`].
//!
//! # Security
//!
//! The WHIR round schedule (folding, rates, queries, grinding) is the plain mode's for the
//! same stacked size, with the same per-term target (the requested level plus the margin that
//! makes the plain union bound reach it); HVZK-WHIR sizes its mask spot checks at the per-term
//! target plus `log2` of the number of mask oracles, and re-derives the terminal query count
//! against the randomized final code. See [`CommitmentScheme::security_hiding`].

mod batch;
mod layout;

use std::sync::Arc;

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_base;
use lucid_core::sumcheck::zk::ZkMask;
use lucid_core::sumcheck::zk_pack::pack_into;
use lucid_core::transcript::{Challenger, Transcript, new_challenger};
use p3_commit::MultilinearPcs;
use p3_field::PrimeCharacteristicRing;
use p3_multilinear_util::point::Point;
use p3_multilinear_util::poly::Poly;
use p3_whir::{HidingWhirPcs, HidingWhirProverData, ZkParameters, ZkWhirConfig, ZkWhirProof};
use rand::rngs::StdRng;
use rand::{CryptoRng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::PcsError;
use crate::params::{Dft, Mmcs, SecurityReport, report, table_variables};
use crate::proof::{
    Commitment, EvalClaim, OpeningProof, ProofBody, ProverData, ProverMode, check_claims,
    check_commitment,
};
use crate::scheme::{CommitmentScheme, bind_claims};
use crate::scheme::{SEQUENTIAL_MAX_VARIABLES, on_one_thread};

pub(crate) use batch::ClaimBatch;
pub(crate) use layout::HidingLayout;
use layout::{BLIND_LEN, MASK_ROWS, StackPlan, plan_stacks};

/// The HVZK-WHIR instance (prover randomness: a `StdRng` seeded from the caller's generator).
pub(crate) type HidingPcs = HidingWhirPcs<EF, F, Dft, Mmcs, Challenger, StdRng>;
/// Derived HVZK-WHIR configuration.
pub(crate) type ZkConfig = ZkWhirConfig<EF, F, Challenger>;

/// Mask codes: sumcheck mask message length 4 (at least 3 is required), rate 1/32. The mask
/// codes are tiny (`O~(λ)` coefficients), so a low rate costs little and cuts their spot
/// checks about fivefold against rate 1/2 (ePrint 2026/391, §2.7). Measured at 2^16: hiding
/// proof 214 KiB at rate 1/2, 136 KiB at 1/8, 119 KiB at 1/32.
const ZK_PARAMS: ZkParameters = ZkParameters {
    ell_zk: 4,
    mask_log_inv_rate: 5,
};

/// The verifier-side (or planning) instance: its generator is never drawn from.
fn public_pcs(config: ZkConfig, mmcs: &Mmcs) -> HidingPcs {
    let dft = Dft::new(1 << config.max_fft_size());
    HidingPcs::new(config, dft, mmcs.clone(), StdRng::seed_from_u64(0))
}

/// The prover's data of one stack: the HVZK-WHIR instance (with its prover randomness), the
/// plan, the masked data, and the committed mask of the claim-batching sumcheck.
#[derive(Clone)]
pub(crate) struct HidingStack {
    pub pcs: Arc<HidingPcs>,
    pub plan: Arc<StackPlan>,
    pub data: Arc<HidingWhirProverData<F, EF, Mmcs>>,
    pub mask: Arc<ZkMask>,
}

/// The claims on `stack`, with local table indices, in the caller's order.
fn stack_claims(stack: &StackPlan, claims: &[EvalClaim]) -> Vec<EvalClaim> {
    claims
        .iter()
        .filter_map(|c| {
            let local = stack.tables.iter().position(|&t| t == c.table)?;
            Some(EvalClaim {
                table: local,
                point: c.point.clone(),
                value: c.value,
            })
        })
        .collect()
}

/// The stacked points of (checked, local) claims.
fn lift_claims(layout: &HidingLayout, claims: &[EvalClaim]) -> Vec<Point<EF>> {
    claims
        .iter()
        .map(|c| layout.lift(c.table, &c.point))
        .collect()
}

impl CommitmentScheme {
    /// Commits to `tables` (any lengths ≥ 1) with a hiding commitment: the roots and every
    /// later opening reveal nothing about the tables beyond the claimed evaluations (see
    /// [`crate::hiding`]).
    ///
    /// `rng` must be a cryptographically secure generator seeded from fresh entropy; it seeds
    /// the randomness of the commitment and of its (single) opening.
    ///
    /// Nothing enters a transcript here: bind the returned commitment with
    /// [`Commitment::observe`] or [`Commitment::observe_statement`].
    pub fn commit_hiding<R: CryptoRng + ?Sized>(
        &self,
        tables: Vec<Vec<F>>,
        rng: &mut R,
    ) -> Result<(Commitment, ProverData), PcsError> {
        let table_lens = crate::scheme::checked_lens(&tables)?;
        let table_vars: Vec<usize> = tables.iter().map(|t| table_variables(t.len())).collect();
        let plans = plan_stacks(&table_vars, self.params())?;

        let mut roots = Vec::with_capacity(plans.len());
        let mut stacks = Vec::with_capacity(plans.len());
        for plan in plans {
            let layout = &plan.layout;
            let mut stacked = vec![F::ZERO; 1 << layout.num_variables];
            for (local, &table) in plan.tables.iter().enumerate() {
                let offset = layout.offsets[local];
                stacked[offset..offset + tables[table].len()].copy_from_slice(&tables[table]);
            }
            // The internal tables: the batching sumcheck's mask, and the blinding entries.
            let mask = ZkMask::random(layout.num_variables, batch::DEGREE, &mut *rng);
            let packed = pack_into(&mask, 1 << layout.table_vars[layout.mask_table()]);
            let offset = layout.offsets[layout.mask_table()];
            stacked[offset..offset + packed.len()].copy_from_slice(&packed);
            let offset = layout.offsets[layout.blind_table()];
            for entry in &mut stacked[offset..offset + BLIND_LEN] {
                *entry = rng.random();
            }

            let config = plan.config.clone();
            let dft = Dft::new(1 << config.max_fft_size());
            let pcs = HidingPcs::new(
                config,
                dft,
                self.mmcs().clone(),
                StdRng::from_rng(&mut *rng),
            );
            // The adapter binds the root into the challenger it is given; ours binds it
            // through `Commitment::observe`, so a scratch challenger receives the binding.
            let (root, data) = pcs.commit(Poly::new(stacked), &mut new_challenger())?;
            roots.push(root);
            stacks.push(HidingStack {
                pcs: Arc::new(pcs),
                plan: Arc::new(plan),
                data: Arc::new(data),
                mask: Arc::new(mask),
            });
        }
        drop(tables);
        let root = roots.remove(0);
        let commitment = Commitment {
            root,
            extra_roots: roots,
            table_lens,
            hiding: true,
            stacked: false,
        };
        Ok((
            commitment.clone(),
            ProverData {
                mode: ProverMode::Hiding(stacks),
                commitment,
            },
        ))
    }

    /// Security of one hiding opening of `num_claims` claims on tables of the given lengths:
    /// the weakest of its stacks, as if every claim fell on it.
    ///
    /// `bits` is WHIR's composed bound for the shared round schedule (as in the plain mode);
    /// `per_term_bits` is the target every HVZK-WHIR error term is sized for (mask spot
    /// checks get `log2(#mask oracles)` more).
    pub fn security_hiding(
        &self,
        table_lens: &[usize],
        num_claims: usize,
    ) -> Result<SecurityReport, PcsError> {
        let vars: Vec<usize> = table_lens.iter().map(|&l| table_variables(l)).collect();
        let mut worst: Option<SecurityReport> = None;
        for plan in plan_stacks(&vars, self.params())? {
            let n = plan.layout.num_variables;
            let whir_claims = batch::whir_claims(num_claims, n);
            plan.config.validate_initial_claims(whir_claims)?;
            let r = report(plan.config.inner(), plan.per_term, n, whir_claims)?;
            if worst.is_none_or(|w| r.bits < w.bits) {
                worst = Some(r);
            }
        }
        worst.ok_or(PcsError::NoTables)
    }
}

/// The hiding opening of one stack: the claim batch (when its claims were batched) and the
/// HVZK-WHIR proof.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct HidingProof {
    /// The batching sumcheck, present exactly when [`batch::batches`] says so.
    pub batch: Option<Box<ClaimBatch>>,
    /// The HVZK-WHIR proof of the (batched or original) claims.
    pub whir: ZkWhirProof<F, EF, Mmcs>,
}

/// Binds which stack the next messages are about.
fn observe_stack(index: usize, transcript: &mut Transcript) {
    transcript.observe_base_slice(b"lucid-pcs/stack", &[F::from_u64(index as u64)]);
}

/// Proves the claims on a hiding commitment (called by [`CommitmentScheme::open`]).
///
/// # Transcript
///
/// 1. the claims, exactly as in the plain mode (`lucid-pcs/open`, `lucid-pcs/claims`,
///    then `lucid-pcs/point` and `lucid-pcs/value` per claim);
/// 2. per stack holding at least one claimed table, in stack order: `lucid-pcs/stack` (its
///    index); with more than `n + 5` claims on it, the batching of [`batch::prove`]
///    (`lucid-pcs/batch`, `α`, the zero-knowledge sumcheck, `P(r)`, the mask rows), after
///    which WHIR opens `n + 1` claims instead; then the stack's Merkle root again (HVZK-WHIR's
///    own binding), the stacked points and their evaluations (HVZK-WHIR's claim binding), and
///    HVZK-WHIR's messages (mask roots, masked sumcheck rounds, code-switching roots, padded
///    out-of-domain answers, proof-of-work witnesses, masked base case), driven on
///    [`Transcript::challenger_mut`].
pub(crate) fn open(
    scheme: &CommitmentScheme,
    stacks: Vec<HidingStack>,
    commitment: &Commitment,
    claims: &[EvalClaim],
    transcript: &mut Transcript,
) -> Result<OpeningProof, PcsError> {
    let params = scheme.params();
    let table_vars: Vec<usize> = (0..commitment.num_tables())
        .map(|t| commitment.table_variables(t).unwrap_or(0))
        .collect();
    let expected = plan_stacks(&table_vars, params)?;
    let roots = commitment.roots();
    if expected.len() != stacks.len() || roots.len() != stacks.len() {
        return Err(PcsError::ParameterMismatch);
    }
    for (plan, stack) in expected.iter().zip(&stacks) {
        let config = &stack.pcs.config;
        if plan.layout != stack.plan.layout
            || plan.tables != stack.plan.tables
            || config.pow_bits != params.pow_bits
            || config.soundness_type != params.assumption
            || config.starting_log_inv_rate != params.starting_log_inv_rate
        {
            return Err(PcsError::ParameterMismatch);
        }
    }
    check_claims(commitment, claims)?;
    // Each claim is checked on its table's slot only (the stacked point's selector bits pick
    // exactly that slot), not on the whole stacked polynomial: with hundreds of claims on a
    // large stack the full evaluations would cost more than the opening itself.
    for (i, claim) in claims.iter().enumerate() {
        let stack = stacks
            .iter()
            .find(|s| s.plan.tables.contains(&claim.table))
            .ok_or(PcsError::ParameterMismatch)?;
        let local = stack.plan.tables.iter().position(|&t| t == claim.table);
        let local = local.ok_or(PcsError::ParameterMismatch)?;
        let layout = &stack.plan.layout;
        let start = layout.offsets[local];
        let slot =
            &stack.data.message.as_slice()[start..start + (1usize << layout.table_vars[local])];
        if eval_mle_base(slot, &claim.point) != claim.value {
            return Err(PcsError::WrongClaimedValue {
                claim: i,
                table: claim.table,
            });
        }
    }
    bind_claims(claims, transcript);
    let mut proofs = Vec::new();
    for (index, (stack, root)) in stacks.into_iter().zip(roots).enumerate() {
        let local = stack_claims(&stack.plan, claims);
        let data = Arc::try_unwrap(stack.data).map_err(|_| PcsError::HidingDataShared)?;
        if local.is_empty() {
            continue;
        }
        let layout = &stack.plan.layout;
        let _span = tracing::info_span!(
            "hiding open",
            stack = index,
            vars = layout.num_variables,
            claims = local.len()
        )
        .entered();
        let batched = batch::batches(local.len(), layout.num_variables);
        let config = &stack.pcs.config;
        config.validate_initial_claims(batch::whir_claims(local.len(), layout.num_variables))?;
        observe_stack(index, transcript);
        let run = || -> Result<HidingProof, PcsError> {
            let (batch, points) = if batched {
                let _span = tracing::info_span!("hiding batch").entered();
                let stacked = data.message.as_slice();
                let (batch, (points, _)) =
                    batch::prove(layout, stacked, &stack.mask, &local, transcript);
                (Some(Box::new(batch)), points)
            } else {
                (None, lift_claims(layout, &local))
            };
            let challenger = transcript.challenger_mut();
            stack.pcs.observe_commitment(root, challenger);
            let whir = stack.pcs.open(data, points, challenger)?;
            Ok(HidingProof { batch, whir })
        };
        // Small stacks on one thread, as plain openings (`SEQUENTIAL_MAX_VARIABLES`).
        proofs.push(if layout.num_variables <= SEQUENTIAL_MAX_VARIABLES {
            on_one_thread(run)?
        } else {
            run()?
        });
    }
    Ok(OpeningProof {
        body: ProofBody::Hiding(proofs),
    })
}

/// Verifies a hiding opening (called by [`CommitmentScheme::verify`]).
///
/// # Transcript
///
/// The same as [`open`]; the proof's evaluations must equal the claimed values.
pub(crate) fn verify(
    scheme: &CommitmentScheme,
    commitment: &Commitment,
    claims: &[EvalClaim],
    proof: &OpeningProof,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    check_commitment(commitment)?;
    let ProofBody::Hiding(proofs) = &proof.body else {
        return Err(PcsError::ModeMismatch {
            expected: "hiding",
            got: "plain",
        });
    };
    let table_vars: Vec<usize> = (0..commitment.num_tables())
        .map(|t| commitment.table_variables(t).unwrap_or(0))
        .collect();
    let plans = plan_stacks(&table_vars, scheme.params())?;
    let roots = commitment.roots();
    if roots.len() != plans.len() {
        return Err(PcsError::MalformedCommitment {
            expected: plans.len(),
            got: roots.len(),
        });
    }
    check_claims(commitment, claims)?;
    let per_stack: Vec<Vec<EvalClaim>> = plans.iter().map(|p| stack_claims(p, claims)).collect();
    let opened = per_stack.iter().filter(|c| !c.is_empty()).count();
    if proofs.len() != opened {
        return Err(PcsError::HidingStackCount {
            expected: opened,
            got: proofs.len(),
        });
    }
    bind_claims(claims, transcript);
    let mut proofs = proofs.iter();
    for (index, ((plan, local), root)) in plans.into_iter().zip(&per_stack).zip(roots).enumerate() {
        if local.is_empty() {
            continue;
        }
        let hiding = proofs.next().ok_or(PcsError::HidingStackCount {
            expected: opened,
            got: index,
        })?;
        let layout = &plan.layout;
        let batched = batch::batches(local.len(), layout.num_variables);
        plan.config
            .validate_initial_claims(batch::whir_claims(local.len(), layout.num_variables))?;
        observe_stack(index, transcript);
        let points = lift_claims(layout, local);
        let (points, values) = match (&hiding.batch, batched) {
            (Some(b), true) => batch::verify(layout, local, &points, b, transcript)?,
            (None, false) => (points, local.iter().map(|c| c.value).collect()),
            (_, expected) => return Err(PcsError::BatchPresence { expected }),
        };
        let whir = &hiding.whir;
        if whir.evals.len() != values.len() {
            return Err(PcsError::HidingEvalCount {
                expected: values.len(),
                got: whir.evals.len(),
            });
        }
        if let Some(claim) = values.iter().zip(&whir.evals).position(|(v, e)| v != e) {
            return Err(PcsError::HidingEvalMismatch { claim });
        }
        let pcs = public_pcs(plan.config, scheme.mmcs());
        // The adapter's `verify` binds the root first, as `open` did explicitly.
        pcs.verify(root, whir, transcript.challenger_mut(), points)?;
    }
    Ok(())
}

/// The stack partition of tables of the given variables, as lists of the caller's table
/// indices (for tests).
#[cfg(test)]
pub(crate) fn plan_stacks_for_tests(
    vars: &[usize],
    params: &crate::params::PcsParams,
) -> Vec<Vec<usize>> {
    plan_stacks(vars, params)
        .expect("plan")
        .into_iter()
        .map(|p| p.tables)
        .collect()
}
