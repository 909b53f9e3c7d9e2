//! Zero-knowledge reduction of a claim on a blinded tensor through the relation that defines the
//! tensor (sum-of-products, linear, or several claims batched into one).
//!
//! # The blinded-tensor convention
//!
//! Every tensor `T` of `n` variables (committed or virtual) has a private uniform mask table `R_T`
//! of the same size, and every claim about `T` is a [`BlindedClaim`] on the *blinded* polynomial
//! `T'(c, x) = (1 − c)·T(x) + c·R_T(x)` at a point whose `c` coordinate is a verifier challenge:
//! the table `[T ; R_T]` with `c` as its most significant variable. A committed tensor commits
//! `T'` (hiding) as one table; a virtual tensor commits only `R_T` (or derives it, see
//! [`LinearStep`]).
//!
//! # Sum-of-products relations ([`prove_relation`], [`verify_relation`])
//!
//! The output claim `T'(c0, r) = v` (`r` of `n` coordinates) is reduced through a relation
//! `T(r) = Σ_{z ∈ {0,1}^m} F(z)`, `F = Σ_t coeff_t · Π (operand or public tables)`. The
//! *operands* are the caller's restrictions of blinded inputs to tables over `(c, z)` (`2^{m+1}`
//! entries, `c` most significant), e.g. for a matmul `C = A·W` at `r = (r_i, r_j)`:
//! `A'(c, r_i, ·)` and `W'(c, ·, r_j)`; the *public* tables (eq, selectors) are over `z` and
//! evaluated by the verifier. The zero-knowledge sumcheck ([`super::zk`]) runs over `(c, w)`,
//! `w ∈ {0,1}^k`, `k = max(n, m)`, on
//!
//! ```text
//! Σ_{c,w} (1 − c0)·S_F(c, w)·F(P'(c, w)) + c0·Q(c, w)·R̃(c, w)  =  (1 − c0)·T(r) + c0·R_T(r) = v
//! ```
//!
//! with `S_F = (1 − c)·eq(0, y_F)` and `Q = c·eq(0, y_R)·eq(r, z_R)`, where `w = (y_F ‖ z_F)`
//! (`z_F` the last `m` coordinates) and `w = (y_R ‖ z_R)` (`z_R` the last `n`).
//!
//! **Padding when `n ≠ m`.** The shorter side gets `k − m` (resp. `k − n`) extra *most
//! significant* variables `y`. The two public selectors `S_F` and `Q` are zero-extended (zero
//! whenever `y ≠ 0`), which is what keeps the sums unchanged; the private tables are extended by
//! *repetition* (`P̃(c, y, z) = P'(c, z)`, `R̃(c, y, z) = R_T(z)`), whose multilinear extensions
//! ignore `y`. So at the sumcheck point `(c*, w*)` the padded evaluations relate to the unpadded
//! ones exactly by
//!
//! ```text
//! P̃_j(c*, w*) = P'_j(c*, z*_F)     public_j(w*) = public_j(z*_F)     R̃(c*, w*) = R_T(z*_R)
//! S_F(c*, w*) = (1 − c*)·Π_{i < k−m} (1 − w*_i)     Q(c*, w*) = c*·Π_{i < k−n} (1 − w*_i)·eq(r, z*_R)
//! ```
//!
//! and the claims handed on are on the unpadded tables: `P'_j(c*, z*_F)` (claims on the
//! operands' blinded polynomials at a random `c*`) and `R_T(z*_R)` (a claim on the mask, i.e. on
//! `T'(1, z*_R)` when `T'` is committed). The sumcheck has `k + 1` variables and degree
//! `max(deg F + 1, 2)` (at most [`MAX_DEGREE`]); the caller supplies and commits the Libra mask
//! ([`ZkMask`], [`RelationShape::sumcheck_vars`], [`RelationShape::degree`]) before proving.
//!
//! Each operand must be a different blinded tensor or a different restriction of one (a matmul
//! `A·Aᵀ` has `A'(c, r_i, ·)` and `A'(c, r_j, ·)`); a factor used twice at the same point
//! (`x ∘ x`) is one operand named twice in a term, since two equal revealed values would not be
//! independent.
//!
//! **Soundness.** That of the zero-knowledge sumcheck ([`super::zk`]), given that every mask
//! `R` is bound before the claim's `c0` is drawn: then for `c0 ≠ 1` (all but one challenge) a
//! false `T(r)` makes `v` false, the sumcheck's final equation binds the claimed `e_j` and `u`,
//! and those are settled by the next reductions or the openings. A prover that alters an
//! operand's mask half (`c = 1`) leaves the sum unchanged but makes its claim `e_j` false for the
//! committed table, which its settlement rejects.
//!
//! # Linear relations ([`LinearStep`])
//!
//! For `Out = Σ_i λ_i·M_i(In_i) + off·S` (requantization `C + off = 2^s·y + rem`, data
//! movement, addition, each `M_i` a linear map of tensors, `S` a public table) no sumcheck is
//! needed: the mask of a virtual output is *defined* as the same linear combination of the
//! inputs' masks, `R_Out := Σ_i λ_i·M_i(R_In_i)` ([`linear_mask`] for same-layout inputs). Then
//! `Out'(c, x) = Σ_i λ_i·M_i(In_i')(c, x) + (1 − c)·off·S(x)`: the public offset lives in the
//! `c = 0` half only, hence the selector `(1 − c0)`. At a point this is
//! `Out'(c0, r) = Σ_i μ_i·In_i'(c0, r_i) + (1 − c0)·κ` with public scalars `μ_i` and `κ`
//! (e.g. `μ_i = λ_i·sel_i(r)`, `κ = off·S(r)`); at `c = 1` the offset vanishes, so a claim on
//! `R_Out(z)` is the claim `Σ_i μ_i·R_In_i(z_i)`. For the requantization:
//! `R_C := 2^s·R_y + R_rem`, `μ = (2^s, 1)`, `κ = −off·S(r)`.
//!
//! # Batching ([`prove_blinded_batch`], [`verify_blinded_batch`])
//!
//! Several claims `T'(c_k, r_k) = v_k` on one tensor whose table `T' = [T ; R_T]` the prover
//! holds become one: `Σ_k α^k v_k = Σ_{(c,x)} W(c, x)·T'(c, x)` with
//! `W = Σ_k α^k·eq((c_k, r_k), ·)` (public), by a zero-knowledge sumcheck of degree 2 over the
//! `n + 1` variables of `T'`, ending in one claim `T'(c*, x*)`. For a committed `T` that claim is
//! opened; for a virtual `T` (the prover computes `[T ; R_T]` itself) it is reduced by the
//! relation that defines `T`.
//!
//! # What is revealed, and why it is simulatable
//!
//! A relation reveals: the Libra mask sum `H` and the masked round polynomials (uniform subject
//! to the running-claim constraint, [`super::zk`]); the public coins `ρ` and `(c*, w*)`; the
//! operand evaluations `e_j = P'_j(c*, z*_F) = (1 − c*)·P_j(z*_F) + c*·R_{P_j}(z*_F)`; the mask
//! evaluation `u = R_T(z*_R)`; and, at the opening, the Libra mask value `g(c*, w*)`, which the
//! final equation fixes given the rest. The sumcheck part is independent of the witness and of
//! every `R` (the Libra mask makes each round polynomial uniform whatever the tables are); each
//! `e_j` is uniform and independent of everything revealed before as long as `c* ≠ 0` and the
//! point `z*_F` (as a linear functional `eq(z*_F, ·)` on `R_{P_j}`, through the caller's
//! restriction) is linearly independent of the earlier queries to `R_{P_j}`; likewise `u` as a
//! query to `R_T`. [`simulate_relation`] therefore produces the exact distribution from the
//! statement alone: `simulate_zk` for the sumcheck, uniform `e_j` and `u`, and the Libra mask
//! value solved from the final equation. A linear step reveals the inputs' blinded values, which
//! are uniform subject to the one checked linear equation, and a batch reveals one blinded value,
//! uniform; both are simulated the same way ([`simulate_blinded_batch`]).
//!
//! **Query budget.** Each revealed blinded value of a tensor `X` is one query to `R_X`: the
//! linear functional `eq(q, ·)` at the value's point `q` (through the caller's restriction, e.g.
//! `(r_i, z*)` for a matmul operand; for a virtual output defined by a [`LinearStep`], a query to
//! `R_Out` is the functional `eq(q, ·)∘M` on the inputs' masks). The revealed values are jointly
//! uniform as long as the functionals on each `R_X` are linearly independent, which random
//! points give with overwhelming probability (Schwartz–Zippel on a determinant) when there are
//! at most `2^{n_X}` of them; points with fixed Boolean coordinates (index maps) must be counted
//! by rank. For a tensor `X` with `q_X` claims the count is
//! `Q_X = q_X + [q_X > 1] + [X is virtual]`: one query per consumer (relation operand, linear
//! step input or opened claim), one for the batched point, one (`z*_R`, the relation's `u`) for
//! the relation producing a virtual `X` (the incoming claim is the batched point or the single
//! claim, already counted). Lucid requires strictly fewer queries than entries,
//! `Q_X < 2^{n_X}` — [`min_blinded_vars`]`(Q_X)` is the least `n_X`; smaller tensors are padded
//! (zero-extended, with a mask over the padded size). With at most two claims per tensor
//! (`Q_X ≤ 4`) every tensor needs at least `2^3 = 8` entries. Each relation's Libra mask `g` is
//! fresh and queried twice (`H` and `g(c*, w*)`, see [`super::zk`]). Every mask must be bound
//! (committed, or derived from committed tables) before the challenges `c` of the claims on its
//! tensor are drawn. Commitments must be hiding and their openings simulatable given the opened
//! values (HVZK-WHIR, computational); everything emitted here is perfectly simulatable.
//! Honest-verifier ZK, non-interactive by Fiat–Shamir.

