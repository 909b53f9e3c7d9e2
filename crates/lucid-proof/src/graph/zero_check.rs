//! Every clamp's zero-check in one sumcheck: for tables `Y_k, X_k` of `2^{n_k}` entries and
//! public constants `c_k`, it proves `p_k(x) = (Y_k(x) − c_k)(Y_k(x) − X_k(x)) = 0` at every
//! `x ∈ {0,1}^{n_k}` and every `k`, and leaves claims on `Y_k` and `X_k` at one point.
//!
//! # Protocol
//! With `n = max_k n_k`, random `α` and `τ ∈ EF^n`, the prover shows
//! `Σ_{x ∈ {0,1}^n} eq(τ, x)·q(x) = 0` for `q(x) = Σ_k α^k·p_k(x_0, …, x_{n_k − 1})`: instance
//! `k` reads the first `n_k` variables, and since `Σ_{x'} eq(τ_{≥n_k}, x') = 1` its part of the
//! sum is `Σ_{x ∈ {0,1}^{n_k}} eq(τ_{<n_k}, x)·p_k(x)`, the multilinear extension of the table
//! `p_k` at `τ_{<n_k}`.
//!
//! The `eq` factor is split off (as in `lucid_core`'s eq-product prover): round `j` of the
//! sumcheck has the polynomial `eq(τ_{<j}, r_{<j})·eq(τ_j, X)·h_j(X)` with
//! `h_j(X) = Σ_{x'} eq(τ_{>j}, x')·q(r_{<j}, X, x')` of degree 2. The prover sends `h_j(0)` and
//! `h_j(2)`; the verifier, holding the running claim `σ_j` (`σ_0 = 0`), derives
//! `h_j(1) = (σ_j − (1 − τ_j)·h_j(0)) / τ_j`, samples `r_j` and sets `σ_{j+1} = h_j(r_j)`. In
//! the end `σ_n` must equal `q(ρ) = Σ_k α^k (Y_k(ρ_{<n_k}) − c_k)(Y_k(ρ_{<n_k}) − X_k(ρ_{<n_k}))`
//! for the values the prover claims, which become claims on `Y_k` and `X_k`.
//!
//! # Soundness
//! If some `p_k` is not identically zero on the hypercube, `Σ_k α^k·p̃_k(τ_{<n_k})` (`p̃_k` the
//! multilinear extension of the table `p_k`) is a nonzero polynomial in `(α, τ)` of degree at
//! most `K − 1 + n`, so the true sum is nonzero except with probability `(K − 1 + n)/|EF|`
//! (both are sampled after the tables are committed). Each round is a sumcheck round: a wrong
//! running claim forces a message `ĥ_j ≠ h_j` (two polynomials of degree 2 that agree at 0 and
//! 2 would agree at 1 and give the right claim), which survives `r_j` with probability at most
//! `2/|EF|`. The verifier rejects `τ_j = 0` (probability `n/|EF|`), where `h_j(1)` would not be
//! determined. Total error below `(K + 4n)/|EF| < 2^{−180}`.

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_table, fold_first_var, fold_first_var_base};
use lucid_core::transcript::Transcript;
use p3_field::{Field, PrimeCharacteristicRing};
use serde::{Deserialize, Serialize};

/// The batched zero-check's messages: per round, `[h_j(0), h_j(2)]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZeroCheckProof {
    /// One entry per variable of the largest instance.
    pub rounds: Vec<[EF; 2]>,
}

/// One instance: `(Y − c)(Y − X) = 0` on tables of the same power-of-two length.
#[derive(Clone, Copy, Debug)]
pub struct Instance<'a> {
    /// `Y`.
    pub y: &'a [F],
    /// `X`.
    pub x: &'a [F],
    /// `c`.
    pub c: F,
}

/// What the prover ends with: the proof, the point `ρ` (instance `k` is evaluated at its first
/// `n_k` coordinates) and each instance's `(Y_k, X_k)` there.
#[derive(Clone, Debug)]
pub struct ZeroCheckOutput {
    /// The messages.
    pub proof: ZeroCheckProof,
    /// `ρ`, of the largest instance's length.
    pub point: Vec<EF>,
    /// Per instance, `(Y_k(ρ_{<n_k}), X_k(ρ_{<n_k}))`.
    pub evals: Vec<(EF, EF)>,
}

