//! Public linear maps in zero-knowledge mode, shared by the prover, the verifier and the mask
//! derivation: index maps with one operand (sum pooling, reductions, layout-changing reshapes,
//! slices, zero pads, nearest upsampling) and the element-wise product with a weight
//! (`Y = X ⊙ C`, e.g. an average pool's `1/count`).
//!
//! Both are `Y = L(X)` with public (or key-bound) coefficients, so a virtual `Y`'s mask is
//! *derived*, `R_Y := L(R_X)` ([`ZkMap::apply`], [`ZkScale::expanded`]), and a claim
//! `Y'(c0, r) = v` reduces through `lucid_core::sumcheck::zk_relation::prove_blinded_map` with
//! the weight `eq(c0, c)·L_r(x)` (index maps; the verifier evaluates `L_r` from the map's
//! entries) or the weights `eq((c0, r), (c, y))` and `[Ĉ ; Ĉ]` (a product with a weight: `Ĉ` is
//! the broadcast weight, whose value at the final point is a revealed weight evaluation).
//!
//! An index map acts on the *middle* dimensions and is the identity on the shared leading and
//! trailing ones — over their whole padded range, so that `L(R_X)` is defined on every mask
//! entry (the tensors' padding is zero, so `L(X)` is still the padded output).

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_eval, eq_table};
use lucid_model::ir::Op;
use lucid_model::quant::{QGraph, QOp};
use p3_field::PrimeCharacteristicRing;

use crate::layers::NodeCtx;
use crate::layers::index_map::IndexMap;
use crate::layers::maps::{MapPlan, plan};
use crate::layout::Broadcast;

/// An index map `Y = L(X)` of one operand, without constants.
#[derive(Clone, Debug)]
pub struct ZkMap {
    entries: Vec<(usize, usize)>,
    pre_vars: usize,
    suf_vars: usize,
    x_mid_vars: usize,
    y_mid_vars: usize,
}

/// Whether zero-knowledge mode proves `op` through an index map (when its plan is not free).
pub fn is_index_map(op: &QOp) -> bool {
    matches!(
        op,
        QOp::SumPool(_)
            | QOp::ReduceSum { .. }
            | QOp::Exact(
                Op::Reshape { .. } | Op::Slice { .. } | Op::Pad { .. } | Op::NearestUpsample { .. }
            )
    )
}

impl ZkMap {
    /// The map of node `id`: `None` when it keeps the padded layout (free), an error when it
    /// has several operands or public constants (not supported in zero-knowledge mode).
    pub fn new(graph: &QGraph, id: usize) -> Result<Option<Self>, String> {
        let node = &graph.nodes[id];
        if !is_index_map(&node.op) || node.inputs.len() != 1 {
            return Err("not an index map of one operand".into());
        }
        let shapes: Vec<&[usize]> = node
            .inputs
            .iter()
            .map(|&i| graph.nodes[i].shape.as_slice())
            .collect();
        let ctx = NodeCtx {
            node,
            shapes: &shapes,
            consts: &[],
        };
        let map = match plan(&ctx).map_err(|e| e.to_string())? {
            MapPlan::Free(_) => return Ok(None),
            MapPlan::Map(m) => m,
        };
        Self::from_index_map(map)
    }

    fn from_index_map(map: IndexMap) -> Result<Option<Self>, String> {
        if !map.consts.is_empty() {
            return Err("a map with constant entries (a non-zero pad) is not yet supported in zero-knowledge mode".into());
        }
        let [input] = map.inputs.as_slice() else {
            return Err("a map of several operands".into());
        };
        let x = &input.shape;
        let (rx, ry) = (x.rank(), map.out.rank());
        if map.pre + map.suf > rx.min(ry) {
            return Err("the map's shared dimensions exceed the ranks".into());
        }
        let pre_vars = x.dims_vars(0..map.pre).len();
        let suf_vars = x.dims_vars(rx - map.suf..rx).len();
        let y_pre = map.out.dims_vars(0..map.pre).len();
        let y_suf = map.out.dims_vars(ry - map.suf..ry).len();
        if (y_pre, y_suf) != (pre_vars, suf_vars) {
            return Err("the map's shared dimensions differ".into());
        }
        Ok(Some(Self {
            entries: input.entries.clone(),
            pre_vars,
            suf_vars,
            x_mid_vars: x.dims_vars(map.pre..rx - map.suf).len(),
            y_mid_vars: map.out.dims_vars(map.pre..ry - map.suf).len(),
        }))
    }

    /// The input's variables.
    pub fn input_vars(&self) -> usize {
        self.pre_vars + self.x_mid_vars + self.suf_vars
    }

    /// The output's variables.
    pub fn output_vars(&self) -> usize {
        self.pre_vars + self.y_mid_vars + self.suf_vars
    }