use p3_field::PrimeCharacteristicRing;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::error::SumcheckError;
use super::zk::{ZkMask, ZkSubclaim, ZkSumcheckProof, blinded_terms, simulate_zk, verify_zk};
use super::{MAX_DEGREE, ProductTerm, terms_degree, try_combine_terms};
use crate::field::EF;
use crate::mle::{EvalClaim, eq_eval, log2_exact};
use crate::transcript::Transcript;

/// A claim `T'(c, point) = value` on a blinded polynomial `T' = (1 − c)·T + c·R_T`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindedClaim {
    pub c: EF,
    pub point: Vec<EF>,
    pub value: EF,
}

impl BlindedClaim {
    /// The claim `T'(c, point) = value`.
    pub fn new(c: EF, point: Vec<EF>, value: EF) -> Self {
        Self { c, point, value }
    }

    /// `(c ‖ point)`: the claim's point on the table `[T ; R_T]`.
    pub fn full_point(&self) -> Vec<EF> {
        let mut p = Vec::with_capacity(self.point.len() + 1);
        p.push(self.c);
        p.extend_from_slice(&self.point);
        p
    }
}

/// The blinded table `[table ; mask]` (`T'(0, ·) = T`, `T'(1, ·) = R_T`); an error if the lengths
/// differ or are not a power of two.
pub fn blind(table: &[EF], mask: &[EF]) -> Result<Vec<EF>, SumcheckError> {
    if table.len() != mask.len() || log2_exact(table.len()).is_none() {
        return Err(SumcheckError::InvalidShape(
            "a blinded table needs a mask of the same power-of-two length",
        ));
    }
    Ok([table, mask].concat())
}

