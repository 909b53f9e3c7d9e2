//! N-d convolution `Y[n, o, p] = bias[o] + Σ_{c, q} W[o, c, q]·X[n, g(o)·C_g + c, p·s + q·d − pad]`
//! (`QOp::Conv`: strides, zero pads, dilations, groups, optional bias), proved without ever
//! materializing an im2col matrix.
//!
//! # Protocol
//!
//! Split the claim point on `Y` as `r = (r_n ‖ r_o ‖ r_p)`. The prover sends `β = bias(r_o)`; the
//! bias contributes `β·S_N(r_n)·S_P(r_p)` and the rest, `T`, is the convolution proper. With the
//! spatial `eq` contracted,
//!
//! ```text
//! U_γ(c, q) = Σ_{p real} eq(r_p, p) · X(r_n, γ·C_g + c, tap(p, q))     (c < C_g, q real; else 0)
//! ```
//!
//! 1. **Channels × taps.** One group: `T = Σ_{c,q} W(r_o, c, q)·U_0(c, q)` (degree 2).
//!    Several groups: `T = Σ_{o,c,q} eq(r_o, o)·W(o, c, q)·U_{γ(o)}(c, q)` (degree 3, `U` zero
//!    on padded `o`). At the final point `(r'_o, r_c, r_q)` the prover sends `w = W(·)` and
//!    `u = U(·)`.
//! 2. **Input positions.** `u = Σ_{ch, x} X(r_n, ch, x)·K_c(ch)·K_s(x)` with the
//!    verifier-computable weights `K_s(x) = Σ_{tap(p,q) = x} eq(r_p, p)·eq(r_q, q)` and
//!    `K_c(ch) = eq(r_c, ch)` (one group; the channel variables are then bound directly) or
//!    `K_c(ch) = eq(r_c, ch mod C_g)·Σ_{o : γ(o) = ⌊ch/C_g⌋} eq(r'_o, o)`. A degree-2 sumcheck over
//!    the input positions (and channels, for several groups) ends at `(r_ch, r_x)` where the
//!    prover sends `ξ = X(r_n, r_ch, r_x)`; the verifier evaluates `K` there in
//!    `O(|P|·|Q| + |X_spatial| + C + O)`.
//!
//! Claims left open: `X(r_n ‖ r_ch ‖ r_x) = ξ`, `W(r'_o ‖ r_c ‖ r_q) = w`, `bias(r_o) = β`.

use lucid_core::field::EF;
use lucid_core::mle::{EvalClaim, MleRef, eq_eval, eq_table};
use lucid_core::sumcheck::{ProductTerm, SumOfProducts, SumcheckProof};
use lucid_core::transcript::Transcript;
use lucid_model::ir::ConvSpec;
use lucid_model::quant::QOp;
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use super::conv_phases;
use super::maps::{Window, window};
use super::{LayerError, LayerProof, NodeCtx, OperandClaim};
use crate::layout::{PaddedShape, PaddedTensor, prefix_selector};

/// Proof of a convolution reduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvProof {
    /// `bias(r_o)`, when the node has a bias.
    pub bias: Option<EF>,
    /// Step 1: over (output channels, when grouped) × input channels × kernel taps.
    pub channels: SumcheckProof,
    /// `W` and `U` at step 1's final point.
    pub w_eval: EF,
    pub u_eval: EF,
    /// Step 2: over (input channels, when grouped) × input positions.
    pub positions: SumcheckProof,
    /// `X(r_n, r_ch, r_x)`.
    pub x_eval: EF,
}

/// The geometry of one convolution.
struct Geometry {
    out: PaddedShape,
    has_bias: bool,
    groups: usize,
    /// Input channels per group.
    cg: usize,
    /// Output channels per group.
    og: usize,
    win: Window,
    /// Variables: output channels, input channels per group (W's dim 1), kernel, input
    /// channels (X's dim 1), input spatial.
    log_o: usize,
    log_cg: usize,
    log_q: usize,
    log_ch: usize,
    log_x: usize,
}