/// What the verifier is left with: `q(ρ)` must equal `expected`.
#[derive(Clone, Debug)]
pub struct ZeroCheckSubclaim {
    /// `ρ`.
    pub point: Vec<EF>,
    /// The batching challenge `α` (instance `k` is weighted by `α^k`).
    pub alpha: EF,
    /// The value `q(ρ)` must take.
    pub expected: EF,
}

/// Why a batched zero-check was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZeroCheckError {
    /// The proof has the wrong number of rounds.
    #[error("expected {expected} rounds, the proof has {got}")]
    Rounds {
        /// Variables of the largest instance.
        expected: usize,
        /// Rounds in the proof.
        got: usize,
    },
    /// A challenge coordinate of `τ` is zero (probability `n/|EF|`).
    #[error("degenerate challenge")]
    Degenerate,
}

/// `(y − c)(y − x)`.
fn p<T: PrimeCharacteristicRing + Copy>(y: T, x: T, c: T) -> T {
    (y - c) * (y - x)
}

/// The prover's state of one instance.
struct State {
    /// `Y`, `X` with the bound variables folded in (extension field after the first round).
    y: Vec<EF>,
    x: Vec<EF>,
    c: EF,
    /// `eq(τ_{>j}, ·)` over the instance's variables still free after round `j`.
    eq: Vec<EF>,
}