/// The least number of variables a blinded tensor needs so that `num_queries` queries to its
/// mask stay below its size: the smallest `n` with `num_queries < 2^n`.
pub fn min_blinded_vars(num_queries: usize) -> usize {
    (usize::BITS - num_queries.leading_zeros()) as usize
}

/// The public part of a relation `T(r) = Σ_{z ∈ {0,1}^num_vars} F(z)`: the output claim, the
/// number of summed variables, and `F`'s terms. Term factors `0..num_operands` name the operands,
/// `num_operands..num_operands + num_public` the public tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationShape {
    /// The claim `T'(c0, r) = v` being reduced.
    pub claim: BlindedClaim,
    /// `m`: the variables `z` of the sum.
    pub num_vars: usize,
    pub num_operands: usize,
    pub num_public: usize,
    pub terms: Vec<ProductTerm>,
}

/// The coordinates of a relation's sumcheck point `(c*, w*)`, split as in the module
/// documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationPoint {
    pub c: EF,
    /// `z*_F`: the last `m` coordinates of `w*`, the operands' and public tables' point.
    pub operand_point: Vec<EF>,
    /// `z*_R`: the last `n` coordinates of `w*`, the output mask's point.
    pub output_point: Vec<EF>,
    /// `Π (1 − w*_i)` over the `k − m` padding coordinates of the `F` side.
    pub operand_padding: EF,
    /// `Π (1 − w*_i)` over the `k − n` padding coordinates of the output side.
    pub output_padding: EF,
}

