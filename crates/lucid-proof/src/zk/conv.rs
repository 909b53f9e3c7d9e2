//! The convolution's zero-knowledge relation (one group, any strides, zero pads, dilations, an
//! optional bias), shared by the prover and the verifier.
//!
//! Split the claim point on `Y` as `r = (r_n ‖ r_o ‖ r_p)`. The prover sends the bias value
//! `β = bias(r_o)` (a weight evaluation, revealed and settled by the key's weights commitment);
//! the rest of the claim is the convolution proper, reduced by **one** relation of component 4
//! over `z = (c ‖ q ‖ x)` (input channels, kernel taps, input positions):
//!
//! ```text
//! Y'(c0, r) − (1 − c0)·β·S_N(r_n)·S_P(r_p) = (1 − c0)·Σ_z W(r_o, c, q)·X(r_n, c, x)·K_r(q, x) + c0·R_Y(r)
//! K_r(q, x) = Σ_{taps (p, q, x)} eq(r_p, p)                      (public: the window's taps)
//! ```
//!
//! The operands are `[W(r_o, ·) ; W(r_o, ·)]` (a weight is its own mask) repeated over `x`, and
//! the blinded input `[X(r_n, ·) ; R_X(r_n, ·)]` repeated over `q`; `K_r` is public, repeated
//! over `c`. No im2col matrix and no intermediate table is materialized or masked: the
//! relation's degree is 3 (4 with the selector), its size `|C|·|Q|·|X|` padded. It ends in
//! `W(r_o, z*_c, z*_q)` (revealed: a weight), `X'(c*, r_n, z*_c, z*_x)` (blinded, a query to
//! `R_X`), `K_r(z*_q, z*_x)` (the verifier computes it from the taps) and `R_Y(z*_R)` (the
//! committed output mask). Refused: grouped convolutions.
//!
//! A transposed convolution (`QOp::Deconv`, one group) is the same relation: it scatters
//! `Y[n, o, p·s + q·d − pad] += X[n, c, p]·W[c, o, q]`, i.e. the taps `(y, q, p)` of its
//! scatter (`scatter_window`) play the window's `(p, q, x)`, and its weight `[C, O, K…]` is
//! bound at `W(c, r_o, q)` (the output channel is its *second* axis): the operand point is
//! `(z_c ‖ r_o ‖ z_q)`. What it reveals is a convolution's.

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_table, lift};
use lucid_core::sumcheck::ProductTerm;
use lucid_core::sumcheck::zk_relation::{BlindedClaim, RelationShape};
use lucid_model::ir::DeconvSpec;
use lucid_model::quant::{QGraph, QOp};
use p3_field::PrimeCharacteristicRing;

use crate::layers::maps::{Window, window};
use crate::layers::matmul::bind_middle;
use crate::layout::{PaddedShape, prefix_selector};

/// The geometry of a convolution in zero-knowledge mode.
#[derive(Clone, Debug)]
pub struct ConvGeom {
    out: PaddedShape,
    pub has_bias: bool,
    win: Window,
    /// Variables of the output's batch and channel dimensions.
    log_n: usize,
    log_o: usize,
    /// A transposed convolution: the weight is `[C, O, K…]` (else `[O, C, K…]`).
    transposed: bool,
    /// Input channels, kernel positions, input positions.
    log_c: usize,
    log_q: usize,
    log_x: usize,
}

impl ConvGeom {
    /// The geometry of node `id`, or why zero-knowledge mode cannot prove it.
    pub fn new(graph: &QGraph, id: usize) -> Result<Self, String> {
        let node = &graph.nodes[id];
        let (group, transposed) = match &node.op {
            QOp::Conv(spec) => (spec.group, false),
            QOp::Deconv(spec) => (spec.group, true),
            _ => return Err("not a convolution".into()),
        };
        if !(2..=3).contains(&node.inputs.len()) {
            return Err(format!("{} operands", node.inputs.len()));
        }
        let shape = |i: usize| graph.nodes[node.inputs[i]].shape.as_slice();
        let (xs, ws) = (shape(0), shape(1));
        if xs.len() < 3 || ws.len() != xs.len() {
            return Err(format!("conv input {xs:?} and weight {ws:?}"));
        }
        if group != 1 {
            return Err("grouped convolutions are not yet supported in zero-knowledge mode".into());
        }
        let (o, c) = if transposed {
            (ws[1], ws[0])
        } else {
            (ws[0], ws[1])
        };
        if c != xs[1] {
            return Err(format!("conv channels {} vs weight {ws:?}", xs[1]));
        }
        let has_bias = node.inputs.len() == 3;
        if has_bias && shape(2) != [o] {
            return Err(format!("bias {:?} for {o} output channels", shape(2)));
        }
        let win = match &node.op {
            QOp::Deconv(spec) => scatter_window(&xs[2..], &ws[2..], spec)?,
            QOp::Conv(spec) => window(
                &xs[2..],
                &ws[2..],
                &spec.strides,
                &spec.dilations,
                &spec.pads,
            )?,
            _ => return Err("not a convolution".into()),
        };
        let mut want = vec![xs[0], o];
        want.extend_from_slice(&win.out_dims);
        if node.shape != want {
            return Err(format!(
                "output shape {:?}, the convolution gives {want:?}",
                node.shape
            ));
        }
        let (x, w, out) = (
            PaddedShape::new(xs),
            PaddedShape::new(ws),
            PaddedShape::new(&want),
        );
        let rank = xs.len();
        Ok(Self {
            log_n: out.dim_log(0),
            log_o: out.dim_log(1),
            log_c: x.dim_log(1),
            log_q: w.dims_vars(2..rank).len(),
            log_x: x.dims_vars(2..rank).len(),
            out,
            has_bias,
            win,
            transposed,
        })
    }

