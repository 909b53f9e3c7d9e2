//! One-table stacking of a plain commitment, and the batching of its claims.
//!
//! # Why
//!
//! A plain WHIR opening pays, for every claim, work over the whole committed polynomial, so a
//! witness of a few dozen tables opened at seventy-odd points (one per layer claim) spends most
//! of its opening on the claims rather than on WHIR itself. [`CommitmentScheme::commit_stacked`]
//! therefore places the caller's tables in one polynomial itself — largest first, each in an
//! aligned slot ([`place`], shared with the hiding mode) — and commits it as a single table.
//! A claim `table_t(z) = v` is the claim `P(Z) = v` on the stacked polynomial `P` at the lifted
//! point `Z = (slot bits of t ‖ z)` ([`lift`]).
//!
//! # Claim batching
//!
//! With more than [`BATCH_MIN_CLAIMS`] claims, the opening first reduces them to one:
//!
//! 1. the verifier draws `α`;
//! 2. a sumcheck of degree 2 proves `Σ_x P(x)·E(x) = Σ_i α^i·v_i` for
//!    `E = Σ_i α^i·eq(Z_i, ·)` (the prover builds `E` slot by slot: each claim costs its own
//!    table's size);
//! 3. the sumcheck ends at a random point `r`; the prover sends `p = P(r)`; the verifier
//!    computes `E(r) = Σ_i α^i·eq(Z_i, r)` itself (`O(n)` per claim) and checks `p·E(r)`
//!    against the sumcheck's final value;
//! 4. one WHIR opening proves `P(r) = p`.
//!
//! *Soundness*: if some `v_i` is wrong, `Σ_i α^i·(v_i − P(Z_i))` is nonzero except for at most
//! `m − 1` values of `α`; the sumcheck then fails except with probability `2n/|EF|`, and the
//! WHIR opening binds `p` to the committed `P`. With `|EF| ≈ 2^192` these terms are below
//! `2^-170` and do not lower the opening's security.
//!
//! [`CommitmentScheme::commit_stacked`]: crate::CommitmentScheme::commit_stacked

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_eval, eq_table_combination, lift as lift_table};
use lucid_core::sumcheck::{ProductTerm, SumOfProducts, SumcheckProof, prove, verify};
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::error::PcsError;
use crate::params::{MAX_VARIABLES, table_variables};
use crate::proof::EvalClaim;

/// Fewest claims an opening of a stacked commitment batches (below, WHIR takes them as they
/// are: the batching sumcheck would cost about as much as the claims it removes).
pub const BATCH_MIN_CLAIMS: usize = 4;

/// Slots for tables of the given variables: largest first (ties in the given order), each at
/// an offset that is a multiple of its own size. Returns the offsets and the total size.
pub(crate) fn place(table_vars: &[usize]) -> Result<(Vec<usize>, u64), PcsError> {
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
    Ok((offsets, next))
}

/// A point of a table of `vars` variables at `offset` in a stack of `num_variables`
/// variables, in the stack's frame: the slot's selector bits, then the point.
pub(crate) fn lift(num_variables: usize, vars: usize, offset: usize, point: &[EF]) -> Vec<EF> {
    let slot = offset >> vars;
    let selector_len = num_variables - vars;
    let mut coords: Vec<EF> = (0..selector_len)
        .map(|i| EF::from_bool((slot >> (selector_len - 1 - i)) & 1 == 1))
        .collect();
    coords.extend_from_slice(point);
    coords
}

/// Where each table of a stacked commitment sits in its one committed polynomial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stack {
    /// Variables of the stacked polynomial (at least `min_variables`).
    pub num_variables: usize,
    /// Variables of each table (its length rounded up to a power of two).
    pub table_vars: Vec<usize>,
    /// First stacked index of each table.
    pub offsets: Vec<usize>,
}

impl Stack {
    /// The stack of tables of the given lengths, with at least `min_variables` variables.
    pub fn new(table_lens: &[u64], min_variables: usize) -> Result<Self, PcsError> {
        let table_vars: Vec<usize> = table_lens
            .iter()
            .map(|&l| table_variables(usize::try_from(l).unwrap_or(usize::MAX)))
            .collect();
        let (offsets, total) = place(&table_vars)?;
        let num_variables = (64 - (total.max(1) - 1).leading_zeros() as usize).max(min_variables);
        if num_variables > MAX_VARIABLES {
            return Err(PcsError::TooLarge {
                num_variables,
                max: MAX_VARIABLES,
            });
        }
        Ok(Self {
            num_variables,
            table_vars,
            offsets,
        })
    }

    /// The stacked polynomial's `2^n` values: each table in its slot, zeros elsewhere.
    pub fn values(&self, tables: &[Vec<F>]) -> Vec<F> {
        let mut out = vec![F::ZERO; 1 << self.num_variables];
        for (t, table) in tables.iter().enumerate() {
            out[self.offsets[t]..self.offsets[t] + table.len()].copy_from_slice(table);
        }
        out
    }

    /// A claim's point in the stack's frame.
    pub fn lift(&self, claim: &EvalClaim) -> Vec<EF> {
        let t = claim.table;
        lift(
            self.num_variables,
            self.table_vars[t],
            self.offsets[t],
            &claim.point,
        )
    }
}