impl RelationShape {
    /// `n`: the output tensor's variables.
    pub fn output_vars(&self) -> usize {
        self.claim.point.len()
    }

    /// `k = max(n, m)`.
    pub fn padded_vars(&self) -> usize {
        self.num_vars.max(self.output_vars())
    }

    /// `k + 1`: the sumcheck's (and the Libra mask's) number of variables.
    pub fn sumcheck_vars(&self) -> usize {
        self.padded_vars() + 1
    }

    /// The sumcheck's degree (and the Libra mask's): `max(deg F + 1, 2)`.
    pub fn degree(&self) -> usize {
        (terms_degree(&self.terms) + 1).max(2)
    }

    /// Factor indices in range and a supported degree.
    fn validate(&self) -> Result<(), SumcheckError> {
        if self.padded_vars() >= usize::BITS as usize - 2 {
            return Err(SumcheckError::InvalidShape("relation too large"));
        }
        let tables = self
            .num_operands
            .checked_add(self.num_public)
            .ok_or(SumcheckError::InvalidShape("too many relation tables"))?;
        if let Some(&j) = self
            .terms
            .iter()
            .flat_map(|t| &t.factors)
            .find(|&&j| j >= tables)
        {
            return Err(SumcheckError::WrongCount {
                what: "relation tables",
                expected: j.saturating_add(1),
                got: tables,
            });
        }
        if self.degree() > MAX_DEGREE {
            return Err(SumcheckError::UnsupportedDegree {
                max: MAX_DEGREE,
                got: self.degree(),
            });
        }
        Ok(())
    }

    /// Splits a sumcheck point of [`Self::sumcheck_vars`] coordinates.
    ///
    /// # Panics
    /// If the point has another length (verifiers check it first).
    pub fn split_point(&self, point: &[EF]) -> RelationPoint {
        assert_eq!(point.len(), self.sumcheck_vars(), "relation point length");
        let w = &point[1..];
        let pad_f = self.padded_vars() - self.num_vars;
        let pad_r = self.padded_vars() - self.output_vars();
        let zero_ext = |ys: &[EF]| ys.iter().map(|&y| EF::ONE - y).product::<EF>();
        RelationPoint {
            c: point[0],
            operand_point: w[pad_f..].to_vec(),
            output_point: w[pad_r..].to_vec(),
            operand_padding: zero_ext(&w[..pad_f]),
            output_padding: zero_ext(&w[..pad_r]),
        }
    }

    /// The sumcheck's terms over the tables `[operands, public, S_F, Q, R̃]`.
    fn sumcheck_terms(&self) -> Vec<ProductTerm> {
        let c0 = self.claim.c;
        let tables = self.num_operands + self.num_public;
        let mut terms = blinded_terms(&self.terms, tables);
        for t in &mut terms {
            t.coeff *= EF::ONE - c0;
        }
        terms.push(ProductTerm {
            coeff: c0,
            factors: vec![tables + 1, tables + 2],
        });
        terms
    }

    /// Every sumcheck table's evaluation at `point`, from the claimed operand and output-mask
    /// evaluations and the public tables' evaluations at `z*_F`.
    fn sumcheck_evals(&self, p: &RelationPoint, operands: &[EF], public: &[EF], u: EF) -> Vec<EF> {
        let mut evals = Vec::with_capacity(operands.len() + public.len() + 3);
        evals.extend_from_slice(operands);
        evals.extend_from_slice(public);
        evals.push((EF::ONE - p.c) * p.operand_padding);
        evals.push(p.c * p.output_padding * eq_eval(&self.claim.point, &p.output_point));
        evals.push(u);
        evals
    }