    /// `m`: the relation's summed variables `(c ‖ q ‖ x)`.
    pub fn sum_vars(&self) -> usize {
        self.log_c + self.log_q + self.log_x
    }

    /// The Libra mask's variables: `max(n_Y, m) + 1`.
    pub fn sumcheck_vars(&self) -> usize {
        self.out.num_vars().max(self.sum_vars()) + 1
    }

    /// `(r_n, r_o, r_p)`.
    pub fn split<'a>(&self, point: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (rn, rest) = point.split_at(self.log_n.min(point.len()));
        let (ro, rp) = rest.split_at(self.log_o.min(rest.len()));
        (rn, ro, rp)
    }

    /// `S_N(r_n)·S_P(r_p)`: the bias's multiplier at the claim point.
    pub fn bias_factor(&self, point: &[EF]) -> EF {
        let (rn, _, rp) = self.split(point);
        let r = self.out.rank();
        prefix_selector(rn, self.out.dims()[0]) * self.out.sub_shape(2..r).selector_eval(rp)
    }

    /// The relation reducing `claim` (the claim on `Y'` minus the bias term).
    pub fn shape(&self, claim: BlindedClaim) -> RelationShape {
        RelationShape {
            claim,
            num_vars: self.sum_vars(),
            num_operands: 2,
            num_public: 1,
            terms: vec![ProductTerm {
                coeff: EF::ONE,
                factors: vec![0, 1, 2],
            }],
        }
    }

    /// `(z_c, z_q, z_x)` of an operand point `z*_F`.
    fn split_z<'a>(&self, z: &'a [EF]) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (zc, rest) = z.split_at(self.log_c.min(z.len()));
        let (zq, zx) = rest.split_at(self.log_q.min(rest.len()));
        (zc, zq, zx)
    }

    /// The operands' points: `W` at `(r_o ‖ z_c ‖ z_q)` (`(z_c ‖ r_o ‖ z_q)` transposed), `X`
    /// at `(r_n ‖ z_c ‖ z_x)`.
    pub fn operand_points(&self, r: &[EF], z: &[EF]) -> [Vec<EF>; 2] {
        let (rn, ro, _) = self.split(r);
        let (zc, zq, zx) = self.split_z(z);
        let w = if self.transposed {
            [zc, ro, zq].concat()
        } else {
            [ro, zc, zq].concat()
        };
        [w, [rn, zc, zx].concat()]
    }

    /// `K_r(z_q, z_x)`, the public table's value at `z*_F` (the verifier's side).
    pub fn public_eval(&self, r: &[EF], z: &[EF]) -> EF {
        let (_, _, rp) = self.split(r);
        let (_, zq, zx) = self.split_z(z);
        let (ep, eq, ex) = (eq_table(rp), eq_table(zq), eq_table(zx));
        self.win
            .taps
            .iter()
            .map(|&(p, q, x)| ep[p] * eq[q] * ex[x])
            .sum()
    }

    /// `K_r` over `(c ‖ q ‖ x)` (repeated over `c`).
    pub fn public_table(&self, r: &[EF]) -> Vec<EF> {
        let (_, _, rp) = self.split(r);
        let ep = eq_table(rp);
        let mut k = vec![EF::ZERO; 1 << (self.log_q + self.log_x)];
        for &(p, q, x) in &self.win.taps {
            k[(q << self.log_x) | x] += ep[p];
        }
        let mut out = Vec::with_capacity(1 << self.sum_vars());
        for _ in 0..1usize << self.log_c {
            out.extend_from_slice(&k);
        }
        out
    }

    /// The weight operand's half `W(r_o, c, q)` (`W(c, r_o, q)` transposed) repeated over `x`,
    /// from the padded weight.
    pub fn weight_operand(&self, w: &[F], r: &[EF]) -> Vec<EF> {
        let (_, ro, _) = self.split(r);
        let bound = if self.transposed {
            bind_middle(w, self.log_c, ro, self.log_q)
        } else {
            bind_middle(w, 0, ro, self.log_c + self.log_q)
        };
        let reps = 1usize << self.log_x;
        bound
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, reps))
            .collect()
    }

    /// One half of the input operand, `X(r_n, c, x)` repeated over `q`, from a padded table
    /// (the input or its mask).
    pub fn input_operand(&self, x: &[F], r: &[EF]) -> Vec<EF> {
        let (rn, _, _) = self.split(r);
        let bound = if rn.is_empty() {
            lift(x)
        } else {
            bind_middle(x, 0, rn, self.log_c + self.log_x)
        };
        let xl = 1usize << self.log_x;
        let mut out = Vec::with_capacity(1 << self.sum_vars());
        for c in bound.chunks(xl) {
            for _ in 0..1usize << self.log_q {
                out.extend_from_slice(c);
            }
        }
        out
    }
}

/// The taps of a transposed convolution (one group) in a convolution window's form: for every
/// input position `p` and kernel position `q` whose scattered output position
/// `y = p·s + q·d − pad` is real, `(y, q, p)` as padded offsets; and the output spatial dims.
fn scatter_window(
    in_dims: &[usize],
    kernel: &[usize],
    spec: &DeconvSpec,
) -> Result<Window, String> {
    let (out_dims, taps) = crate::layers::deconv::scatter(in_dims, kernel, spec)?;
    // The plain prover's taps are `(input, kernel, output)`; a window's are `(output, kernel,
    // input)`.
    let taps = taps.into_iter().map(|(p, q, y)| (y, q, p)).collect();
    Ok(Window { out_dims, taps })
}
