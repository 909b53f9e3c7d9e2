//! The hiding (zero-knowledge) mode: a batch of tables committed with HVZK-WHIR
//! (Plonky3's `HidingWhirPcs`, ePrint 2026/391), and any number of evaluation claims on
//! them proved by one hiding opening.
//!
//! # Stacking
//!
//! The tables are placed, largest first, into one multilinear polynomial of `n` variables:
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

use std::sync::Arc;

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_base;
use lucid_core::sumcheck::zk::ZkMask;
use lucid_core::sumcheck::zk_pack::{pack_into, packed_len};
use lucid_core::transcript::{Challenger, Transcript, new_challenger};
use p3_commit::MultilinearPcs;
use p3_field::PrimeCharacteristicRing;
use p3_multilinear_util::point::Point;
use p3_multilinear_util::poly::Poly;
use p3_whir::{
    HidingWhirPcs, HidingWhirProverData, ZkConfigError, ZkParameters, ZkWhirConfig, ZkWhirProof,
};
use rand::rngs::StdRng;
use rand::{CryptoRng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::PcsError;
use crate::params::{Dft, MAX_VARIABLES, Mmcs, PcsParams, SecurityReport, report, table_variables};
use crate::proof::{
    Commitment, EvalClaim, OpeningProof, ProofBody, ProverData, ProverMode, check_commitment,
};
use crate::scheme::{CommitmentScheme, bind_claims};

pub(crate) use batch::ClaimBatch;

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

/// Rows the internal `MASK` table is packed for: a mask of up to this many variables (every
/// stack, since stacks have at most [`MAX_VARIABLES`] variables).
const MASK_ROWS: usize = MAX_VARIABLES;

/// Entries of the internal `BLIND` table.
const BLIND_LEN: usize = 16;

/// Variables of the two internal tables, `MASK` then `BLIND`.
fn internal_table_vars() -> [usize; 2] {
    [
        table_variables(packed_len(MASK_ROWS, batch::DEGREE)),
        table_variables(BLIND_LEN),
    ]
}

/// Where each table sits in the stacked polynomial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HidingLayout {
    /// Variables of the stacked polynomial.
    pub num_variables: usize,
    /// Variables of each table (its length rounded up to a power of two): the caller's tables,
    /// then `MASK` and `BLIND`.
    pub table_vars: Vec<usize>,
    /// First stacked index of each table (a multiple of its padded size).
    pub offsets: Vec<usize>,
}

impl HidingLayout {
    /// Number of the caller's tables.
    fn user_tables(&self) -> usize {
        self.table_vars.len() - 2
    }

    /// Index of the internal `MASK` table.
    fn mask_table(&self) -> usize {
        self.table_vars.len() - 2
    }

    /// Index of the internal `BLIND` table.
    fn blind_table(&self) -> usize {
        self.table_vars.len() - 1
    }

    /// The claim's point in the stacked frame: the slot's selector bits, then the point.
    fn lift(&self, table: usize, point: &[EF]) -> Point<EF> {
        let vars = self.table_vars[table];
        let slot = self.offsets[table] >> vars;
        let selector_len = self.num_variables - vars;
        let mut coords: Vec<EF> = (0..selector_len)
            .map(|i| EF::from_bool((slot >> (selector_len - 1 - i)) & 1 == 1))
            .collect();
        coords.extend_from_slice(point);
        Point::new(coords)
    }
}