    /// Binds the relation to its claim.
    fn observe_claim(&self, transcript: &mut Transcript) {
        transcript.observe_ext_slice(b"zk-relation/claim", &self.claim.full_point());
    }
}

/// A relation instance (the prover's input).
#[derive(Clone, Debug)]
pub struct ZkRelation {
    pub shape: RelationShape,
    /// Blinded operand tables over `(c, z)`: `2^{m+1}` entries each, `[P(·) ; R_P(·)]`.
    pub operands: Vec<Vec<EF>>,
    /// Public tables over `z`: `2^m` entries each.
    pub public: Vec<Vec<EF>>,
    /// `R_T`: `2^n` entries.
    pub output_mask: Vec<EF>,
}

/// A relation proof: the zero-knowledge sumcheck and the claimed evaluations it ends with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationProof {
    pub sumcheck: ZkSumcheckProof,
    /// `P'_j(c*, z*_F)` for every operand.
    pub operand_evals: Vec<EF>,
    /// `R_T(z*_R)`.
    pub output_mask_eval: EF,
}

impl RelationProof {
    /// Number of extension-field elements in the proof.
    pub fn num_elements(&self) -> usize {
        self.sumcheck.num_elements() + self.operand_evals.len() + 1
    }
}

/// What the prover ends with besides the proof: the claims handed on and the Libra-mask opening.
#[derive(Clone, Debug)]
pub struct RelationOutput {
    /// The sumcheck point `(c*, w*)`: where the caller opens the Libra mask.
    pub point: Vec<EF>,
    /// `P'_j(c*, z*_F) = e_j`, one per operand (points on the caller's restricted tables).
    pub operand_claims: Vec<BlindedClaim>,
    /// `R_T(z*_R) = u`.
    pub output_mask_claim: EvalClaim,
    /// `g(c*, w*)`: the value the Libra mask commitment is opened to.
    pub mask_eval: EF,
    /// The sumcheck's batching challenge `ρ`.
    pub rho: EF,
}

/// What the verifier is left with: the claims to reduce or open, and the final equation, which
/// [`RelationSubclaim::check`] verifies once the Libra mask is opened at [`Self::mask_point`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationSubclaim {
    pub operand_claims: Vec<BlindedClaim>,
    pub output_mask_claim: EvalClaim,
    zk: ZkSubclaim,
    terms: Vec<ProductTerm>,
    table_evals: Vec<EF>,
}

impl RelationSubclaim {
    /// The point `(c*, w*)` at which the Libra mask is opened.
    pub fn mask_point(&self) -> &[EF] {
        &self.zk.point
    }

    /// The final equation `(1 − c0)·S_F·F(e) + c0·Q·u + ρ·g(c*, w*) = v_final`, given the opened
    /// Libra mask value. Never panics.
    pub fn check(&self, mask_eval: EF) -> Result<(), SumcheckError> {
        self.zk.check(&self.terms, &self.table_evals, mask_eval)
    }
}

fn check_len(
    what: &'static str,
    tables: &[Vec<EF>],
    count: usize,
    len: usize,
) -> Result<(), SumcheckError> {
    if tables.len() != count {
        return Err(SumcheckError::WrongCount {
            what,
            expected: count,
            got: tables.len(),
        });
    }
    if tables.iter().any(|t| t.len() != len) {
        return Err(SumcheckError::InvalidShape(
            "a relation table has the wrong length",
        ));
    }
    Ok(())
}

fn check_mask(mask: &ZkMask, num_vars: usize, degree: usize) -> Result<(), SumcheckError> {
    if mask.num_vars() != num_vars || mask.degree() != degree {
        return Err(SumcheckError::InvalidShape(
            "the Libra mask must have the sumcheck's variables and degree",
        ));
    }
    Ok(())
}

/// What a relation's zero-knowledge sumcheck ends with, whichever prover computed it.
struct SumcheckRun {
    proof: ZkSumcheckProof,
    rho: EF,
    /// `(c*, w*)`.
    point: Vec<EF>,
    /// `g(c*, w*)`.
    mask_eval: EF,
    /// `P'_j(c*, z*_F)`.
    operand_evals: Vec<EF>,
    /// `R_T(z*_R)`.
    output_mask_eval: EF,
}

