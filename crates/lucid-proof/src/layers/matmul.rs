//! Batched matrix product `Z[b, i, j] = Σ_k A[b_A, i, k]·B[b_B, k, j]` (`QOp::MatMul`), with
//! either operand stored transposed and numpy broadcasting of the batch axes.
//!
//! # Protocol
//!
//! Split the claim point on `Z` (padded layout) as `r = (r_b ‖ r_i ‖ r_j)`. The prover binds
//! `A`'s row variables to `r_i` and `B`'s column variables to `r_j`, broadcasts both to the
//! output's batch layout (padding zero), and proves
//!
//! ```text
//! Z(r) = Σ_{b, k} eq(r_b, b) · A'(b, k) · B'(b, k),   A'(b, k) = f_A(b)·A(b_A, r_i, k)
//! ```
//!
//! with one sumcheck over the batch and contraction variables (degree 3, or 2 without batch
//! variables). At its final point `(r'_b, r'_k)` the prover sends `a = A(r'_{b,A}, r_i, r'_k)`
//! and `b = B(r'_{b,B}, r'_k, r_j)` (operand-layout order, transposes respected); the verifier
//! checks `eq(r_b, r'_b)·f_A(r'_b)·a·f_B(r'_b)·b` against the sumcheck's final value. Time
//! `O(|A| + |B| + |batch|·K)`, never `O(m·k·n)`.

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, eq_eval, eq_table, eval_mle_ext};
use lucid_core::sumcheck::{self, ProductTerm, SumOfProducts};
use lucid_core::transcript::Transcript;
use lucid_model::quant::QOp;
use p3_field::PrimeCharacteristicRing;

use super::{LayerError, LayerProof, NodeCtx, OperandClaim, ProductProof, check_count};
use crate::layout::{Broadcast, PaddedShape, PaddedTensor};

/// The geometry of one batched product.
struct Geometry {
    out: PaddedShape,
    /// Operand shapes.
    a: PaddedShape,
    b: PaddedShape,
    transpose_a: bool,
    transpose_b: bool,
    /// Batch broadcasts of each operand to the output batch.
    batch_a: Broadcast,
    batch_b: Broadcast,
    /// log2 of the padded contraction size.
    log_k: usize,
}

impl Geometry {
    fn new(ctx: &NodeCtx<'_>) -> Result<Self, LayerError> {
        ctx.expect_operands(2..=2)?;
        let QOp::MatMul {
            transpose_a,
            transpose_b,
        } = ctx.node.op
        else {
            return Err(ctx.unsupported("not a matrix product"));
        };
        let (sa, sb) = (ctx.shapes[0], ctx.shapes[1]);
        if sa.len() < 2 || sb.len() < 2 {
            return Err(ctx.err("matrix product operands need rank ≥ 2"));
        }
        let (ra, rb) = (sa.len(), sb.len());
        let (m, k) = if transpose_a {
            (sa[ra - 1], sa[ra - 2])
        } else {
            (sa[ra - 2], sa[ra - 1])
        };
        let (k2, n) = if transpose_b {
            (sb[rb - 1], sb[rb - 2])
        } else {
            (sb[rb - 2], sb[rb - 1])
        };
        let out = &ctx.node.shape;
        let ro = out.len();
        if k != k2 || ro < 2 || out[ro - 2] != m || out[ro - 1] != n {
            return Err(ctx.err(format!("{sa:?} × {sb:?} does not give {out:?}")));
        }
        let bshape = &out[..ro - 2];
        let batch = |s: &[usize]| {
            Broadcast::new(&s[..s.len() - 2], bshape).map_err(|e| ctx.err(e.to_string()))
        };
        Ok(Self {
            out: PaddedShape::new(out),
            a: PaddedShape::new(sa),
            b: PaddedShape::new(sb),
            transpose_a,
            transpose_b,
            batch_a: batch(sa)?,
            batch_b: batch(sb)?,
            log_k: PaddedShape::new(&[k]).num_vars(),
        })
    }

    fn batch_vars(&self) -> usize {
        self.batch_a.to.num_vars()
    }

    /// `(r_b, r_i, r_j)`.
    fn split<'a>(&self, point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let r = self.out.rank();
        let (rb, rest) = point.split_at(self.out.dims_vars(0..r - 2).end);
        let (ri, rj) = rest.split_at(self.out.dim_log(r - 2));
        (rb, ri, rj)
    }

    fn terms(&self) -> Vec<ProductTerm> {
        let factors = if self.batch_vars() > 0 {
            vec![0, 1, 2]
        } else {
            vec![1, 2]
        };
        vec![ProductTerm {
            coeff: EF::ONE,
            factors,
        }]
    }

    fn degree(&self) -> usize {
        if self.batch_vars() > 0 { 3 } else { 2 }
    }

    /// Points on `A` and `B` for the final point `(r'_b ‖ r'_k)` and the output claim point,
    /// with the batch selector factors.
    fn operand_points(
        &self,
        claim_point: &[EF],
        final_point: &[EF],
    ) -> Result<([Vec<EF>; 2], [EF; 2]), LayerError> {
        let (_, ri, rj) = self.split(claim_point);
        let (rb2, rk) = final_point.split_at(self.batch_vars());
        let (pa, fa) = self.batch_a.project(rb2)?;
        let (pb, fb) = self.batch_b.project(rb2)?;
        let a = if self.transpose_a {
            [pa.as_slice(), rk, ri].concat()
        } else {
            [pa.as_slice(), ri, rk].concat()
        };
        let b = if self.transpose_b {
            [pb.as_slice(), rj, rk].concat()
        } else {
            [pb.as_slice(), rk, rj].concat()
        };
        Ok(([a, b], [fa, fb]))
    }
}

