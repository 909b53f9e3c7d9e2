//! N-d transposed convolution (`QOp::Deconv`: strides, crops, dilations, output padding,
//! groups, optional bias): `Y[n, o, p·s + q·d − pad] += X[n, c, p]·W[c, o mod O_g, q]` for the
//! input channels `c` of `o`'s group, plus `bias[o]`. Proved like [`super::conv`], with the
//! roles of input and output positions exchanged, and with the same proof shape
//! ([`ConvProof`], carried as [`LayerProof::Conv`]).
//!
//! # Protocol
//!
//! Split the claim point on `Y` as `r = (r_n ‖ r_o ‖ r_y)`. The prover sends `β = bias(r_o)`;
//! the rest of the claim is `T = v − β·S_N(r_n)·S_Y(r_y)`. With
//!
//! ```text
//! U(c, q) = Σ_{p, y = tap(p, q)} eq(r_y, y) · X(r_n, c, p)        (c, q real; else 0)
//! E(c, j) = eq(r_o, γ(c)·O_g + j)                                 (c, j real; else 0)
//! ```
//!
//! 1. One group: `T = Σ_{c,q} W(c, r_o, q)·U(c, q)` (degree 2). Several groups:
//!    `T = Σ_{c,j,q} E(c, j)·W(c, j, q)·U(c, q)` (degree 3; `U` is constant in `j`, and the
//!    verifier evaluates `E` in `O(C·O_g)`). At the final point `(r_c, r_j, r_q)` the prover
//!    sends `w = W(r_c, r_j, r_q)` (`r_j = r_o` with one group) and `u = U(r_c, r_q)`.
//! 2. `u = Σ_p X(r_n, r_c, p)·K(p)`, `K(p) = Σ_{q, y = tap(p,q)} eq(r_q, q)·eq(r_y, y)`: a
//!    degree-2 sumcheck over the input positions, ending at `r_p` where the prover sends
//!    `ξ = X(r_n, r_c, r_p)`; the verifier evaluates `K(r_p)` in `O(|X_spatial|·|Q|)`.
//!
//! Claims left open: `X(r_n ‖ r_c ‖ r_p) = ξ`, `W(r_c ‖ r_j ‖ r_q) = w`, `bias(r_o) = β`.

use lucid_core::field::EF;
use lucid_core::mle::{EvalClaim, MleRef, eq_table};
use lucid_core::sumcheck::{ProductTerm, SumOfProducts};
use lucid_core::transcript::Transcript;
use lucid_model::ir::DeconvSpec;
use lucid_model::quant::QOp;
use p3_field::PrimeCharacteristicRing;

use super::conv::ConvProof;
use super::conv_phases;
use super::matmul::bind_middle;
use super::{LayerError, LayerProof, NodeCtx, OperandClaim};
use crate::layout::{PaddedShape, PaddedTensor, for_each_index, prefix_selector};

/// `(p, q, y)` triples: padded offsets of an input position, a kernel position and the output
/// position they write.
pub(crate) type Taps = Vec<(usize, usize, usize)>;

/// The geometry of one transposed convolution.
struct Geometry {
    out: PaddedShape,
    has_bias: bool,
    groups: usize,
    /// Input channels and output channels per group.
    c: usize,
    cg: usize,
    og: usize,
    taps: Taps,
    log_c: usize,
    log_j: usize,
    log_q: usize,
    log_p: usize,
}

/// The scatter taps `(input, kernel, output)` (padded offsets) of a transposed convolution and
/// its output spatial dims.
pub(crate) fn scatter(
    in_dims: &[usize],
    kernel: &[usize],
    spec: &DeconvSpec,
) -> Result<(Vec<usize>, Taps), String> {
    let k = in_dims.len();
    let op = |i: usize| spec.output_padding.get(i).copied().unwrap_or(0);
    if kernel.len() != k
        || spec.strides.len() != k
        || spec.dilations.len() != k
        || spec.pads.len() != k
    {
        return Err(format!("deconvolution parameters for {k} spatial axes"));
    }
    let mut out_dims = Vec::with_capacity(k);
    for i in 0..k {
        if spec.strides[i] == 0 || spec.dilations[i] == 0 || kernel[i] == 0 || in_dims[i] == 0 {
            return Err("zero stride, dilation, kernel or input size".into());
        }
        let full =
            spec.strides[i] * (in_dims[i] - 1) + op(i) + spec.dilations[i] * (kernel[i] - 1) + 1;
        let crop = spec.pads[i].0 + spec.pads[i].1;
        if full < crop {
            return Err("the deconvolution crops more than its output".into());
        }
        out_dims.push(full - crop);
    }
    let (ps, qs, ys) = (
        PaddedShape::new(in_dims),
        PaddedShape::new(kernel),
        PaddedShape::new(&out_dims),
    );
    let mut taps = Vec::new();
    let mut pos = vec![0usize; k];
    for_each_index(in_dims, |p| {
        let pp = ps.padded_offset(p);
        for_each_index(kernel, |q| {
            for ax in 0..k {
                let v = (p[ax] * spec.strides[ax] + q[ax] * spec.dilations[ax]) as i64
                    - spec.pads[ax].0 as i64;
                if v < 0 || v >= out_dims[ax] as i64 {
                    return;
                }
                pos[ax] = v as usize;
            }
            taps.push((pp, qs.padded_offset(q), ys.padded_offset(&pos)));
        });
    });
    Ok((out_dims, taps))
}