impl Geometry {
    fn new(ctx: &NodeCtx<'_>) -> Result<Self, LayerError> {
        ctx.expect_operands(2..=3)?;
        let QOp::Conv(spec) = &ctx.node.op else {
            return Err(ctx.unsupported("not a convolution"));
        };
        let ConvSpec {
            strides,
            pads,
            dilations,
            group,
        } = spec;
        let (xs, ws) = (ctx.shapes[0], ctx.shapes[1]);
        if xs.len() < 3 || ws.len() != xs.len() {
            return Err(ctx.err(format!("conv input {xs:?} and weight {ws:?}")));
        }
        let (n, c, o, cg) = (xs[0], xs[1], ws[0], ws[1]);
        let g = *group;
        if g == 0 || c != cg * g || o % g != 0 {
            return Err(ctx.err(format!("conv channels {c} vs weight {ws:?}, group {g}")));
        }
        let has_bias = ctx.shapes.len() == 3;
        if has_bias && ctx.shapes[2] != [o] {
            return Err(ctx.err(format!("bias {:?} for {o} output channels", ctx.shapes[2])));
        }
        let win = window(&xs[2..], &ws[2..], strides, dilations, pads).map_err(|e| ctx.err(e))?;
        let mut want = vec![n, o];
        want.extend_from_slice(&win.out_dims);
        if ctx.node.shape != want {
            return Err(ctx.err(format!(
                "output shape {:?}, the convolution gives {want:?}",
                ctx.node.shape
            )));
        }
        let (x, w) = (PaddedShape::new(xs), PaddedShape::new(ws));
        let rank = xs.len();
        Ok(Self {
            out: PaddedShape::new(&want),
            log_o: w.dim_log(0),
            log_cg: w.dim_log(1),
            log_q: w.dims_vars(2..rank).len(),
            log_ch: x.dim_log(1),
            log_x: x.dims_vars(2..rank).len(),
            has_bias,
            groups: g,
            cg,
            og: o / g,
            win,
        })
    }

    fn grouped(&self) -> bool {
        self.groups > 1
    }