fn observe_evals(transcript: &mut Transcript, operand_evals: &[EF], output_mask_eval: EF) {
    transcript.observe_ext_slice(b"zk-relation/operand-evals", operand_evals);
    transcript.observe_ext(b"zk-relation/output-mask-eval", output_mask_eval);
}

/// Reduces `rel.shape.claim` through the relation in zero knowledge, with the Libra `mask`
/// (over [`RelationShape::sumcheck_vars`] variables, degree [`RelationShape::degree`]) whose
/// hiding commitment the caller has already absorbed into `transcript`. Shape errors are errors;
/// a false claim yields a proof the verifier rejects.
///
/// The sumcheck's round polynomials are those of the generic prover on the padded instance of
/// the module documentation, computed by a specialised prover (`zk_relation_prover.rs`) from
/// the operand, public and output-mask tables alone, without materialising the padded tables.
///
/// # Transcript
/// (After the caller's Libra-mask commitment.)
/// `observe_ext_slice(b"zk-relation/claim", c0 ‖ r)`; the zero-knowledge sumcheck over `k + 1`
/// variables with claimed sum `v` ([`super::zk::prove_zk`]: claim, mask sum, `ρ`, rounds);
/// `observe_ext_slice(b"zk-relation/operand-evals", e)`,
/// `observe_ext(b"zk-relation/output-mask-eval", u)`.
pub fn prove_relation(
    rel: ZkRelation,
    mask: &ZkMask,
    transcript: &mut Transcript,
) -> Result<(RelationProof, RelationOutput), SumcheckError> {
    prove_relation_by(rel, mask, transcript, prover::run)
}

/// [`prove_relation`] with the sumcheck run by `sumcheck` (the specialised prover, or in tests
/// the generic one it replaced).
fn prove_relation_by(
    rel: ZkRelation,
    mask: &ZkMask,
    transcript: &mut Transcript,
    sumcheck: fn(ZkRelation, &ZkMask, &mut Transcript) -> SumcheckRun,
) -> Result<(RelationProof, RelationOutput), SumcheckError> {
    let shape = rel.shape.clone();
    shape.validate()?;
    let m = shape.num_vars;
    check_len("operand tables", &rel.operands, shape.num_operands, 2 << m)?;
    check_len("public tables", &rel.public, shape.num_public, 1 << m)?;
    if rel.output_mask.len() != 1 << shape.output_vars() {
        return Err(SumcheckError::InvalidShape(
            "the output mask must have 2^n entries",
        ));
    }
    check_mask(mask, shape.sumcheck_vars(), shape.degree())?;
    shape.observe_claim(transcript);
    let SumcheckRun {
        proof,
        rho,
        point,
        mask_eval,
        operand_evals,
        output_mask_eval,
    } = sumcheck(rel, mask, transcript);
    observe_evals(transcript, &operand_evals, output_mask_eval);
    let split = shape.split_point(&point);
    let output = RelationOutput {
        operand_claims: operand_evals
            .iter()
            .map(|&e| BlindedClaim::new(split.c, split.operand_point.clone(), e))
            .collect(),
        output_mask_claim: EvalClaim::new(split.output_point, output_mask_eval),
        point,
        mask_eval,
        rho,
    };
    Ok((
        RelationProof {
            sumcheck: proof,
            operand_evals,
            output_mask_eval,
        },
        output,
    ))
}

/// Public evaluations at `z*_F`, with their count checked.
fn public_at<P: FnOnce(&[EF]) -> Vec<EF>>(
    shape: &RelationShape,
    split: &RelationPoint,
    public_evals: P,
) -> Result<Vec<EF>, SumcheckError> {
    let public = public_evals(&split.operand_point);
    if public.len() != shape.num_public {
        return Err(SumcheckError::WrongCount {
            what: "public table evaluations",
            expected: shape.num_public,
            got: public.len(),
        });
    }
    Ok(public)
}