/// Binds the variables `before..before + point.len()` of `table` (with `after` variables
/// behind them) to `point`: `out(x, z) = Σ_y eq(point, y)·t(x, y, z)`.
pub(crate) fn bind_middle(table: &[F], before: usize, point: &[EF], after: usize) -> Vec<EF> {
    let eq = eq_table(point);
    let (mid, lo) = (eq.len(), 1usize << after);
    let hi = 1usize << before;
    debug_assert_eq!(table.len(), hi * mid * lo);
    let mut out = vec![EF::ZERO; hi * lo];
    for h in 0..hi {
        let dst = &mut out[h * lo..(h + 1) * lo];
        for (m, &e) in eq.iter().enumerate() {
            let src = &table[(h * mid + m) * lo..][..lo];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += e * s;
            }
        }
    }
    out
}

/// Prover of a batched matrix product.
///
/// # Transcript
/// The sumcheck over the batch and contraction variables (see the module doc) with claimed sum
/// `claim.value`; then `observe_ext_slice(b"layer/evals", [a, b])`.
pub fn prove(
    ctx: &NodeCtx<'_>,
    operands: &[&PaddedTensor],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
    let g = Geometry::new(ctx)?;
    let (rb, ri, rj) = g.split(&claim.point);
    // Variables of each operand's batch dimensions (they come first).
    let a_batch = g.a.dims_vars(0..g.a.rank() - 2).end;
    let b_batch = g.b.dims_vars(0..g.b.rank() - 2).end;
    // A bound to r_i: table over (A batch vars ‖ k vars).
    let a_bound = if g.transpose_a {
        bind_middle(&operands[0].evals, a_batch + g.log_k, ri, 0)
    } else {
        bind_middle(&operands[0].evals, a_batch, ri, g.log_k)
    };
    let b_bound = if g.transpose_b {
        bind_middle(&operands[1].evals, b_batch, rj, g.log_k)
    } else {
        bind_middle(&operands[1].evals, b_batch + g.log_k, rj, 0)
    };
    let n = g.batch_vars() + g.log_k;
    let mut poly = SumOfProducts::new(n);
    let eq_b = eq_table(rb);
    let kk = 1usize << g.log_k;
    poly.add_table(
        eq_b.iter()
            .flat_map(|&e| std::iter::repeat_n(e, kk))
            .collect(),
    );
    poly.add_table(g.batch_a.expand_blocks(&a_bound, g.log_k));
    poly.add_table(g.batch_b.expand_blocks(&b_bound, g.log_k));
    poly.terms = g.terms();
    let out = sumcheck::prove(poly, claim.value, transcript);
    let (rb2, rk) = out.point.split_at(g.batch_vars());
    let (pa, _) = g.batch_a.project(rb2)?;
    let (pb, _) = g.batch_b.project(rb2)?;
    let a = eval_mle_ext(&a_bound, &[pa.as_slice(), rk].concat());
    let b = eval_mle_ext(&b_bound, &[pb.as_slice(), rk].concat());
    transcript.observe_ext_slice(b"layer/evals", &[a, b]);
    let ([qa, qb], _) = g.operand_points(&claim.point, &out.point)?;
    Ok((
        LayerProof::MatMul(ProductProof {
            sumcheck: out.proof,
            evals: vec![a, b],
        }),
        vec![
            OperandClaim {
                operand: 0,
                claim: EvalClaim::new(qa, a),
            },
            OperandClaim {
                operand: 1,
                claim: EvalClaim::new(qb, b),
            },
        ],
    ))
}

/// Verifier of a batched matrix product.
///
/// # Transcript
/// As in [`prove`].
pub fn verify(
    ctx: &NodeCtx<'_>,
    claim: &EvalClaim,
    proof: &LayerProof,
    transcript: &mut Transcript,
) -> Result<Vec<OperandClaim>, LayerError> {
    let g = Geometry::new(ctx)?;
    let LayerProof::MatMul(p) = proof else {
        return Err(LayerError::WrongProofKind {
            expected: "MatMul",
            got: proof.kind(),
        });
    };
    check_count("operand evaluations", 2, p.evals.len())?;
    let n = g.batch_vars() + g.log_k;
    let sub = sumcheck::verify(n, g.degree(), claim.value, &p.sumcheck, transcript)?;
    transcript.observe_ext_slice(b"layer/evals", &p.evals);
    let (rb, _, _) = g.split(&claim.point);
    let ([qa, qb], [fa, fb]) = g.operand_points(&claim.point, &sub.point)?;
    let e = eq_eval(rb, &sub.point[..g.batch_vars()]);
    sub.check(&g.terms(), &[e, p.evals[0] * fa, p.evals[1] * fb])?;
    Ok(vec![
        OperandClaim {
            operand: 0,
            claim: EvalClaim::new(qa, p.evals[0]),
        },
        OperandClaim {
            operand: 1,
            claim: EvalClaim::new(qb, p.evals[1]),
        },
    ])
}
