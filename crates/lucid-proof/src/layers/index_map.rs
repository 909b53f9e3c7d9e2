//! The index-map sumcheck: `Y = Σ_k L_k(X_k) + C` for fixed, public 0/1 linear maps `L_k`
//! (every output entry is a sum of operand entries) and a public constant tensor `C`. It proves
//! pooling, reductions and all data movement with a verifier-computed map.
//!
//! # Claim shapes
//!
//! The output and every operand share `pre` leading and `suf` trailing dimensions that the maps
//! leave alone (same sizes); the maps act on the *middle* dimensions only. Split the claim point
//! on `Y` as `r = (r_pre ‖ r_mid ‖ r_suf)`. Then
//!
//! ```text
//! Y(r) = Σ_k Σ_{x} M_k(x) · X_k(r_pre, x, r_suf) + S_pre(r_pre)·S_suf(r_suf)·Σ_y eq(r_mid, y)·C_mid(y),
//! M_k(x) = Σ_{(y, x) ∈ L_k} eq(r_mid, y)
//! ```
//!
//! (`x`, `y` padded middle indices; `S` the selectors of the real pre/suffix entries). The prover
//! sends each operand's share `s_k`; the verifier checks that the shares and the constant sum to
//! the claim, then one degree-2 sumcheck per operand over its middle variables proves
//! `Σ_x M_k(x)·X_k(r_pre, x, r_suf) = s_k`. At its final point `r'_k` the prover sends
//! `e_k = X_k(r_pre, r'_k, r_suf)` and the verifier computes `M_k(r'_k)` itself in
//! `O(|L_k| + |Y_mid| + |X_mid|)`.

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, MleRef, eq_table, eval_mle_ext};
use lucid_core::sumcheck::{self, ProductTerm, SumOfProducts, SumcheckProof};
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use super::{LayerError, LayerProof, OperandClaim, check_count};
use crate::layout::{PaddedShape, PaddedTensor};

/// One operand of an index map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInput {
    /// Index of the operand in the node's inputs.
    pub operand: usize,
    /// Its real shape.
    pub shape: PaddedShape,
    /// Pairs `(y, x)` of padded middle indices of the output and of this operand.
    pub entries: Vec<(usize, usize)>,
}

/// A public linear map from operands to the output (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexMap {
    /// Output shape.
    pub out: PaddedShape,
    /// Leading dimensions shared by the output and every operand.
    pub pre: usize,
    /// Trailing dimensions shared by the output and every operand.
    pub suf: usize,
    /// The operands read by the map.
    pub inputs: Vec<MapInput>,
    /// Constant entries `(y, c)` of the middle part (repeated over the real pre/suffix entries).
    pub consts: Vec<(usize, F)>,
}

/// Proof of an index-map reduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMapProof {
    /// Each operand's share `s_k` of the claim.
    pub shares: Vec<EF>,
    /// One sumcheck per operand.
    pub sumchecks: Vec<SumcheckProof>,
    /// `X_k(r_pre, r'_k, r_suf)` per operand.
    pub evals: Vec<EF>,
}

fn terms() -> [ProductTerm; 1] {
    [ProductTerm {
        coeff: EF::ONE,
        factors: vec![0, 1],
    }]
}

impl IndexMap {
    /// Middle variables of an operand shape (or the output's).
    fn mid_vars(&self, s: &PaddedShape) -> std::ops::Range<usize> {
        s.dims_vars(self.pre..s.rank() - self.suf)
    }

    /// `(r_pre, r_mid, r_suf)` of a point on the output.
    fn split<'a>(&self, point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let m = self.mid_vars(&self.out);
        (&point[..m.start], &point[m.clone()], &point[m.end..])
    }

    /// The constant's contribution `C(r)`.
    fn constant_eval(&self, point: &[EF], eq_y: &[EF]) -> EF {
        if self.consts.is_empty() {
            return EF::ZERO;
        }
        let (rp, _, rs) = self.split(point);
        let r = self.out.rank();
        let sel = self.out.sub_shape(0..self.pre).selector_eval(rp)
            * self.out.sub_shape(r - self.suf..r).selector_eval(rs);
        let sum: EF = self.consts.iter().map(|&(y, c)| eq_y[y] * c).sum();
        sel * sum
    }

    /// `M_k(x)` as a table over the operand's middle variables.
    fn weight_table(input: &MapInput, mid_vars: usize, eq_y: &[EF]) -> Vec<EF> {
        let mut m = vec![EF::ZERO; 1 << mid_vars];
        for &(y, x) in &input.entries {
            m[x] += eq_y[y];
        }
        m
    }

    /// `M_k(r')`.
    fn weight_eval(input: &MapInput, eq_y: &[EF], point: &[EF]) -> EF {
        let eq_x = eq_table(point);
        input.entries.iter().map(|&(y, x)| eq_y[y] * eq_x[x]).sum()
    }

    /// The operand's point `(r_pre ‖ r' ‖ r_suf)`.
    fn operand_point(&self, claim_point: &[EF], mid: &[EF]) -> Vec<EF> {
        let (rp, _, rs) = self.split(claim_point);
        [rp, mid, rs].concat()
    }
}