/// Verifies a relation proof for `shape`. `public_evals` maps `z*_F` to the public tables'
/// evaluations there. Returns the claims handed on; the caller opens the Libra mask at
/// [`RelationSubclaim::mask_point`] and calls [`RelationSubclaim::check`]. Never panics on a
/// malformed proof.
///
/// # Transcript
/// As [`prove_relation`].
pub fn verify_relation<P: FnOnce(&[EF]) -> Vec<EF>>(
    shape: &RelationShape,
    proof: &RelationProof,
    public_evals: P,
    transcript: &mut Transcript,
) -> Result<RelationSubclaim, SumcheckError> {
    shape.validate()?;
    if proof.operand_evals.len() != shape.num_operands {
        return Err(SumcheckError::WrongCount {
            what: "operand evaluations",
            expected: shape.num_operands,
            got: proof.operand_evals.len(),
        });
    }
    shape.observe_claim(transcript);
    let zk = verify_zk(
        shape.sumcheck_vars(),
        shape.degree(),
        shape.claim.value,
        &proof.sumcheck,
        transcript,
    )?;
    observe_evals(transcript, &proof.operand_evals, proof.output_mask_eval);
    let split = shape.split_point(&zk.point);
    let public = public_at(shape, &split, public_evals)?;
    let table_evals = shape.sumcheck_evals(
        &split,
        &proof.operand_evals,
        &public,
        proof.output_mask_eval,
    );
    Ok(RelationSubclaim {
        operand_claims: proof
            .operand_evals
            .iter()
            .map(|&e| BlindedClaim::new(split.c, split.operand_point.clone(), e))
            .collect(),
        output_mask_claim: EvalClaim::new(split.output_point, proof.output_mask_eval),
        zk,
        terms: shape.sumcheck_terms(),
        table_evals,
    })
}

/// A relation transcript produced without a witness by [`simulate_relation`].
#[derive(Clone, Debug)]
pub struct SimulatedRelation {
    pub proof: RelationProof,
    /// The sumcheck point `(c*, w*)`.
    pub point: Vec<EF>,
    /// The value the simulated (hiding) Libra-mask commitment is opened to.
    pub mask_eval: EF,
}

/// The honest-verifier simulator of [`prove_relation`]: from the shape (statement) alone, a
/// proof and a Libra-mask opening with the real distribution (see the module documentation),
/// drawing the Fiat–Shamir challenges from `transcript` as the verifier will. An error for an
/// invalid shape, or if the simulated `ρ` is zero (probability `1/|EF|`).
pub fn simulate_relation<P: FnOnce(&[EF]) -> Vec<EF>, R: Rng + ?Sized>(
    shape: &RelationShape,
    public_evals: P,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<SimulatedRelation, SumcheckError> {
    shape.validate()?;
    shape.observe_claim(transcript);
    let sim = simulate_zk(
        shape.sumcheck_vars(),
        shape.degree(),
        shape.claim.value,
        transcript,
        rng,
    );
    let operand_evals: Vec<EF> = (0..shape.num_operands).map(|_| rng.random()).collect();
    let output_mask_eval: EF = rng.random();
    observe_evals(transcript, &operand_evals, output_mask_eval);
    let split = shape.split_point(&sim.point);
    let public = public_at(shape, &split, public_evals)?;
    let evals = shape.sumcheck_evals(&split, &operand_evals, &public, output_mask_eval);
    let f_eval = try_combine_terms(&shape.sumcheck_terms(), &evals)?;
    let mask_eval = sim
        .mask_eval_for(f_eval)
        .ok_or(SumcheckError::InvalidShape("simulated rho is zero"))?;
    Ok(SimulatedRelation {
        proof: RelationProof {
            sumcheck: sim.proof,
            operand_evals,
            output_mask_eval,
        },
        point: sim.point,
        mask_eval,
    })
}

// ----- linear relations -----

/// A linear relation at a point: `Out'(c, r) = Σ_i coeffs[i]·In_i'(c, r_i) + (1 − c)·offset`,
/// valid when the virtual output's mask is `R_Out := Σ_i λ_i·M_i(R_In_i)` (module
/// documentation). `coeffs` and `offset` are the public scalars at the point (`μ_i`, `κ`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearStep {
    pub coeffs: Vec<EF>,
    pub offset: EF,
}

