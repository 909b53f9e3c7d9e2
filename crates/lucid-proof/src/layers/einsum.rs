//! Einsum over one or two operands (`QOp::Einsum`, explicit `"ab,bc->ac"` expressions, no
//! repeated label within an operand), the general form of products and reductions that are not
//! a plain `MatMul`.
//!
//! # Protocol
//!
//! Every label is one dimension with its own variables. Split the claim point on the output
//! per output label, `r_l`. A label is
//!
//! - *free* in an operand if it is in the output and only in that operand: bound to `r_l`;
//! - *summed* in an operand if it is in neither the output nor the other operand: summed out,
//!   which is the MLE at `(1/2, …, 1/2)` times `2^{vars}` (padding is zero);
//! - *shared* if it is in both operands: a sumcheck variable, with the factor `eq(r_l, s_l)`
//!   when it is also in the output (a batch label).
//!
//! One operand: no shared labels and no message: `Z(r) = 2^{n_Σ}·A(r_free, 1/2…)`.
//! Two operands: `Z(r) = Σ_s E(s)·A'(s)·B'(s)` with `E(s) = Π_{batch l} eq(r_l, s_l)` and `A'`
//! (`B'`) the operand with its free labels bound and its summed labels summed, over the shared
//! labels. One sumcheck (degree 3, or 2 without batch labels); at its final point `s'` the
//! prover sends `a = A(r_free, s', 1/2…)` and `b = B(…)` (in each operand's own dimension
//! order) and the verifier checks `E(s')·2^{n_A}·a·2^{n_B}·b`. The proof has the shape of a
//! matrix product's ([`LayerProof::MatMul`]).

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, eq_eval, eq_table};
use lucid_core::sumcheck::{self, ProductTerm, SumOfProducts};
use lucid_core::transcript::Transcript;
use lucid_model::ir::EinsumSpec;
use lucid_model::quant::QOp;
use p3_field::{Field, PrimeCharacteristicRing};

use super::{
    LayerError, LayerProof, NodeCtx, OperandClaim, ProductProof, check_count, expect_free,
};
use crate::layout::{PaddedShape, PaddedTensor};

/// Whether the layer protocol proves the einsum `expr`: one or two operands, no label repeated
/// within an operand.
pub fn supported(expr: &str) -> bool {
    EinsumSpec::parse(expr).is_ok_and(|spec| {
        (1..=2).contains(&spec.inputs.len())
            && spec
                .inputs
                .iter()
                .all(|ls| (1..ls.len()).all(|i| !ls[..i].contains(&ls[i])))
    })
}

/// What happens to one dimension of an operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Bound to the output point's sub-point of output dimension `.0`.
    Free(usize),
    /// Summed out.
    Summed,
    /// Shared sumcheck label number `.0` (in sumcheck order).
    Shared(usize),
}

struct Geometry {
    out: PaddedShape,
    shapes: Vec<PaddedShape>,
    roles: Vec<Vec<Role>>,
    /// Shared labels in sumcheck order: (log2 padded size, output dimension if batch).
    shared: Vec<(usize, Option<usize>)>,
}

fn half() -> EF {
    EF::from(F::TWO.inverse())
}