/// Places the caller's tables and the internal ones (largest first, aligned slots) and
/// derives the HVZK configuration.
///
/// Returns the layout, the configuration and the per-term target.
fn plan(
    user_table_vars: &[usize],
    params: &PcsParams,
) -> Result<(HidingLayout, ZkConfig, usize), PcsError> {
    let mut table_vars = user_table_vars.to_vec();
    table_vars.extend(internal_table_vars());
    let table_vars = table_vars.as_slice();
    let mut order: Vec<usize> = (0..table_vars.len()).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(table_vars[t]));
    let mut offsets = vec![0usize; table_vars.len()];
    let mut next: u64 = 0;
    for &t in &order {
        let vars = table_vars[t];
        if vars > MAX_VARIABLES {
            return Err(PcsError::TooLarge {
                num_variables: vars,
                max: MAX_VARIABLES,
            });
        }
        // Sizes are non-increasing, so `next` is always a multiple of this table's size.
        offsets[t] = next as usize;
        next = next.saturating_add(1u64 << vars);
        if next > 1u64 << MAX_VARIABLES {
            return Err(PcsError::TooLarge {
                num_variables: MAX_VARIABLES + 1,
                max: MAX_VARIABLES,
            });
        }
    }
    let min_vars = (64 - (next.max(2) - 1).leading_zeros() as usize).max(params.folding_factor);
    let mut last_error = None;
    // The hiding mode keeps WHIR's default round rates.
    let plain = PcsParams {
        round_rate_step: None,
        first_folding_factor: None,
        ..*params
    };
    for num_variables in min_vars..=MAX_VARIABLES {
        let (_, per_term) = match plain.whir_config(num_variables) {
            Ok(c) => c,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        match ZkConfig::new(
            num_variables,
            params.protocol_parameters(None, per_term),
            ZK_PARAMS,
        ) {
            Ok(config) => {
                let layout = HidingLayout {
                    num_variables,
                    table_vars: table_vars.to_vec(),
                    offsets,
                };
                return Ok((layout, config, per_term));
            }
            // Too small for the encoding randomness: stack into a larger polynomial.
            Err(e @ ZkConfigError::RandomnessExceedsSlack { .. }) => last_error = Some(e.into()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_error.unwrap_or(PcsError::TooLarge {
        num_variables: min_vars,
        max: MAX_VARIABLES,
    }))
}

/// The verifier-side (or planning) instance: its generator is never drawn from.
fn public_pcs(config: ZkConfig, mmcs: &Mmcs) -> HidingPcs {
    let dft = Dft::new(1 << config.max_fft_size());
    HidingPcs::new(config, dft, mmcs.clone(), StdRng::seed_from_u64(0))
}

/// Checks each claim's table and arity; returns the stacked points in the caller's order.
fn lift_claims(layout: &HidingLayout, claims: &[EvalClaim]) -> Result<Vec<Point<EF>>, PcsError> {
    let num_tables = layout.user_tables();
    claims
        .iter()
        .enumerate()
        .map(|(i, claim)| {
            let vars =
                *layout.table_vars[..num_tables]
                    .get(claim.table)
                    .ok_or(PcsError::NoSuchTable {
                        claim: i,
                        table: claim.table,
                        num_tables,
                    })?;
            if claim.point.len() != vars {
                return Err(PcsError::PointArity {
                    claim: i,
                    table: claim.table,
                    expected: vars,
                    got: claim.point.len(),
                });
            }
            Ok(layout.lift(claim.table, &claim.point))
        })
        .collect()
}

impl CommitmentScheme {
    /// Commits to `tables` (any lengths ≥ 1) with a hiding commitment: the root and every
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
        if tables.is_empty() {
            return Err(PcsError::NoTables);
        }
        if let Some(table) = tables.iter().position(Vec::is_empty) {
            return Err(PcsError::EmptyTable { table });
        }
        let table_lens: Vec<u64> = tables.iter().map(|t| t.len() as u64).collect();
        let table_vars: Vec<usize> = tables.iter().map(|t| table_variables(t.len())).collect();
        let (layout, config, _) = plan(&table_vars, self.params())?;

        let mut stacked = vec![F::ZERO; 1 << layout.num_variables];
        for (table, values) in tables.iter().enumerate() {
            let offset = layout.offsets[table];
            stacked[offset..offset + values.len()].copy_from_slice(values);
        }
        drop(tables);
        // The internal tables: the batching sumcheck's mask, and the blinding entries.
        let mask = ZkMask::random(layout.num_variables, batch::DEGREE, &mut *rng);
        let packed = pack_into(&mask, 1 << layout.table_vars[layout.mask_table()]);
        let offset = layout.offsets[layout.mask_table()];
        stacked[offset..offset + packed.len()].copy_from_slice(&packed);
        let offset = layout.offsets[layout.blind_table()];
        for entry in &mut stacked[offset..offset + BLIND_LEN] {
            *entry = rng.random();
        }

        let dft = Dft::new(1 << config.max_fft_size());
        let pcs = HidingPcs::new(config, dft, self.mmcs().clone(), StdRng::from_rng(rng));
        // The adapter binds the root into the challenger it is given; ours binds it through
        // `Commitment::observe`, so a scratch challenger receives the adapter's binding.
        let (root, data) = pcs.commit(Poly::new(stacked), &mut new_challenger())?;
        let commitment = Commitment {
            root,
            table_lens,
            hiding: true,
        };
        Ok((
            commitment.clone(),
            ProverData {
                mode: ProverMode::Hiding {
                    pcs: Arc::new(pcs),
                    layout: Arc::new(layout),
                    data: Arc::new(data),
                    mask: Arc::new(mask),
                },
                commitment,
            },
        ))
    }

    /// Security of one hiding opening of `num_claims` claims on tables of the given lengths.
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
        let (layout, config, per_term) = plan(&vars, self.params())?;
        let whir_claims = batch::whir_claims(num_claims, layout.num_variables);
        config.validate_initial_claims(whir_claims)?;
        report(config.inner(), per_term, layout.num_variables, whir_claims)
    }
}

/// A hiding opening: the claim batch (when the claims were batched) and the HVZK-WHIR proof.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct HidingProof {
    /// The batching sumcheck, present exactly when [`batch::batches`] says so.
    pub batch: Option<Box<ClaimBatch>>,
    /// The HVZK-WHIR proof of the (batched or original) claims.
    pub whir: ZkWhirProof<F, EF, Mmcs>,
}