    /// `(r_n, r_o, r_p)`.
    fn split<'a>(&self, point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (rn, rest) = point.split_at(self.out.dim_log(0));
        let (ro, rp) = rest.split_at(self.out.dim_log(1));
        (rn, ro, rp)
    }

    /// `S_N(r_n)·S_P(r_p)`: the bias's multiplier.
    fn bias_factor(&self, point: &[EF]) -> EF {
        let (rn, _, rp) = self.split(point);
        let r = self.out.rank();
        prefix_selector(rn, self.out.dims()[0]) * self.out.sub_shape(2..r).selector_eval(rp)
    }

    fn step1_vars(&self) -> usize {
        (if self.grouped() { self.log_o } else { 0 }) + self.log_cg + self.log_q
    }

    fn step2_vars(&self) -> usize {
        (if self.grouped() { self.log_ch } else { 0 }) + self.log_x
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

    /// `K_s` as a table over the input spatial variables.
    fn spatial_weights(&self, rp: &[EF], rq: &[EF]) -> Vec<EF> {
        let (ep, eq) = (eq_table(rp), eq_table(rq));
        let mut k = vec![EF::ZERO; 1 << self.log_x];
        for &(p, q, x) in &self.win.taps {
            k[x] += ep[p] * eq[q];
        }
        k
    }

    /// `K_s(r_x)`.
    fn spatial_weight_eval(&self, rp: &[EF], rq: &[EF], rx: &[EF]) -> EF {
        let (ep, eq, ex) = (eq_table(rp), eq_table(rq), eq_table(rx));
        self.win
            .taps
            .iter()
            .map(|&(p, q, x)| ep[p] * eq[q] * ex[x])
            .sum()
    }

    /// `K_c` over the input-channel variables (several groups).
    fn channel_weights(&self, ro2: &[EF], rc: &[EF]) -> Vec<EF> {
        let (eo, ec) = (eq_table(ro2), eq_table(rc));
        let group_sums: Vec<EF> = (0..self.groups)
            .map(|g| eo[g * self.og..(g + 1) * self.og].iter().copied().sum())
            .collect();
        let mut k = vec![EF::ZERO; 1 << self.log_ch];
        for (ch, slot) in k.iter_mut().enumerate().take(self.groups * self.cg) {
            *slot = ec[ch % self.cg] * group_sums[ch / self.cg];
        }
        k
    }

    /// `(r'_o, r_c, r_q)` of step 1's final point (`r'_o` is `r_o` with one group).
    fn step1_point<'a>(&self, ro: &'a [EF], point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (ro2, rest) = if self.grouped() {
            point.split_at(self.log_o)
        } else {
            (ro, point)
        };
        let (rc, rq) = rest.split_at(self.log_cg);
        (ro2, rc, rq)
    }

    fn claims(
        &self,
        claim_point: &[EF],
        p1: &[EF],
        p2: &[EF],
        proof: &ConvProof,
    ) -> Vec<OperandClaim> {
        let (rn, ro, _) = self.split(claim_point);
        let (ro2, rc, rq) = self.step1_point(ro, p1);
        let x_point = if self.grouped() {
            [rn, p2].concat()
        } else {
            [rn, rc, p2].concat()
        };
        let mut out = vec![
            OperandClaim {
                operand: 0,
                claim: EvalClaim::new(x_point, proof.x_eval),
            },
            OperandClaim {
                operand: 1,
                claim: EvalClaim::new([ro2, rc, rq].concat(), proof.w_eval),
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

/// Prover of a convolution.
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
    let (rn, ro, rp) = g.split(&claim.point);
    let (bias, t) = conv_phases::prove_bias(
        g.has_bias.then(|| operands[2]),
        ro,
        g.bias_factor(&claim.point),
        claim.value,
        transcript,
    );

    // X(r_n, ch, x) and U_γ(c, q).
    let xn = MleRef::Base(&operands[0].evals).bind_prefix(rn);
    let (xl, ql) = (1usize << g.log_x, 1usize << g.log_q);
    let cgl = 1usize << g.log_cg;
    let ep = eq_table(rp);
    let mut u = vec![vec![EF::ZERO; cgl * ql]; g.groups];
    for (gi, ug) in u.iter_mut().enumerate() {
        for c in 0..g.cg {
            let xc = &xn[(gi * g.cg + c) * xl..][..xl];
            let uc = &mut ug[c * ql..(c + 1) * ql];
            for &(p, q, x) in &g.win.taps {
                uc[q] += ep[p] * xc[x];
            }
        }
    }

    // Step 1.
    let mut poly = SumOfProducts::new(g.step1_vars());
    if g.grouped() {
        let block = cgl * ql;
        let ol = 1usize << g.log_o;
        let eo = eq_table(ro);
        poly.add_table(
            eo.iter()
                .flat_map(|&e| std::iter::repeat_n(e, block))
                .collect(),
        );
        poly.add_table(MleRef::Base(&operands[1].evals).to_ext());
        let mut ug = vec![EF::ZERO; ol * block];
        for o in 0..g.og * g.groups {
            ug[o * block..(o + 1) * block].copy_from_slice(&u[o / g.og]);
        }
        poly.add_table(ug);
    } else {
        poly.add_table(MleRef::Base(&operands[1].evals).bind_prefix(ro));
        poly.add_table(u.swap_remove(0));
    }
    poly.terms = g.step1_terms();
    let (proof, p1, p2) = conv_phases::prove_steps(
        bias,
        poly,
        t,
        |p1| {
            let (ro2, rc, rq) = g.step1_point(ro, p1);
            let ks = g.spatial_weights(rp, rq);
            if g.grouped() {
                let kc = g.channel_weights(ro2, rc);
                let k = kc
                    .iter()
                    .flat_map(|&a| ks.iter().map(move |&b| a * b))
                    .collect();
                (g.step2_vars(), xn, k)
            } else {
                (g.step2_vars(), MleRef::Ext(&xn).bind_prefix(rc), ks)
            }
        },
        transcript,
    );
    let claims = g.claims(&claim.point, &p1, &p2, &proof);
    Ok((LayerProof::Conv(proof), claims))
}

/// Verifier of a convolution.
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
    let (_, ro, rp) = g.split(&claim.point);
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
        step2_vars: g.step2_vars(),
    };
    let (p1, p2) = conv_phases::verify_steps(
        p,
        t,
        &shapes,
        |p1| {
            let (ro2, _, _) = g.step1_point(ro, p1);
            if g.grouped() {
                vec![eq_eval(ro, ro2)]
            } else {
                Vec::new()
            }
        },
        |p1, p2| {
            let (ro2, rc, rq) = g.step1_point(ro, p1);
            let (rch, rx) = p2.split_at(if g.grouped() { g.log_ch } else { 0 });
            let mut k = g.spatial_weight_eval(rp, rq, rx);
            if g.grouped() {
                let kc = g.channel_weights(ro2, rc);
                k *= lucid_core::mle::eval_mle_ext(&kc, rch);
            }
            k
        },
        transcript,
    )?;
    Ok(g.claims(&claim.point, &p1, &p2, p))
}
