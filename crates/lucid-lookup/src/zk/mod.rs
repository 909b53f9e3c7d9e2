//! Zero-knowledge lookups: LogUp with committed helper columns (Haböck, "Multivariate lookups
//! based on logarithmic derivatives", 2022), every sumcheck a zero-knowledge sumcheck
//! ([`lucid_core::sumcheck::zk`]) and every revealed evaluation masked.
//!
//! The LogUp-GKR of the parent crate reveals evaluations of intermediate fraction-tree layers,
//! which are functions of the private entries. Here the fractions are instead *committed* as
//! helper columns, and everything the verifier sees is a public-coin challenge, a
//! zero-knowledge sumcheck message, or an evaluation of a **blinded** committed table at a point
//! whose blinding coordinate is random.
//!
//! # API
//!
//! | step | prover | verifier |
//! |---|---|---|
//! | phase 1: blind, caller commits | [`ZkWitness::new`] / [`ZkWitness::from_blinded`], [`ZkWitness::committed_tables`] | — |
//! | draw `α`, `β`; helper columns, caller commits | [`prove_phase2`], [`HelperColumns::committed_tables`], [`HelperColumns::masks`] | [`verify_phase2`] |
//! | per-group ZK sumchecks | [`prove`] → ([`ZkLookupProof`], claims) | [`verify`] → claims |
//! | simulator (tests, documentation) | — | [`simulate`] |
//!
//! # Blinded tables
//!
//! Every private table `T` over `n` variables is committed as `T' = [T ; R]` over `n + 1`
//! variables, with a fresh uniform `R` of the same length (the layout of
//! [`lucid_core::sumcheck::zk::blind_tables`]; [`blind_column`]): the blinding variable `c` is
//! the **most significant** one, `T'(c, x) = (1 − c)·T(x) + c·R(x)`. Every claim this module
//! emits on a private table is at a point `(r_c, r)` whose `r_c` is a sumcheck challenge, so the
//! value `(1 − r_c)·T(r) + r_c·R(r)` is uniform. Base-field tables are blinded with a base-field
//! `R`, which evaluated at an extension-field point is still uniform in `EF` as long as the
//! `F`-linear functionals it is queried with (3 per extension-field evaluation) are independent,
//! which needs fewer of them than `|R|`. Every private table here is queried at most twice
//! (6 functionals), hence the minimum of [`MIN_ZK_VARS`] `= 3` variables (`|R| ≥ 8`): smaller
//! lookups and tables are zero-padded to 8 entries.
//!
//! # Protocol
//!
//! Lookups and distinct tables are laid out as in [`crate::LookupLayout`]; each lookup `i` and
//! table `j` gets `n = max(MIN_ZK_VARS, num_vars)` variables and joins the **group** of that
//! size ([`ZkLayout`]). The fingerprint of a row is `φ = a + β·b + β²·t`, with `a` (and `b` for
//! a function table) its columns and `t` the index of its distinct table, so that lookups into
//! different tables cannot pay for each other in the single LogUp sum below.
//! 1. **Caller:** commits the blinded looked-up columns `w'` and blinded multiplicities `m'`
//!    ([`ZkWitness::committed_tables`]) with a hiding commitment, and absorbs the commitment
//!    (in the statement or the transcript) before [`prove_phase2`] / [`verify_phase2`].
//! 2. [`prove_phase2`] draws `α`, `β` and computes the helper columns
//!    - per *inverse slot* (the lookups of a group paired in order, an odd one alone,
//!      [`ZkLayout::slots`]): for a single lookup `i`, `h(x) = 1/(α − φ_i(x))` on its `len_i`
//!      real entries and `0` on padding; for a pair `(a, b)`,
//!      `h(x) = 1/((α − φ_a(x))(α − φ_b(x)))` on the whole cube — both lookups' fractions
//!      follow from it, `sel_a/(α − φ_a) = sel_a·(α − φ_b)·h`, so two lookups cost one column;
//!    - per group `k` but the largest, a *carry* `A_k = L_k + A_{k−1}` (pointwise, `A_{k−1}`
//!      zero-padded) with `L_k = Σ_{i ∈ k} sel_i/(α − φ_i) − Σ_{j ∈ k} m_j·W_j`: it moves the group's
//!      partial LogUp sum, a function of the witness, to the next group without revealing it;
//!
//!    each an extension-field column, exposed as three base-field limb columns (its basis
//!    coefficients over `F`), each blinded; plus one [`ZkMask`] per group.
//!    **Caller:** commits them ([`HelperColumns::committed_tables`], [`HelperColumns::masks`])
//!    with a hiding commitment and absorbs the commitment before [`prove`] / [`verify`].
//!    A table's side needs no helper: `W_j(y) = tsel_j(y)/(α − φ_j(y))` (`tsel_j` the
//!    indicator of table `j`'s real rows) is public, so its fractions `m_j·W_j` are read
//!    directly from the committed multiplicities — a 2^16-row range table would otherwise
//!    cost three blinded extension-field limbs of 2^17 entries each.
//! 3. [`prove`] runs, per group of `n` variables (by increasing `n`), one zero-knowledge
//!    sumcheck over `(c, x) ∈ {0,1}^{1+n}` of
//!    `f = S·(Σ_s F_s − Σ_j m'_j·W_j + B − A'_k) + Σ_s μ_s·ES·Z_s`
//!    with the public claimed sum `Σ_s μ_s·c_s`, where `S = 1 − c`,
//!    `ES = (1 − c)·eq(τ, x)`, `X_i = α − φ'_i` (affine in the blinded columns),
//!    `sel_i` the indicator of lookup `i`'s real entries, `B` the previous group's carry
//!    zero-padded, `μ = λ, λ², …` over the group's slots, and `τ`, `λ` drawn after step 2; per
//!    slot, a single lookup has `F = h'`, `Z = h'·X_i` and `c = sel_i(τ)`, a pair
//!    `F = sel_a·X_b·h' + sel_b·X_a·h'`, `Z = h'·X_a·X_b` and `c = 1` (degree 4, the group's
//!    sumcheck degree then [`ZkLayout::group_degree`]). The `1 − c` factors make only the
//!    committed (`c = 0`) halves count; the zero-checks' constant terms sum to the public
//!    `μ_s·c_s`, moved to the claimed sum. The prover then sends every private table's evaluation at the final point (limbs for
//!    extension-field columns) and the mask's.
//!
//! The zero-checks force `h·(α − φ_i) = sel_i` (single) and `h·(α − φ_a)(α − φ_b) = 1` (pair)
//! on the whole cube (error `O(n/|EF|)` over `τ`, `λ`), i.e. every slot's sum part is
//! `Σ_{i in the slot} sel_i/(α − φ_i)` (`α − φ ≠ 0`, as `α` is drawn after `w` is fixed);
//! `W_j` is `0` on a padded table's extra rows, whatever `m'` holds there. The sum parts, added
//! over the groups, telescope to `Σ_i Σ_x sel_i/(α − φ_i) = Σ_j Σ_y m_j·W_j`, the LogUp
//! identity, which for random `α`, `β` holds only if
//! every entry is a row of its own table. Cost is linear in the total size: a group's sumcheck
//! has tables of `2^{n+1}` entries (degree 3), and the only table crossing groups is one carry
//! per group.
//!
//! # Output
//!
//! [`verify`] returns [`ZkClaim`]s: evaluations of the committed blinded tables (looked-up
//! columns, multiplicities, helper limbs, carries) at points whose first coordinate is the
//! group's random `r_c`, and of each group's mask at the group's point. The caller settles them
//! with its hiding commitment openings; until then nothing is proved. The public tables the
//! verifier evaluates itself: `S`, `ES`, `sel` in `O(n)`, each `W_j` in `O(2^k)` for a table of
//! `2^k` rows (one batch inversion and one inner product with `eq`).
//!
//! # What is revealed, and why it is simulatable
//!
//! The transcript holds the public shapes and tables; the public coins (`α`, `β`, and per group
//! `τ`, `λ`, `ρ` and the sumcheck point `(r_c, r)`); per group the ZK sumcheck's messages (the
//! mask sum `H`, uniform, and round polynomials, uniform subject to the running-claim
//! constraint; see [`lucid_core::sumcheck::zk`]); and per group the claimed evaluations of the
//! blinded private tables and of the mask. The claimed sums are public functions of the shapes
//! and challenges: no partial LogUp sum is revealed, the carries absorb them. Every private
//! table's random half enters at most two evaluations, at points whose first coordinate
//! `r_c ≠ 0`, so with overwhelming probability over the challenges the revealed evaluations are
//! independent and uniform, whatever the witness (and independent of the round polynomials,
//! which the Libra mask makes uniform for every value of the tables). The mask evaluation is
//! then fixed by the sumcheck's final value, `g(r) = (v − f(r))/ρ`. [`simulate`] reproduces
//! this distribution from the shapes alone: per group it runs
//! [`lucid_core::sumcheck::zk::simulate_zk`], draws the private evaluations uniformly, computes
//! `f(r)` from them and the public tables, and sets the mask evaluation accordingly; the hiding
//! commitments' simulator opens to those values. Zero knowledge is honest-verifier, made
//! non-interactive by Fiat–Shamir, and computational only through the hiding commitment.
//!
//! # Transcript
//!
//! In order, for [`prove_phase2`] + [`prove`] and [`verify_phase2`] + [`verify`] (the caller's
//! commitments go where marked):
//! 1. (caller: phase-1 commitment) `label(b"lucid/zk-lookup")`, then `b"lookup/counts"`, the
//!    table specs and `b"lookup/instances"` exactly as [`crate::prove_lookups`];
//!    `sample_ext(b"zk-lookup/alpha")`, `sample_ext(b"zk-lookup/beta")`.
//! 2. (caller: helper-column and mask commitment)
//! 3. Per group, by increasing size: `label(b"zk-lookup/group")`,
//!    `sample_ext_vec(b"zk-lookup/tau", n)`, `sample_ext(b"zk-lookup/lambda")`, the ZK
//!    sumcheck's transcript ([`lucid_core::sumcheck::zk::prove_zk`]), then
//!    `observe_ext_slice(b"zk-lookup/evals", private evaluations ‖ mask evaluation)`.

mod layout;
mod proof;
mod prover;
mod simulator;
mod verifier;
mod witness;

pub use layout::{MIN_ZK_VARS, ZkGroup, ZkLayout};
pub use lucid_core::sumcheck::zk::ZkMask;
pub use proof::{ZkChallenges, ZkClaim, ZkGroupProof, ZkLookupProof, ZkTableId};
pub use prover::{prove, prove_phase2};
pub use simulator::simulate;
pub use verifier::{verify, verify_phase2};
pub use witness::{HelperColumns, ZkWitness, blind_column};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod zk_tests;

/// The degree of a group's sumcheck polynomial without a pair of lookups (`ES · h · (α − φ)`,
/// `S · m · W`); a pair's zero-check `ES · h · (α − φ_a) · (α − φ_b)` adds one
/// ([`ZkLayout::group_degree`]).
pub const GROUP_DEGREE: usize = 3;