/// What a batched opening of a stacked commitment adds to the WHIR proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StackBatch {
    /// The sumcheck of `Σ_x P(x)·E(x)`.
    pub sumcheck: SumcheckProof,
    /// `P(r)` at the sumcheck's point.
    pub stacked_eval: EF,
}

/// Whether an opening of `num_claims` claims batches them first (both sides decide alike).
pub(crate) fn batches(num_claims: usize) -> bool {
    num_claims >= BATCH_MIN_CLAIMS
}

/// `E = Σ_i α^i·eq(Z_i, ·)` over a stack of `n` variables whose tables have the given
/// variables and offsets, built slot by slot: the claims of one table in one pass over that
/// table's slot, so each claim costs its own table's size.
pub(crate) fn claim_weights(
    n: usize,
    table_vars: &[usize],
    offsets: &[usize],
    claims: &[EvalClaim],
    powers: &[EF],
) -> Vec<EF> {
    let mut weights = vec![EF::ZERO; 1 << n];
    let mut tables: Vec<usize> = claims.iter().map(|c| c.table).collect();
    tables.sort_unstable();
    tables.dedup();
    for table in tables {
        let (points, scalars): (Vec<&[EF]>, Vec<EF>) = claims
            .iter()
            .zip(powers)
            .filter(|(c, _)| c.table == table)
            .map(|(c, &a)| (c.point.as_slice(), a))
            .unzip();
        let slot = eq_table_combination(&points, &scalars, table_vars[table]);
        let start = offsets[table];
        for (w, s) in weights[start..start + slot.len()].iter_mut().zip(slot) {
            *w += s;
        }
    }
    weights
}

/// `Σ_i α^i·v_i` and the powers `α^i`.
pub(crate) fn combine(claims: &[EvalClaim], alpha: EF) -> (EF, Vec<EF>) {
    let powers: Vec<EF> = alpha.powers().take(claims.len()).collect();
    let sum = claims.iter().zip(&powers).map(|(c, &a)| a * c.value).sum();
    (sum, powers)
}

fn sample_alpha(transcript: &mut Transcript) -> EF {
    transcript.label(b"lucid-pcs/stack-batch");
    transcript.sample_ext(b"lucid-pcs/stack-batch-alpha")
}

/// Proves the batch (after the caller bound the claims) and returns it with the one claim WHIR
/// must open: the stacked point and value. Refuses claims whose values do not match the
/// tables.
///
/// # Transcript
///
/// `lucid-pcs/stack-batch`, `sample_ext(lucid-pcs/stack-batch-alpha)`, the sumcheck
/// ([`prove`]'s messages), then `observe_ext(lucid-pcs/stack-batch-eval, P(r))`.
pub(crate) fn prove_batch(
    stack: &Stack,
    values: &[F],
    claims: &[EvalClaim],
    transcript: &mut Transcript,
) -> Result<(StackBatch, Vec<EF>, EF), PcsError> {
    let n = stack.num_variables;
    let alpha = sample_alpha(transcript);
    let (claimed_sum, powers) = combine(claims, alpha);
    // E = Σ_i α^i eq(Z_i, ·), built slot by slot: the claims of one table in one pass.
    let weights = claim_weights(n, &stack.table_vars, &stack.offsets, claims, &powers);
    let stacked = lift_table(values);
    // Wrong claimed values would only show at verification: refuse them here (one inner
    // product instead of an evaluation per claim; a wrong value escapes with probability at
    // most `(m − 1)/|EF|` over `α`).
    let actual: EF = stacked.iter().zip(&weights).map(|(&p, &w)| p * w).sum();
    if actual != claimed_sum {
        return Err(PcsError::BatchRejected(
            "the claimed values do not match the committed tables".into(),
        ));
    }
    let mut poly = SumOfProducts::new(n);
    let p = poly.add_table(stacked);
    let e = poly.add_table(weights);
    poly.add_term(EF::ONE, vec![p, e]);
    let out = prove(poly, claimed_sum, transcript);
    let stacked_eval = out.table_evals[p];
    transcript.observe_ext(b"lucid-pcs/stack-batch-eval", stacked_eval);
    Ok((
        StackBatch {
            sumcheck: out.proof,
            stacked_eval,
        },
        out.point,
        stacked_eval,
    ))
}

/// Verifies the batch against the caller's claims (already bound and checked for shape) and
/// returns the one claim WHIR must prove: the stacked point and value.
///
/// # Transcript
///
/// As [`prove_batch`].
pub(crate) fn verify_batch(
    stack: &Stack,
    claims: &[EvalClaim],
    batch: &StackBatch,
    transcript: &mut Transcript,
) -> Result<(Vec<EF>, EF), PcsError> {
    let n = stack.num_variables;
    let alpha = sample_alpha(transcript);
    let (claimed_sum, powers) = combine(claims, alpha);
    let sub = verify(n, 2, claimed_sum, &batch.sumcheck, transcript)
        .map_err(|e| PcsError::BatchRejected(e.to_string()))?;
    let weight: EF = claims
        .iter()
        .zip(&powers)
        .map(|(c, &a)| a * eq_eval(&stack.lift(c), &sub.point))
        .sum();
    let term = ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1],
    };
    sub.check(&[term], &[batch.stacked_eval, weight])
        .map_err(|e| PcsError::BatchRejected(e.to_string()))?;
    transcript.observe_ext(b"lucid-pcs/stack-batch-eval", batch.stacked_eval);
    Ok((sub.point, batch.stacked_eval))
}