impl Geometry {
    fn new(ctx: &NodeCtx<'_>) -> Result<Self, LayerError> {
        ctx.expect_operands(2..=3)?;
        let QOp::Deconv(spec) = &ctx.node.op else {
            return Err(ctx.unsupported("not a transposed convolution"));
        };
        let (xs, ws) = (ctx.shapes[0], ctx.shapes[1]);
        if xs.len() < 3 || ws.len() != xs.len() {
            return Err(ctx.err(format!("deconv input {xs:?} and weight {ws:?}")));
        }
        let (n, c, og) = (xs[0], xs[1], ws[1]);
        let g = spec.group;
        if g == 0 || ws[0] != c || c % g != 0 {
            return Err(ctx.err(format!("deconv channels {c} vs weight {ws:?}, group {g}")));
        }
        let o = og * g;
        let has_bias = ctx.shapes.len() == 3;
        if has_bias && ctx.shapes[2] != [o] {
            return Err(ctx.err(format!("bias {:?} for {o} output channels", ctx.shapes[2])));
        }
        let (out_dims, taps) = scatter(&xs[2..], &ws[2..], spec).map_err(|e| ctx.err(e))?;
        let mut want = vec![n, o];
        want.extend_from_slice(&out_dims);
        if ctx.node.shape != want {
            return Err(ctx.err(format!(
                "output shape {:?}, the deconvolution gives {want:?}",
                ctx.node.shape
            )));
        }
        let (x, w) = (PaddedShape::new(xs), PaddedShape::new(ws));
        let rank = xs.len();
        Ok(Self {
            out: PaddedShape::new(&want),
            has_bias,
            groups: g,
            c,
            cg: c / g,
            og,
            taps,
            log_c: x.dim_log(1),
            log_j: w.dim_log(1),
            log_q: w.dims_vars(2..rank).len(),
            log_p: x.dims_vars(2..rank).len(),
        })
    }

    fn grouped(&self) -> bool {
        self.groups > 1
    }

    /// `(r_n, r_o, r_y)`.
    fn split<'a>(&self, point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (rn, rest) = point.split_at(self.out.dim_log(0));
        let (ro, ry) = rest.split_at(self.out.dim_log(1));
        (rn, ro, ry)
    }

    fn bias_factor(&self, point: &[EF]) -> EF {
        let (rn, _, ry) = self.split(point);
        let r = self.out.rank();
        prefix_selector(rn, self.out.dims()[0]) * self.out.sub_shape(2..r).selector_eval(ry)
    }

    fn step1_vars(&self) -> usize {
        self.log_c + if self.grouped() { self.log_j } else { 0 } + self.log_q
    }

    fn step1_terms(&self) -> Vec<ProductTerm> {
        let factors = if self.grouped() {
            vec![0, 1, 2]
        } else {
            vec![0, 1]
        };
        vec![ProductTerm {
            coeff: EF::ONE,
            factors,
        }]
    }

    /// `E(c, j)` over `(c vars ‖ j vars)`.
    fn group_table(&self, ro: &[EF]) -> Vec<EF> {
        let eo = eq_table(ro);
        let jl = 1usize << self.log_j;
        let mut e = vec![EF::ZERO; (1 << self.log_c) * jl];
        for c in 0..self.c {
            let base = (c / self.cg) * self.og;
            for j in 0..self.og {
                e[c * jl + j] = eo[base + j];
            }
        }
        e
    }

    /// `K` over the input positions.
    fn position_weights(&self, rq: &[EF], ry: &[EF]) -> Vec<EF> {
        let (eq, ey) = (eq_table(rq), eq_table(ry));
        let mut k = vec![EF::ZERO; 1 << self.log_p];
        for &(p, q, y) in &self.taps {
            k[p] += eq[q] * ey[y];
        }
        k
    }

    /// `(r_c, r_j, r_q)` of step 1's final point.
    fn step1_point<'a>(&self, ro: &'a [EF], point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (rc, rest) = point.split_at(self.log_c);
        let (rj, rq) = if self.grouped() {
            rest.split_at(self.log_j)
        } else {
            (ro, rest)
        };
        (rc, rj, rq)
    }

    fn claims(
        &self,
        claim_point: &[EF],
        p1: &[EF],
        p2: &[EF],
        proof: &ConvProof,
    ) -> Vec<OperandClaim> {
        let (rn, ro, _) = self.split(claim_point);
        let (rc, rj, rq) = self.step1_point(ro, p1);
        let mut out = vec![
            OperandClaim {
                operand: 0,
                claim: EvalClaim::new([rn, rc, p2].concat(), proof.x_eval),
            },
            OperandClaim {
                operand: 1,
                claim: EvalClaim::new([rc, rj, rq].concat(), proof.w_eval),
            },
        ];
        if let Some(b) = proof.bias {
            out.push(OperandClaim {
                operand: 2,
                claim: EvalClaim::new(ro.to_vec(), b),
            });
        }
        out
    }
}

