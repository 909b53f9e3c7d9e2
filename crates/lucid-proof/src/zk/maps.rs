//! Public linear maps in zero-knowledge mode, shared by the prover, the verifier and the mask
//! derivation: index maps (sum pooling, reductions, layout-changing reshapes, slices, zero
//! pads, nearest upsampling, gathers with public indices, concatenations of several operands,
//! pads with a constant border) and the element-wise product with a weight
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
use lucid_core::sumcheck::zk_relation::BlindedClaim;
use lucid_model::ir::Op;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::Tensor;
use p3_field::PrimeCharacteristicRing;

use crate::layers::NodeCtx;
use crate::layers::index_map::IndexMap;
use crate::layers::maps::{MapPlan, plan};
use crate::layout::{Broadcast, PaddedShape};

/// One operand of an index map: its position among the node's inputs and the pairs
/// `(y, x)` of padded middle indices it contributes.
#[derive(Clone, Debug)]
struct MapPart {
    operand: usize,
    entries: Vec<(usize, usize)>,
    x_mid_vars: usize,
}

/// An index map `Y = Σ_k L_k(X_k) + C`: one operand (pooling, reshapes, slices, pads,
/// upsampling, a gather with public indices) or several (a concatenation), and constant
/// entries `C` (a non-zero pad's border). The operands share the output's leading and trailing
/// dimensions.
#[derive(Clone, Debug)]
pub struct ZkMap {
    parts: Vec<MapPart>,
    pre_vars: usize,
    suf_vars: usize,
    y_mid_vars: usize,
    /// Constant entries `(y, c)` of the middle part (a non-zero pad's border), repeated over
    /// the real leading and trailing entries: `Y = Σ_k L_k(X_k) + C`.
    consts: Vec<(usize, F)>,
    /// The output's shape and its shared leading / trailing dimensions (for `C`'s selectors).
    out: PaddedShape,
    pre: usize,
    suf: usize,
}

/// Whether zero-knowledge mode proves `op` through an index map (when its plan is not free).
pub fn is_index_map(op: &QOp) -> bool {
    matches!(
        op,
        QOp::SumPool(_)
            | QOp::ReduceSum { .. }
            | QOp::Exact(
                Op::Reshape { .. }
                    | Op::Slice { .. }
                    | Op::Pad { .. }
                    | Op::NearestUpsample { .. }
                    | Op::Concat { .. }
                    | Op::Gather { .. }
                    | Op::GatherElements { .. }
            )
    )
}

impl ZkMap {
    /// The map of node `id`: `None` when it keeps the padded layout (free), an error when it
    /// is not an index map.
    /// Constant operands are passed to the map's plan as public indices (a gather's); they
    /// receive no claim.
    pub fn new(graph: &QGraph, id: usize) -> Result<Option<Self>, String> {
        let node = &graph.nodes[id];
        if !is_index_map(&node.op) || node.inputs.is_empty() {
            return Err("not an index map".into());
        }
        let shapes: Vec<&[usize]> = node
            .inputs
            .iter()
            .map(|&i| graph.nodes[i].shape.as_slice())
            .collect();
        let consts: Vec<Option<&Tensor<i64>>> = node
            .inputs
            .iter()
            .map(|&i| match &graph.nodes[i].op {
                QOp::Const(c) => Some(c),
                _ => None,
            })
            .collect();
        let ctx = NodeCtx {
            node,
            shapes: &shapes,
            consts: &consts,
        };
        let map = match plan(&ctx).map_err(|e| e.to_string())? {
            MapPlan::Free(_) => return Ok(None),
            MapPlan::Map(m) => m,
        };
        Self::from_index_map(map)
    }

    fn from_index_map(map: IndexMap) -> Result<Option<Self>, String> {
        let ry = map.out.rank();
        let y_pre = map.out.dims_vars(0..map.pre).len();
        let y_suf = map.out.dims_vars(ry - map.suf..ry).len();
        let mut parts = Vec::with_capacity(map.inputs.len());
        for input in &map.inputs {
            let x = &input.shape;
            let rx = x.rank();
            if map.pre + map.suf > rx.min(ry) {
                return Err("the map's shared dimensions exceed the ranks".into());
            }
            let pre_vars = x.dims_vars(0..map.pre).len();
            let suf_vars = x.dims_vars(rx - map.suf..rx).len();
            if (y_pre, y_suf) != (pre_vars, suf_vars) {
                return Err("the map's shared dimensions differ".into());
            }
            parts.push(MapPart {
                operand: input.operand,
                entries: input.entries.clone(),
                x_mid_vars: x.dims_vars(map.pre..rx - map.suf).len(),
            });
        }
        if parts.is_empty() {
            return Err("a map without operands".into());
        }
        Ok(Some(Self {
            parts,
            pre_vars: y_pre,
            suf_vars: y_suf,
            y_mid_vars: map.out.dims_vars(map.pre..ry - map.suf).len(),
            consts: map.consts,
            out: map.out,
            pre: map.pre,
            suf: map.suf,
        }))
    }

    /// The number of operands the map reads (`> 1` for a concatenation).
    pub fn num_parts(&self) -> usize {
        self.parts.len()
    }