/// Binds the leading and trailing variables of `table`.
fn bind_outer(table: &[F], pre: &[EF], suf: &[EF]) -> Vec<EF> {
    let t = if pre.is_empty() {
        MleRef::Base(table).to_ext()
    } else {
        MleRef::Base(table).bind_prefix(pre)
    };
    if suf.is_empty() {
        t
    } else {
        MleRef::Ext(&t).bind_suffix(suf)
    }
}

/// Prover of an index map; `operands` are the node's operands (indexed by
/// [`MapInput::operand`]).
///
/// # Transcript
/// `observe_ext_slice(b"layer/shares", shares)`; then per operand, in order: the sumcheck over
/// its middle variables (degree 2, claimed sum `s_k`), `observe_ext(b"layer/eval", e_k)`.
pub fn prove(
    map: &IndexMap,
    operands: &[&PaddedTensor],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
    let (rp, rm, rs) = map.split(&claim.point);
    let eq_y = eq_table(rm);
    let mut bound = Vec::with_capacity(map.inputs.len());
    let mut weights = Vec::with_capacity(map.inputs.len());
    let mut shares = Vec::with_capacity(map.inputs.len());
    for input in &map.inputs {
        let table = &operands[input.operand].evals;
        let xb = bind_outer(table, rp, rs);
        let nv = map.mid_vars(&input.shape).len();
        let w = IndexMap::weight_table(input, nv, &eq_y);
        shares.push(xb.iter().zip(&w).map(|(&a, &b)| a * b).sum::<EF>());
        bound.push(xb);
        weights.push(w);
    }
    transcript.observe_ext_slice(b"layer/shares", &shares);
    let mut sumchecks = Vec::new();
    let mut evals = Vec::new();
    let mut claims = Vec::new();
    for (((input, xb), w), &s) in map.inputs.iter().zip(bound).zip(weights).zip(&shares) {
        let nv = map.mid_vars(&input.shape).len();
        let mut poly = SumOfProducts::new(nv);
        poly.add_table(w);
        poly.add_table(xb.clone());
        poly.terms.extend(terms());
        let out = sumcheck::prove(poly, s, transcript);
        let e = eval_mle_ext(&xb, &out.point);
        transcript.observe_ext(b"layer/eval", e);
        claims.push(OperandClaim {
            operand: input.operand,
            claim: EvalClaim::new(map.operand_point(&claim.point, &out.point), e),
        });
        sumchecks.push(out.proof);
        evals.push(e);
    }
    Ok((
        LayerProof::IndexMap(IndexMapProof {
            shares,
            sumchecks,
            evals,
        }),
        claims,
    ))
}

/// Verifier of an index map.
///
/// # Transcript
/// As in [`prove`].
pub fn verify(
    map: &IndexMap,
    claim: &EvalClaim,
    proof: &LayerProof,
    transcript: &mut Transcript,
) -> Result<Vec<OperandClaim>, LayerError> {
    let LayerProof::IndexMap(p) = proof else {
        return Err(LayerError::WrongProofKind {
            expected: "IndexMap",
            got: proof.kind(),
        });
    };
    let n = map.inputs.len();
    check_count("index-map shares", n, p.shares.len())?;
    check_count("index-map sumchecks", n, p.sumchecks.len())?;
    check_count("index-map evaluations", n, p.evals.len())?;
    let (_, rm, _) = map.split(&claim.point);
    let eq_y = eq_table(rm);
    let total = p.shares.iter().copied().sum::<EF>() + map.constant_eval(&claim.point, &eq_y);
    if total != claim.value {
        return Err(LayerError::Mismatch {
            what: "index-map shares",
            expected: claim.value,
            got: total,
        });
    }
    transcript.observe_ext_slice(b"layer/shares", &p.shares);
    let mut claims = Vec::with_capacity(n);
    for (k, input) in map.inputs.iter().enumerate() {
        let nv = map.mid_vars(&input.shape).len();
        let sub = sumcheck::verify(nv, 2, p.shares[k], &p.sumchecks[k], transcript)?;
        transcript.observe_ext(b"layer/eval", p.evals[k]);
        let w = IndexMap::weight_eval(input, &eq_y, &sub.point);
        sub.check(&terms(), &[w, p.evals[k]])?;
        claims.push(OperandClaim {
            operand: input.operand,
            claim: EvalClaim::new(map.operand_point(&claim.point, &sub.point), p.evals[k]),
        });
    }
    Ok(claims)
}