impl Geometry {
    fn new(ctx: &NodeCtx<'_>) -> Result<Self, LayerError> {
        ctx.expect_operands(1..=2)?;
        let QOp::Einsum { expr } = &ctx.node.op else {
            return Err(ctx.unsupported("not an einsum"));
        };
        let spec = EinsumSpec::parse(expr).map_err(|e| ctx.err(e.to_string()))?;
        if spec.inputs.len() != ctx.shapes.len() {
            return Err(ctx.err("operand count differs from the expression"));
        }
        let out_shape = spec
            .output_shape(ctx.shapes)
            .map_err(|e| ctx.err(e.to_string()))?;
        if out_shape != ctx.node.shape {
            return Err(ctx.err(format!(
                "output shape {:?}, the einsum gives {out_shape:?}",
                ctx.node.shape
            )));
        }
        for ls in &spec.inputs {
            if (1..ls.len()).any(|i| ls[..i].contains(&ls[i])) {
                return Err(ctx.unsupported("a label repeated within an operand (a diagonal)"));
            }
        }
        let sizes = spec
            .label_sizes(ctx.shapes)
            .map_err(|e| ctx.err(e.to_string()))?;
        let in_op = |k: usize, l: u8| spec.inputs.get(k).is_some_and(|ls| ls.contains(&l));
        let mut shared_labels: Vec<u8> = Vec::new();
        if spec.inputs.len() == 2 {
            for &l in &spec.inputs[0] {
                if in_op(1, l) {
                    shared_labels.push(l);
                }
            }
        }
        let log = |l: u8| PaddedShape::new(&[sizes[l as usize].unwrap_or(1)]).num_vars();
        let shared = shared_labels
            .iter()
            .map(|&l| (log(l), spec.output.iter().position(|&o| o == l)))
            .collect();
        let roles = spec
            .inputs
            .iter()
            .map(|ls| {
                ls.iter()
                    .map(|&l| {
                        if let Some(i) = shared_labels.iter().position(|&s| s == l) {
                            Role::Shared(i)
                        } else if let Some(o) = spec.output.iter().position(|&o| o == l) {
                            Role::Free(o)
                        } else {
                            Role::Summed
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Self {
            out: ctx.out_shape(),
            shapes: ctx.shapes.iter().map(|s| PaddedShape::new(s)).collect(),
            roles,
            shared,
        })
    }

    fn shared_vars(&self) -> usize {
        self.shared.iter().map(|s| s.0).sum()
    }

    fn has_batch(&self) -> bool {
        self.shared.iter().any(|s| s.1.is_some())
    }

    /// Sub-point of each shared label within a sumcheck point.
    fn shared_points<'a>(&self, s: &'a [EF]) -> Vec<&'a [EF]> {
        let mut out = Vec::with_capacity(self.shared.len());
        let mut at = 0;
        for &(n, _) in &self.shared {
            out.push(&s[at..at + n]);
            at += n;
        }
        out
    }

    /// Operand `k`'s point for the output point `r` and the sumcheck point `s`, and
    /// `2^{summed vars}`.
    fn operand_point(&self, k: usize, r: &[EF], s: &[EF]) -> (Vec<EF>, EF) {
        let outs = self.out.split_point(r);
        let sh = self.shared_points(s);
        let mut p = Vec::with_capacity(self.shapes[k].num_vars());
        let mut scale = EF::ONE;
        for (d, role) in self.roles[k].iter().enumerate() {
            let n = self.shapes[k].dim_log(d);
            match *role {
                Role::Free(o) => p.extend_from_slice(outs[o]),
                Role::Shared(i) => p.extend_from_slice(sh[i]),
                Role::Summed => {
                    p.extend(std::iter::repeat_n(half(), n));
                    scale *= EF::from(F::from_u64(1u64 << n));
                }
            }
        }
        (p, scale)
    }

    /// `E(s')`.
    fn batch_eq(&self, r: &[EF], s: &[EF]) -> EF {
        let outs = self.out.split_point(r);
        self.shared
            .iter()
            .zip(self.shared_points(s))
            .filter_map(|(&(_, o), sp)| o.map(|o| eq_eval(outs[o], sp)))
            .product()
    }

    /// Operand `k` with its free labels bound to `r` and its summed labels summed, over the
    /// shared labels in sumcheck order.
    fn contract(&self, k: usize, table: &[F], r: &[EF]) -> Vec<EF> {
        let shape = &self.shapes[k];
        let outs = self.out.split_point(r);
        let rank = shape.rank();
        let eqs: Vec<Option<Vec<EF>>> = self.roles[k]
            .iter()
            .map(|role| match role {
                Role::Free(o) => Some(eq_table(outs[*o])),
                _ => None,
            })
            .collect();
        // Bit offset of each shared label in the sumcheck index.
        let mut shift = vec![0usize; self.shared.len()];
        let mut acc = 0;
        for i in (0..self.shared.len()).rev() {
            shift[i] = acc;
            acc += self.shared[i].0;
        }
        let mut out = vec![EF::ZERO; 1 << self.shared_vars()];
        let logs: Vec<usize> = (0..rank).map(|d| shape.dim_log(d)).collect();
        for (i, &v) in table.iter().enumerate() {
            if v == F::ZERO {
                continue;
            }
            let mut w = EF::ONE;
            let mut dest = 0usize;
            let mut rest = i;
            for d in (0..rank).rev() {
                let c = rest & ((1 << logs[d]) - 1);
                rest >>= logs[d];
                match self.roles[k][d] {
                    Role::Free(_) => w *= eqs[d].as_ref().expect("free dims have a table")[c],
                    Role::Shared(j) => dest |= c << shift[j],
                    Role::Summed => {}
                }
            }
            out[dest] += w * v;
        }
        out
    }

    fn terms(&self) -> Vec<ProductTerm> {
        let factors = if self.has_batch() {
            vec![0, 1, 2]
        } else {
            vec![1, 2]
        };
        vec![ProductTerm {
            coeff: EF::ONE,
            factors,
        }]
    }
}

/// Prover of an einsum.
///
/// # Transcript
/// One operand: nothing. Two operands: the sumcheck over the shared labels (claimed sum
/// `claim.value`), then `observe_ext_slice(b"layer/evals", [a, b])`.
pub fn prove(
    ctx: &NodeCtx<'_>,
    operands: &[&PaddedTensor],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
    let g = Geometry::new(ctx)?;
    if operands.len() == 1 {
        let (p, scale) = g.operand_point(0, &claim.point, &[]);
        let v = claim.value * scale.inverse();
        return Ok((
            LayerProof::Free,
            vec![OperandClaim {
                operand: 0,
                claim: EvalClaim::new(p, v),
            }],
        ));
    }
    let mut poly = SumOfProducts::new(g.shared_vars());
    // E over the shared labels.
    let outs = g.out.split_point(&claim.point);
    let mut e = vec![EF::ONE];
    for &(n, o) in &g.shared {
        let t = match o {
            Some(o) => eq_table(outs[o]),
            None => vec![EF::ONE; 1 << n],
        };
        e = e
            .iter()
            .flat_map(|&a| t.iter().map(move |&b| a * b))
            .collect();
    }
    poly.add_table(e);
    let a_t = g.contract(0, &operands[0].evals, &claim.point);
    let b_t = g.contract(1, &operands[1].evals, &claim.point);
    poly.add_table(a_t);
    poly.add_table(b_t);
    poly.terms = g.terms();
    let out = sumcheck::prove(poly, claim.value, transcript);
    let (pa, _) = g.operand_point(0, &claim.point, &out.point);
    let (pb, _) = g.operand_point(1, &claim.point, &out.point);
    let (a, b) = (operands[0].eval(&pa), operands[1].eval(&pb));
    transcript.observe_ext_slice(b"layer/evals", &[a, b]);
    Ok((
        LayerProof::MatMul(ProductProof {
            sumcheck: out.proof,
            evals: vec![a, b],
        }),
        vec![
            OperandClaim {
                operand: 0,
                claim: EvalClaim::new(pa, a),
            },
            OperandClaim {
                operand: 1,
                claim: EvalClaim::new(pb, b),
            },
        ],
    ))
}

/// Verifier of an einsum.
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
    if g.shapes.len() == 1 {
        expect_free(proof)?;
        let (p, scale) = g.operand_point(0, &claim.point, &[]);
        return Ok(vec![OperandClaim {
            operand: 0,
            claim: EvalClaim::new(p, claim.value * scale.inverse()),
        }]);
    }
    let LayerProof::MatMul(p) = proof else {
        return Err(LayerError::WrongProofKind {
            expected: "MatMul",
            got: proof.kind(),
        });
    };
    check_count("operand evaluations", 2, p.evals.len())?;
    let degree = if g.has_batch() { 3 } else { 2 };
    let sub = sumcheck::verify(
        g.shared_vars(),
        degree,
        claim.value,
        &p.sumcheck,
        transcript,
    )?;
    transcript.observe_ext_slice(b"layer/evals", &p.evals);
    let (pa, sa) = g.operand_point(0, &claim.point, &sub.point);
    let (pb, sb) = g.operand_point(1, &claim.point, &sub.point);
    let e = g.batch_eq(&claim.point, &sub.point);
    sub.check(&g.terms(), &[e, sa * p.evals[0], sb * p.evals[1]])?;
    Ok(vec![
        OperandClaim {
            operand: 0,
            claim: EvalClaim::new(pa, p.evals[0]),
        },
        OperandClaim {
            operand: 1,
            claim: EvalClaim::new(pb, p.evals[1]),
        },
    ])
}