    fn split<'a>(&self, point: &'a [EF], mid: usize) -> (&'a [EF], &'a [EF], &'a [EF]) {
        let (a, rest) = point.split_at(self.pre_vars.min(point.len()));
        let (b, c) = rest.split_at(mid.min(rest.len()));
        (a, b, c)
    }

    /// `L_r(x)`, the coefficient of `X(x)` in `Y(r)`, over the input's padded layout.
    pub fn weight_table(&self, r: &[EF]) -> Vec<EF> {
        let (rp, rm, rs) = self.split(r, self.y_mid_vars);
        let (ep, em, es) = (eq_table(rp), eq_table(rm), eq_table(rs));
        let mut m = vec![EF::ZERO; 1 << self.x_mid_vars];
        for &(y, x) in &self.entries {
            m[x] += em[y];
        }
        let mut out = Vec::with_capacity(1 << self.input_vars());
        for &a in &ep {
            for &b in &m {
                let ab = a * b;
                out.extend(es.iter().map(|&s| ab * s));
            }
        }
        out
    }

    /// `L_r(x)` at one point `x` of the input (the verifier's side).
    pub fn weight_eval(&self, r: &[EF], x: &[EF]) -> EF {
        let (rp, rm, rs) = self.split(r, self.y_mid_vars);
        let (xp, xm, xs) = self.split(x, self.x_mid_vars);
        let (em, ex) = (eq_table(rm), eq_table(xm));
        let mid: EF = self.entries.iter().map(|&(y, x)| em[y] * ex[x]).sum();
        eq_eval(rp, xp) * mid * eq_eval(rs, xs)
    }

    /// `L(T)` of a padded input table, in the output's padded layout (every padded leading and
    /// trailing index included).
    pub fn apply(&self, table: &[F]) -> Vec<F> {
        let mut out = vec![F::ZERO; 1 << self.output_vars()];
        let s = 1usize << self.suf_vars;
        for p in 0..1usize << self.pre_vars {
            for &(y, x) in &self.entries {
                let dst = ((p << self.y_mid_vars) | y) * s;
                let src = ((p << self.x_mid_vars) | x) * s;
                for k in 0..s {
                    out[dst + k] += table[src + k];
                }
            }
        }
        out
    }
}

/// An element-wise product `Y = X ⊙ C` with a weight `C` broadcast to `X`'s shape.
#[derive(Clone, Debug)]
pub struct ZkScale {
    /// Operand positions of `X` and of the weight.
    pub input: usize,
    pub weight: usize,
    bc: Broadcast,
}

impl ZkScale {
    /// The product of node `id`, if one operand is a constant and the other has the output's
    /// shape.
    pub fn new(graph: &QGraph, id: usize) -> Result<Self, String> {
        let node = &graph.nodes[id];
        if !matches!(node.op, QOp::Mul) || node.inputs.len() != 2 {
            return Err("not a product of two operands".into());
        }
        let is_const = |i: usize| matches!(graph.nodes[node.inputs[i]].op, QOp::Const(_));
        let (input, weight) = match (is_const(0), is_const(1)) {
            (false, true) => (0, 1),
            (true, false) => (1, 0),
            _ => {
                return Err("only products of an activation with a weight are supported in zero-knowledge mode".into());
            }
        };
        if graph.nodes[node.inputs[input]].shape != node.shape {
            return Err("the activation operand must have the output's shape".into());
        }
        let bc = Broadcast::new(&graph.nodes[node.inputs[weight]].shape, &node.shape)
            .map_err(|e| e.to_string())?;
        Ok(Self { input, weight, bc })
    }

    /// `Ĉ`: the weight's padded table broadcast to the output's padded layout (zero padding).
    pub fn expanded(&self, weight: &[F]) -> Vec<F> {
        self.bc
            .source_map()
            .into_iter()
            .map(|s| s.map_or(F::ZERO, |s| weight[s]))
            .collect()
    }

    /// `(p, f)` with `Ĉ(y) = f·C(p)`.
    pub fn project(&self, point: &[EF]) -> Result<(Vec<EF>, EF), String> {
        self.bc.project(point).map_err(|e| e.to_string())
    }
}

/// How zero-knowledge mode proves index-map node `id`: `Ok(None)` when it keeps the padded
/// layout (free: the claim moves unchanged), `Ok(Some(map))` by a map sumcheck, an error when it
/// is not supported.
pub fn map_kind(graph: &QGraph, id: usize) -> Result<Option<ZkMap>, String> {
    let node = &graph.nodes[id];
    if !is_index_map(&node.op) || node.inputs.len() != 1 {
        return Err("not an index map of one operand".into());
    }
    let from = &graph.nodes[node.inputs[0]].shape;
    if matches!(node.op, QOp::Exact(Op::Reshape { .. }))
        && super::plan::reshape_keeps_layout(from, &node.shape)
    {
        return Ok(None);
    }
    ZkMap::new(graph, id)
}

/// The index map of node `id` when zero-knowledge mode reduces it by a map sumcheck.
pub fn node_map(graph: &QGraph, id: usize) -> Option<ZkMap> {
    map_kind(graph, id).ok().flatten()
}