    /// The position among the node's inputs of the map's operand `k`.
    pub fn operand(&self, k: usize) -> usize {
        self.parts[k].operand
    }

    /// Operand `k`'s variables.
    pub fn input_vars(&self, k: usize) -> usize {
        self.pre_vars + self.parts[k].x_mid_vars + self.suf_vars
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

    /// `L_{k,r}(x)`, the coefficient of `X_k(x)` in `Y(r)`, over operand `k`'s padded layout.
    pub fn weight_table(&self, k: usize, r: &[EF]) -> Vec<EF> {
        let part = &self.parts[k];
        let (rp, rm, rs) = self.split(r, self.y_mid_vars);
        let (ep, em, es) = (eq_table(rp), eq_table(rm), eq_table(rs));
        let mut m = vec![EF::ZERO; 1 << part.x_mid_vars];
        for &(y, x) in &part.entries {
            m[x] += em[y];
        }
        let mut out = Vec::with_capacity(1 << self.input_vars(k));
        for &a in &ep {
            for &b in &m {
                let ab = a * b;
                out.extend(es.iter().map(|&s| ab * s));
            }
        }
        out
    }

    /// `L_{k,r}(x)` at one point `x` of operand `k` (the verifier's side).
    pub fn weight_eval(&self, k: usize, r: &[EF], x: &[EF]) -> EF {
        let part = &self.parts[k];
        let (rp, rm, rs) = self.split(r, self.y_mid_vars);
        let (xp, xm, xs) = self.split(x, part.x_mid_vars);
        let (em, ex) = (eq_table(rm), eq_table(xm));
        let mid: EF = part.entries.iter().map(|&(y, x)| em[y] * ex[x]).sum();
        eq_eval(rp, xp) * mid * eq_eval(rs, xs)
    }

    /// `C(r)`, the constant entries' part of `Y(r)` (zero without constants). A map's derived
    /// mask leaves the constant out (`R_Y := Σ_k L_k(R_{X_k})`), so `C` lives in the `c = 0`
    /// half only: `Y'(c0, r) = Σ_k L_k(X_k')(c0, r) + (1 − c0)·C(r)`.
    pub fn constant_eval(&self, r: &[EF]) -> EF {
        if self.consts.is_empty() {
            return EF::ZERO;
        }
        let (rp, rm, rs) = self.split(r, self.y_mid_vars);
        let rank = self.out.rank();
        let sel = self.out.sub_shape(0..self.pre).selector_eval(rp)
            * self.out.sub_shape(rank - self.suf..rank).selector_eval(rs);
        let em = eq_table(rm);
        sel * self.consts.iter().map(|&(y, c)| em[y] * c).sum::<EF>()
    }

    /// The claim `Σ_k L_k(X_k')(c0, r) = v − (1 − c0)·C(r)` the map's sumchecks prove, for the
    /// claim `Y'(c0, r) = v`.
    pub fn without_constant(&self, claim: &BlindedClaim) -> BlindedClaim {
        let c = (EF::ONE - claim.c) * self.constant_eval(&claim.point);
        BlindedClaim::new(claim.c, claim.point.clone(), claim.value - c)
    }

    /// `Σ_k L_k(T_k)` of the operands' padded tables (`tables[k]` for operand `k`), in the
    /// output's padded layout (every padded leading and trailing index included).
    pub fn apply(&self, tables: &[&[F]]) -> Vec<F> {
        let mut out = vec![F::ZERO; 1 << self.output_vars()];
        let s = 1usize << self.suf_vars;
        for (part, table) in self.parts.iter().zip(tables) {
            for p in 0..1usize << self.pre_vars {
                for &(y, x) in &part.entries {
                    let dst = ((p << self.y_mid_vars) | y) * s;
                    let src = ((p << part.x_mid_vars) | x) * s;
                    for k in 0..s {
                        out[dst + k] += table[src + k];
                    }
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
    if !is_index_map(&node.op) || node.inputs.is_empty() {
        return Err("not an index map".into());
    }
    let from = &graph.nodes[node.inputs[0]].shape;
    if matches!(node.op, QOp::Exact(Op::Reshape { .. }))
        && super::plan::reshape_keeps_layout(from, &node.shape)
    {
        return Ok(None);
    }
    ZkMap::new(graph, id)
}

/// The inputs (node ids) of node `id` that its zero-knowledge reduction leaves claims on: an
/// index map's operands (not a gather's public indices), every input otherwise.
pub fn claimed_inputs(graph: &QGraph, id: usize) -> Vec<usize> {
    let node = &graph.nodes[id];
    match node_map(graph, id) {
        Some(m) => (0..m.num_parts())
            .map(|k| node.inputs[m.operand(k)])
            .collect(),
        None if is_index_map(&node.op) && !node.inputs.is_empty() => vec![node.inputs[0]],
        None => node.inputs.clone(),
    }
}

/// The index map of node `id` when zero-knowledge mode reduces it by a map sumcheck.
pub fn node_map(graph: &QGraph, id: usize) -> Option<ZkMap> {
    map_kind(graph, id).ok().flatten()
}