/// Proves every instance's zero-check (see the module doc).
///
/// # Panics
/// If an instance's tables differ in length or are not a power of two of length at least 2
/// (caller bugs).
///
/// # Transcript
/// `sample_ext(b"zero-check/alpha")`, `sample_ext_vec(b"zero-check/tau", n)`; per round
/// `observe_ext_slice(b"zero-check/round", [h_j(0), h_j(2)])`,
/// `sample_ext(b"zero-check/challenge")`. Nothing when there are no instances.
pub fn prove(instances: &[Instance<'_>], t: &mut Transcript) -> ZeroCheckOutput {
    let vars: Vec<usize> = instances
        .iter()
        .map(|i| {
            assert!(
                i.y.len() == i.x.len() && i.y.len() >= 2 && i.y.len().is_power_of_two(),
                "zero-check tables of lengths {} and {}",
                i.y.len(),
                i.x.len()
            );
            i.y.len().trailing_zeros() as usize
        })
        .collect();
    let Some(&n) = vars.iter().max() else {
        return ZeroCheckOutput {
            proof: ZeroCheckProof { rounds: Vec::new() },
            point: Vec::new(),
            evals: Vec::new(),
        };
    };
    let alpha = t.sample_ext(b"zero-check/alpha");
    let tau = t.sample_ext_vec(b"zero-check/tau", n);
    let weights: Vec<EF> = alpha.powers().take(instances.len()).collect();

    // Round 0 in the base field.
    let mut h = [EF::ZERO; 2];
    for ((inst, &nk), &w) in instances.iter().zip(&vars).zip(&weights) {
        let eq = eq_table(&tau[1..nk]);
        let half = inst.y.len() / 2;
        let (mut h0, mut h2) = (EF::ZERO, EF::ZERO);
        for (i, &e) in eq.iter().enumerate() {
            let (y0, y1, x0, x1) = (inst.y[i], inst.y[i + half], inst.x[i], inst.x[i + half]);
            h0 += e * p(y0, x0, inst.c);
            h2 += e * p(y1.double() - y0, x1.double() - x0, inst.c);
        }
        h[0] += w * h0;
        h[1] += w * h2;
    }
    let mut rounds = Vec::with_capacity(n);
    rounds.push(h);
    t.observe_ext_slice(b"zero-check/round", &h);
    let r = t.sample_ext(b"zero-check/challenge");
    let mut point = vec![r];
    let mut states: Vec<State> = instances
        .iter()
        .zip(&vars)
        .map(|(inst, &nk)| State {
            y: fold_first_var_base(inst.y, r),
            x: fold_first_var_base(inst.x, r),
            c: EF::from(inst.c),
            eq: eq_table(&tau[2.min(nk)..nk]),
        })
        .collect();

    for _ in 1..n {
        let mut h = [EF::ZERO; 2];
        for (s, &w) in states.iter().zip(&weights) {
            if s.y.len() == 1 {
                // Fully bound: q's part is the constant p_k(ρ_{<n_k}).
                let v = w * p(s.y[0], s.x[0], s.c);
                h[0] += v;
                h[1] += v;
                continue;
            }
            let half = s.y.len() / 2;
            let (mut h0, mut h2) = (EF::ZERO, EF::ZERO);
            for (i, &e) in s.eq.iter().enumerate() {
                let (y0, y1, x0, x1) = (s.y[i], s.y[i + half], s.x[i], s.x[i + half]);
                h0 += e * p(y0, x0, s.c);
                h2 += e * p(y1.double() - y0, x1.double() - x0, s.c);
            }
            h[0] += w * h0;
            h[1] += w * h2;
        }
        rounds.push(h);
        t.observe_ext_slice(b"zero-check/round", &h);
        let r = t.sample_ext(b"zero-check/challenge");
        point.push(r);
        for s in &mut states {
            if s.y.len() == 1 {
                continue;
            }
            s.y = fold_first_var(&s.y, r);
            s.x = fold_first_var(&s.x, r);
            let half = s.eq.len() / 2;
            s.eq = if half == 0 {
                Vec::new()
            } else {
                (0..half).map(|i| s.eq[i] + s.eq[i + half]).collect()
            };
        }
    }
    let evals = states.iter().map(|s| (s.y[0], s.x[0])).collect();
    ZeroCheckOutput {
        proof: ZeroCheckProof { rounds },
        point,
        evals,
    }
}

/// `h(r)` for the quadratic `h` with `h(0), h(1), h(2)` given.
fn quadratic_at(h0: EF, h1: EF, h2: EF, r: EF) -> EF {
    // Lagrange on the nodes 0, 1, 2.
    let half = F::TWO.inverse();
    let l0 = (r - EF::ONE) * (r - EF::TWO) * half;
    let l1 = -(r * (r - EF::TWO));
    let l2 = r * (r - EF::ONE) * half;
    h0 * l0 + h1 * l1 + h2 * l2
}

/// Replays the batched zero-check over instances of `vars[k]` variables (see [`prove`] for
/// the transcript). The caller checks `Σ_k α^k (Y_k − c_k)(Y_k − X_k)` at the returned point
/// against [`ZeroCheckSubclaim::expected`]. Nothing is read or sampled without instances.
pub fn verify(
    vars: &[usize],
    proof: &ZeroCheckProof,
    t: &mut Transcript,
) -> Result<ZeroCheckSubclaim, ZeroCheckError> {
    let n = vars.iter().copied().max().unwrap_or(0);
    if proof.rounds.len() != n {
        return Err(ZeroCheckError::Rounds {
            expected: n,
            got: proof.rounds.len(),
        });
    }
    if vars.is_empty() {
        return Ok(ZeroCheckSubclaim {
            point: Vec::new(),
            alpha: EF::ZERO,
            expected: EF::ZERO,
        });
    }
    let alpha = t.sample_ext(b"zero-check/alpha");
    let tau = t.sample_ext_vec(b"zero-check/tau", n);
    let mut sigma = EF::ZERO;
    let mut point = Vec::with_capacity(n);
    for (&tj, h) in tau.iter().zip(&proof.rounds) {
        let inv = tj.try_inverse().ok_or(ZeroCheckError::Degenerate)?;
        let h1 = (sigma - (EF::ONE - tj) * h[0]) * inv;
        t.observe_ext_slice(b"zero-check/round", h);
        let r = t.sample_ext(b"zero-check/challenge");
        sigma = quadratic_at(h[0], h1, h[1], r);
        point.push(r);
    }
    Ok(ZeroCheckSubclaim {
        point,
        alpha,
        expected: sigma,
    })
}

#[cfg(test)]
mod tests;