/// Proves the claims on a hiding commitment (called by [`CommitmentScheme::open`]).
///
/// # Transcript
///
/// 1. the claims, exactly as in the plain mode (`lucid-pcs/open`, `lucid-pcs/claims`,
///    then `lucid-pcs/point` and `lucid-pcs/value` per claim);
/// 2. with more than `n + 5` claims, the batching of [`batch::prove`] (`lucid-pcs/batch`,
///    `α`, the zero-knowledge sumcheck, `P(r)`, the mask rows): WHIR then opens its `n + 1`
///    claims instead of the caller's;
/// 3. the Merkle root again (HVZK-WHIR's own binding), the stacked points and their
///    evaluations (HVZK-WHIR's claim binding), then HVZK-WHIR's messages (mask roots, masked
///    sumcheck rounds, code-switching roots, padded out-of-domain answers, proof-of-work
///    witnesses, masked base case), driven on [`Transcript::challenger_mut`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn open(
    scheme: &CommitmentScheme,
    pcs: &HidingPcs,
    layout: &HidingLayout,
    data: Arc<HidingWhirProverData<F, EF, Mmcs>>,
    mask: &ZkMask,
    commitment: &Commitment,
    claims: &[EvalClaim],
    transcript: &mut Transcript,
) -> Result<OpeningProof, PcsError> {
    let params = scheme.params();
    let (expected, _, _) = plan(&layout.table_vars[..layout.user_tables()], params)?;
    if &expected != layout
        || pcs.config.pow_bits != params.pow_bits
        || pcs.config.soundness_type != params.assumption
        || pcs.config.starting_log_inv_rate != params.starting_log_inv_rate
    {
        return Err(PcsError::ParameterMismatch);
    }
    let _span = tracing::info_span!(
        "hiding open",
        vars = layout.num_variables,
        claims = claims.len()
    )
    .entered();
    let points = lift_claims(layout, claims)?;
    let batched = batch::batches(claims.len(), layout.num_variables);
    pcs.config
        .validate_initial_claims(batch::whir_claims(claims.len(), layout.num_variables))?;
    let data = Arc::try_unwrap(data).map_err(|_| PcsError::HidingDataShared)?;
    // Each claim is checked on its table's slot only (the stacked point's selector bits pick
    // exactly that slot), not on the whole stacked polynomial: with hundreds of claims on a
    // large stack the full evaluations would cost more than the opening itself.
    let stacked = data.message.as_slice();
    for (i, claim) in claims.iter().enumerate() {
        let start = layout.offsets[claim.table];
        let slot = &stacked[start..start + (1usize << layout.table_vars[claim.table])];
        if eval_mle_base(slot, &claim.point) != claim.value {
            return Err(PcsError::WrongClaimedValue {
                claim: i,
                table: claim.table,
            });
        }
    }
    bind_claims(claims, transcript);
    let (batch, points) = if batched {
        let _span = tracing::info_span!("hiding batch").entered();
        let (batch, (points, _)) = batch::prove(layout, stacked, mask, claims, transcript);
        (Some(Box::new(batch)), points)
    } else {
        (None, points)
    };
    let challenger = transcript.challenger_mut();
    pcs.observe_commitment(&commitment.root, challenger);
    let whir = pcs.open(data, points, challenger)?;
    Ok(OpeningProof {
        body: ProofBody::Hiding(HidingProof { batch, whir }),
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
    let ProofBody::Hiding(hiding) = &proof.body else {
        return Err(PcsError::ModeMismatch {
            expected: "hiding",
            got: "plain",
        });
    };
    let table_vars: Vec<usize> = (0..commitment.num_tables())
        .map(|t| commitment.table_variables(t).unwrap_or(0))
        .collect();
    let (layout, config, _) = plan(&table_vars, scheme.params())?;
    let points = lift_claims(&layout, claims)?;
    let batched = batch::batches(claims.len(), layout.num_variables);
    config.validate_initial_claims(batch::whir_claims(claims.len(), layout.num_variables))?;
    bind_claims(claims, transcript);
    let (points, values) = match (&hiding.batch, batched) {
        (Some(b), true) => batch::verify(&layout, claims, &points, b, transcript)?,
        (None, false) => (points, claims.iter().map(|c| c.value).collect()),
        (_, expected) => return Err(PcsError::BatchPresence { expected }),
    };
    let proof = &hiding.whir;
    if proof.evals.len() != values.len() {
        return Err(PcsError::HidingEvalCount {
            expected: values.len(),
            got: proof.evals.len(),
        });
    }
    if let Some(claim) = values.iter().zip(&proof.evals).position(|(v, e)| v != e) {
        return Err(PcsError::HidingEvalMismatch { claim });
    }
    let pcs = public_pcs(config, scheme.mmcs());
    // The adapter's `verify` binds the root first, as `open` did explicitly.
    pcs.verify(&commitment.root, proof, transcript.challenger_mut(), points)?;
    Ok(())
}