impl LinearStep {
    /// `Out'(c, r)` from the inputs' blinded values at their points; the offset counts only in
    /// the `c = 0` half. With `c = 1` this is the output mask's value from the inputs' masks.
    pub fn output_eval(&self, c: EF, input_evals: &[EF]) -> Result<EF, SumcheckError> {
        if input_evals.len() != self.coeffs.len() {
            return Err(SumcheckError::WrongCount {
                what: "linear input evaluations",
                expected: self.coeffs.len(),
                got: input_evals.len(),
            });
        }
        let lin: EF = self
            .coeffs
            .iter()
            .zip(input_evals)
            .map(|(&a, &e)| a * e)
            .sum();
        Ok(lin + (EF::ONE - c) * self.offset)
    }

    /// The claim on the output implied by the inputs' blinded values at `c` (the caller's
    /// points): for a relation read "forwards" (requantization: the claim on `C'` from `y'`,
    /// `rem'`). The input values are the prover's messages.
    ///
    /// # Transcript
    /// `observe_ext_slice(b"zk-linear/inputs", c ‖ point ‖ input_evals)`.
    pub fn apply(
        &self,
        c: EF,
        point: Vec<EF>,
        input_evals: &[EF],
        transcript: &mut Transcript,
    ) -> Result<BlindedClaim, SumcheckError> {
        let value = self.output_eval(c, input_evals)?;
        let mut msg = Vec::with_capacity(point.len() + input_evals.len() + 1);
        msg.push(c);
        msg.extend_from_slice(&point);
        msg.extend_from_slice(input_evals);
        transcript.observe_ext_slice(b"zk-linear/inputs", &msg);
        Ok(BlindedClaim::new(c, point, value))
    }

    /// Checks a claim on the output against the inputs' blinded values at `claim.c` (a relation
    /// read "backwards": addition, data movement). Never panics.
    ///
    /// # Transcript
    /// As [`Self::apply`].
    pub fn check(
        &self,
        claim: &BlindedClaim,
        input_evals: &[EF],
        transcript: &mut Transcript,
    ) -> Result<(), SumcheckError> {
        let got = self.apply(claim.c, claim.point.clone(), input_evals, transcript)?;
        if got.value != claim.value {
            return Err(SumcheckError::FinalEvalMismatch {
                expected: claim.value,
                got: got.value,
            });
        }
        Ok(())
    }
}

/// `Σ_i scalars[i]·masks[i]` entry by entry: the mask of a virtual output that is a linear
/// combination of same-layout inputs (e.g. `R_C = 2^s·R_y + R_rem`).
pub fn linear_mask(scalars: &[EF], masks: &[&[EF]]) -> Result<Vec<EF>, SumcheckError> {
    let len = masks.first().map_or(0, |m| m.len());
    if scalars.len() != masks.len() || masks.iter().any(|m| m.len() != len) {
        return Err(SumcheckError::InvalidShape(
            "linear_mask needs one scalar per mask and masks of one length",
        ));
    }
    Ok((0..len)
        .map(|i| scalars.iter().zip(masks).map(|(&s, m)| s * m[i]).sum())
        .collect())
}

#[path = "zk_relation_prover.rs"]
mod prover;

#[path = "zk_relation_batch.rs"]
mod batch;

pub use batch::{
    BlindedBatchOutput, BlindedBatchProof, BlindedBatchSubclaim, SimulatedBatch,
    blinded_batch_shape, prove_blinded_batch, simulate_blinded_batch, verify_blinded_batch,
};

#[path = "zk_relation_map.rs"]
mod map;

pub use map::{
    BlindedMapOutput, BlindedMapProof, BlindedMapSubclaim, SimulatedMap, blinded_map_shape,
    c_weighted, prove_blinded_map, simulate_blinded_map, verify_blinded_map,
};

#[cfg(test)]
#[path = "zk_relation_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "zk_relation_map_tests.rs"]
mod map_tests;

#[cfg(test)]
#[path = "zk_relation_zk_tests.rs"]
mod zk_tests;

#[cfg(test)]
#[path = "zk_relation_batch_tests.rs"]
mod batch_tests;

#[cfg(test)]
#[path = "zk_relation_prover_tests.rs"]
mod prover_tests;