/// Prover of a transposed convolution.
///
/// # Transcript
/// With a bias: `observe_ext(b"layer/bias", β)`. Step 1's sumcheck (claimed sum `T`);
/// `observe_ext_slice(b"layer/evals", [w, u])`; step 2's sumcheck (claimed sum `u`);
/// `observe_ext(b"layer/eval", ξ)`.
pub fn prove(
    ctx: &NodeCtx<'_>,
    operands: &[&PaddedTensor],
    claim: &EvalClaim,
    transcript: &mut Transcript,
) -> Result<(LayerProof, Vec<OperandClaim>), LayerError> {
    let g = Geometry::new(ctx)?;
    let (rn, ro, ry) = g.split(&claim.point);
    let (bias, t) = conv_phases::prove_bias(
        g.has_bias.then(|| operands[2]),
        ro,
        g.bias_factor(&claim.point),
        claim.value,
        transcript,
    );

    // X(r_n, c, p) and U(c, q).
    let xn = MleRef::Base(&operands[0].evals).bind_prefix(rn);
    let (pl, ql) = (1usize << g.log_p, 1usize << g.log_q);
    let ey = eq_table(ry);
    let mut u = vec![EF::ZERO; (1 << g.log_c) * ql];
    for c in 0..g.c {
        let xc = &xn[c * pl..][..pl];
        let uc = &mut u[c * ql..(c + 1) * ql];
        for &(p, q, y) in &g.taps {
            uc[q] += ey[y] * xc[p];
        }
    }

    let mut poly = SumOfProducts::new(g.step1_vars());
    if g.grouped() {
        let jl = 1usize << g.log_j;
        poly.add_table(
            g.group_table(ro)
                .into_iter()
                .flat_map(|e| std::iter::repeat_n(e, ql))
                .collect(),
        );
        poly.add_table(MleRef::Base(&operands[1].evals).to_ext());
        let mut ut = Vec::with_capacity(u.len() * jl);
        for uc in u.chunks(ql) {
            for _ in 0..jl {
                ut.extend_from_slice(uc);
            }
        }
        poly.add_table(ut);
    } else {
        poly.add_table(bind_middle(&operands[1].evals, g.log_c, ro, g.log_q));
        poly.add_table(u);
    }
    poly.terms = g.step1_terms();
    let (proof, p1, p2) = conv_phases::prove_steps(
        bias,
        poly,
        t,
        |p1| {
            let (rc, _, rq) = g.step1_point(ro, p1);
            (
                g.log_p,
                MleRef::Ext(&xn).bind_prefix(rc),
                g.position_weights(rq, ry),
            )
        },
        transcript,
    );
    let claims = g.claims(&claim.point, &p1, &p2, &proof);
    Ok((LayerProof::Conv(proof), claims))
}

/// Verifier of a transposed convolution.
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
    let (_, ro, ry) = g.split(&claim.point);
    let (p, t) = conv_phases::verify_bias(
        proof,
        g.has_bias,
        || g.bias_factor(&claim.point),
        claim.value,
        transcript,
    )?;
    let shapes = conv_phases::StepShapes {
        step1_vars: g.step1_vars(),
        step1_terms: g.step1_terms(),
        step2_vars: g.log_p,
    };
    let (p1, p2) = conv_phases::verify_steps(
        p,
        t,
        &shapes,
        |p1| {
            if g.grouped() {
                let (rc, rj, _) = g.step1_point(ro, p1);
                vec![lucid_core::mle::eval_mle_ext(
                    &g.group_table(ro),
                    &[rc, rj].concat(),
                )]
            } else {
                Vec::new()
            }
        },
        |p1, p2| {
            let (_, _, rq) = g.step1_point(ro, p1);
            lucid_core::mle::eval_mle_ext(&g.position_weights(rq, ry), p2)
        },
        transcript,
    )?;
    Ok(g.claims(&claim.point, &p1, &p2, p))
}
