//! Rewrites exact operators the prover has no protocol for into compositions of provable
//! primitives (linear layers, data movement and the `Relu`/`Abs`/`Sign` function lookups) with
//! exactly the same integer results on every input.
//!
//! - `max(a, b) = b + relu(a − b)`, `min(a, b) = a − relu(a − b)` (two tensors, broadcast).
//! - Max pooling: a constant pad at the input's proven minimum (padding never wins), one strided
//!   slice per window tap, then a pairwise max tree.
//! - `ReduceMax`/`ReduceMin`: per reduced axis, repeatedly the max of the first and the last
//!   `⌈n/2⌉` elements (overlapping when `n` is odd, which max tolerates), then a reshape when
//!   the axes are dropped.
//! - Comparisons through `e = sign(a − b)`: `a > b = relu(e)`, `a ≤ b = 1 − relu(e)`,
//!   `a ≠ b = |e|`, `a = b = 1 − |e|` (and `<`, `≥` with the operands swapped).
//! - Logic on 0/1: `¬x = 1 − x`, `a ∧ b = a·b`, `a ∨ b = a + b − ab`, `a ⊕ b = a + b − 2ab`;
//!   selection `where(c, a, b) = b + c·(a − b)`; negation `−x = 0 − x`.
//!
//! Every new node gets its exact value range (function tables are sized from it). An operator
//! whose lookups would need a table larger than `2^MAX_TABLE_BITS` entries, or whose operands
//! disagree in scale, is left unchanged.

use crate::ir::{BinaryOp, CmpOp, LogicOp, Op, PadMode, PoolSpec, ReduceKind, UnaryFn};
use crate::quant::graph::{QGraph, QKind, QNode, QOp, QuantError};
use crate::quant::interval::Interval;
use crate::tensor::Tensor;

/// Largest function table (log2 of its entries) the prover accepts for `Relu`/`Abs`/`Sign`.
pub const MAX_TABLE_BITS: u32 = 18;

/// Rewrites every exact max/min, max-pool, max/min reduction, comparison, boolean operator,
/// selection and negation of `q` into provable primitives (see the module documentation).
/// Values, outputs and `ir_map` are preserved exactly; operators that cannot be rewritten
/// exactly are kept as they are.
pub fn rewrite(q: &QGraph) -> Result<QGraph, QuantError> {
    let mut rw = Rewriter {
        nodes: Vec::with_capacity(q.nodes.len()),
        map: Vec::with_capacity(q.nodes.len()),
        name: String::new(),
        source: 0,
        step: 0,
    };
    for node in &q.nodes {
        rw.name = node.name.clone();
        rw.source = node.source;
        rw.step = 0;
        let ins: Vec<usize> = node.inputs.iter().map(|&i| rw.map[i]).collect();
        let id = match rw.rewrite_node(node, &ins)? {
            Some(id) => {
                rw.nodes[id].name = node.name.clone();
                id
            }
            None => {
                let mut n = node.clone();
                n.inputs = ins;
                rw.nodes.push(n);
                rw.nodes.len() - 1
            }
        };
        rw.map.push(id);
    }
    let mut out = q.clone();
    out.nodes = rw.nodes;
    for input in &mut out.inputs {
        input.node = rw.map[input.node];
    }
    for o in &mut out.outputs {
        o.node = rw.map[o.node];
    }
    for m in out.ir_map.iter_mut().flatten() {
        *m = rw.map[*m];
    }
    Ok(out)
}

/// Whether a lookup over `r` fits a table of at most `2^MAX_TABLE_BITS` entries.
fn table_fits(r: Interval) -> bool {
    r.hi - r.lo < 1i128 << MAX_TABLE_BITS
}

/// Numpy broadcast of two shapes (`None` if incompatible).
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| {
        if i + s.len() < r {
            1
        } else {
            s[i + s.len() - r]
        }
    };
    (0..r)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

fn signum(r: Interval) -> Interval {
    Interval::new(r.lo.signum(), r.hi.signum())
}

fn relu(r: Interval) -> Interval {
    r.max(Interval::point(0))
}

fn abs(r: Interval) -> Interval {
    if r.lo >= 0 {
        r
    } else if r.hi <= 0 {
        r.negate()
    } else {
        Interval::new(0, r.max_abs())
    }
}

struct Rewriter {
    nodes: Vec<QNode>,
    /// Original node index → new node holding its value.
    map: Vec<usize>,
    /// Name of the node being rewritten.
    name: String,
    source: usize,
    step: usize,
}

impl Rewriter {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        step: &str,
        op: QOp,
        inputs: Vec<usize>,
        shape: Vec<usize>,
        kind: QKind,
        scale: i32,
        range: Interval,
    ) -> usize {
        self.step += 1;
        self.nodes.push(QNode {
            name: format!("{}/{step}{}", self.name, self.step),
            source: self.source,
            op,
            inputs,
            shape,
            kind,
            scale,
            range,
        });
        self.nodes.len() - 1
    }

    fn n(&self, id: usize) -> &QNode {
        &self.nodes[id]
    }

    /// A constant `v` broadcastable against a tensor of rank `rank`.
    fn constant(&mut self, v: i64, rank: usize, scale: i32) -> Result<usize, QuantError> {
        let t = Tensor::new(vec![1; rank], vec![v]).map_err(|e| QuantError::Internal {
            node: self.name.clone(),
            reason: e.to_string(),
        })?;
        let kind = if scale == 0 { QKind::Int } else { QKind::Fixed };
        Ok(self.push(
            "const",
            QOp::Const(t),
            vec![],
            vec![1; rank],
            kind,
            scale,
            Interval::point(v as i128),
        ))
    }

    /// `a − b` (broadcast), at `a`'s kind and scale.
    fn sub(&mut self, a: usize, b: usize, kind: QKind, shifts: [u32; 2]) -> Option<usize> {
        let shape = broadcast(&self.n(a).shape, &self.n(b).shape)?;
        let (ra, rb) = (self.n(a).range, self.n(b).range);
        let rb = rb.scale(1i128 << shifts[1]);
        let ra = ra.scale(1i128 << shifts[0]);
        let scale = self.n(a).scale.max(self.n(b).scale);
        Some(self.push(
            "diff",
            QOp::Sub { shifts },
            vec![a, b],
            shape,
            kind,
            scale,
            ra.minus(rb),
        ))
    }

    /// `a + b` (broadcast) with the given result range.
    fn add(&mut self, a: usize, b: usize, kind: QKind, range: Interval) -> Option<usize> {
        let shape = broadcast(&self.n(a).shape, &self.n(b).shape)?;
        let scale = self.n(a).scale.max(self.n(b).scale);
        Some(self.push(
            "add",
            QOp::Add { shifts: [0, 0] },
            vec![a, b],
            shape,
            kind,
            scale,
            range,
        ))
    }

    fn mul(&mut self, a: usize, b: usize, kind: QKind) -> Option<usize> {
        let shape = broadcast(&self.n(a).shape, &self.n(b).shape)?;
        let scale = self.n(a).scale + self.n(b).scale;
        let range = self.n(a).range.times(self.n(b).range);
        Some(self.push("mul", QOp::Mul, vec![a, b], shape, kind, scale, range))
    }

    fn unary(&mut self, f: UnaryFn, x: usize, kind: QKind, scale: i32) -> usize {
        let r = self.n(x).range;
        let (step, range) = match f {
            UnaryFn::Relu => ("relu", relu(r)),
            UnaryFn::Abs => ("abs", abs(r)),
            _ => ("sign", signum(r)),
        };
        let shape = self.n(x).shape.clone();
        self.push(
            step,
            QOp::Exact(Op::Unary(f)),
            vec![x],
            shape,
            kind,
            scale,
            range,
        )
    }

    /// `max(a, b)` (or `min`) as `b + relu(a − b)` (`a − relu(a − b)`), if the lookup fits.
    fn max2(&mut self, a: usize, b: usize, is_max: bool) -> Option<usize> {
        let (na, nb) = (self.n(a), self.n(b));
        if na.scale != nb.scale || !table_fits(na.range.minus(nb.range)) {
            return None;
        }
        let (kind, scale) = (na.kind, na.scale);
        let (ra, rb) = (na.range, nb.range);
        let d = self.sub(a, b, kind, [0, 0])?;
        let r = self.unary(UnaryFn::Relu, d, kind, scale);
        if is_max {
            self.add(b, r, kind, ra.max(rb))
        } else {
            let id = self.sub(a, r, kind, [0, 0])?;
            self.nodes[id].range = ra.min(rb);
            Some(id)
        }
    }

    fn slice(&mut self, x: usize, axis: usize, start: usize, count: usize, step: usize) -> usize {
        let xn = self.n(x);
        if start == 0 && step == 1 && count == xn.shape[axis] {
            return x;
        }
        let mut shape = xn.shape.clone();
        shape[axis] = count;
        let (kind, scale, range) = (xn.kind, xn.scale, xn.range);
        let end = start + (count - 1) * step + 1;
        self.push(
            "slice",
            QOp::Exact(Op::Slice {
                axis,
                start: start as i64,
                end: end as i64,
                step: step as i64,
            }),
            vec![x],
            shape,
            kind,
            scale,
            range,
        )
    }

    /// Pairwise max/min tree over same-shaped tensors.
    fn tree(&mut self, mut xs: Vec<usize>, is_max: bool) -> Option<usize> {
        while xs.len() > 1 {
            let mut next = Vec::with_capacity(xs.len().div_ceil(2));
            for pair in xs.chunks(2) {
                next.push(match pair {
                    [a, b] => self.max2(*a, *b, is_max)?,
                    [a] => *a,
                    _ => unreachable!("chunks of two"),
                });
            }
            xs = next;
        }
        xs.first().copied()
    }

    fn max_pool(&mut self, x: usize, spec: &PoolSpec, out_shape: &[usize]) -> Option<usize> {
        let xn = self.n(x);
        let k = spec.kernel.len();
        if xn.shape.len() != k + 2
            || out_shape.len() != k + 2
            || spec.strides.len() != k
            || spec.dilations.len() != k
            || spec.pads.len() != k
            || !table_fits(xn.range.minus(xn.range))
        {
            return None;
        }
        let lo = xn.range.lo;
        let mut src = x;
        if spec.pads.iter().any(|&p| p != (0, 0)) {
            // Padding at the proven minimum never changes a window's maximum (every window
            // holds a real element).
            if lo.abs() > 1 << 24 {
                return None;
            }
            let mut pads = vec![(0, 0); 2];
            pads.extend(spec.pads.iter().copied());
            let shape: Vec<usize> = xn
                .shape
                .iter()
                .zip(&pads)
                .map(|(d, (b, e))| d + b + e)
                .collect();
            let (kind, scale, range) = (xn.kind, xn.scale, xn.range);
            src = self.push(
                "pad",
                QOp::Exact(Op::Pad {
                    pads,
                    mode: PadMode::Constant,
                    value: lo as f32,
                }),
                vec![x],
                shape,
                kind,
                scale,
                range,
            );
        }
        let mut taps = vec![src];
        for ax in 0..k {
            let o = out_shape[ax + 2];
            let mut next = Vec::new();
            for &t in &taps {
                for q in 0..spec.kernel[ax] {
                    next.push(self.slice(t, ax + 2, q * spec.dilations[ax], o, spec.strides[ax]));
                }
            }
            taps = next;
        }
        self.tree(taps, true)
    }

    fn reduce(
        &mut self,
        x: usize,
        axes: &[usize],
        is_max: bool,
        out_shape: &[usize],
    ) -> Option<usize> {
        let xn = self.n(x);
        if axes.iter().any(|&a| a >= xn.shape.len()) || !table_fits(xn.range.minus(xn.range)) {
            return None;
        }
        let mut cur = x;
        for &axis in axes {
            let mut n = self.n(cur).shape[axis];
            if n == 0 {
                return None;
            }
            while n > 1 {
                let h = n.div_ceil(2);
                let a = self.slice(cur, axis, 0, h, 1);
                let b = self.slice(cur, axis, n - h, h, 1);
                cur = self.max2(a, b, is_max)?;
                n = h;
            }
        }
        if self.n(cur).shape != out_shape {
            let (kind, scale, range) = (self.n(cur).kind, self.n(cur).scale, self.n(cur).range);
            cur = self.push(
                "reshape",
                QOp::Exact(Op::Reshape {
                    shape: out_shape.to_vec(),
                }),
                vec![cur],
                out_shape.to_vec(),
                kind,
                scale,
                range,
            );
        }
        Some(cur)
    }

    /// A comparison of `a` and `b` as 0/1 of kind `kind`.
    fn compare(&mut self, c: CmpOp, a: usize, b: usize, kind: QKind) -> Option<usize> {
        let (na, nb) = (self.n(a), self.n(b));
        if na.scale != nb.scale || !table_fits(na.range.minus(nb.range)) {
            return None;
        }
        // (left, right, function, negate): result = [1 −] f(sign(left − right)).
        let (l, r, f, negate) = match c {
            CmpOp::Gt => (a, b, UnaryFn::Relu, false),
            CmpOp::Lt => (b, a, UnaryFn::Relu, false),
            CmpOp::Le => (a, b, UnaryFn::Relu, true),
            CmpOp::Ge => (b, a, UnaryFn::Relu, true),
            CmpOp::Ne => (a, b, UnaryFn::Abs, false),
            CmpOp::Eq => (a, b, UnaryFn::Abs, true),
        };
        let dkind = match self.n(l).kind {
            QKind::Bool => QKind::Int,
            k => k,
        };
        let d = self.sub(l, r, dkind, [0, 0])?;
        let e = self.unary(UnaryFn::Sign, d, QKind::Int, 0);
        if negate {
            let v = self.unary(f, e, QKind::Int, 0);
            self.not(v, kind)
        } else {
            Some(self.unary(f, e, kind, 0))
        }
    }

    /// `1 − x`.
    fn not(&mut self, x: usize, kind: QKind) -> Option<usize> {
        let rank = self.n(x).shape.len();
        let one = self.constant(1, rank, 0).ok()?;
        let id = self.sub(one, x, kind, [0, 0])?;
        Some(id)
    }

    fn logic(&mut self, op: LogicOp, a: usize, b: usize, kind: QKind) -> Option<usize> {
        if self.n(a).scale != 0 || self.n(b).scale != 0 {
            return None;
        }
        let p = self.mul(a, b, kind)?;
        if op == LogicOp::And {
            return Some(p);
        }
        let s = self.add(a, b, QKind::Int, Interval::new(0, 2))?;
        let shift = if op == LogicOp::Xor { 1 } else { 0 };
        let id = self.sub(s, p, kind, [0, shift])?;
        self.nodes[id].range = Interval::new(0, 1);
        Some(id)
    }

    fn select(&mut self, c: usize, a: usize, b: usize, node: &QNode) -> Option<usize> {
        let (na, nb) = (self.n(a), self.n(b));
        if na.scale != nb.scale || na.scale != node.scale || self.n(c).scale != 0 {
            return None;
        }
        let kind = node.kind;
        let d = self.sub(a, b, kind, [0, 0])?;
        let m = self.mul(c, d, kind)?;
        let id = self.add(b, m, kind, node.range)?;
        (self.n(id).shape == node.shape).then_some(id)
    }

    /// The new node holding `node`'s value, or `None` to keep the node unchanged. On `None`
    /// any nodes pushed by a failed attempt are discarded.
    fn rewrite_node(&mut self, node: &QNode, ins: &[usize]) -> Result<Option<usize>, QuantError> {
        let mark = self.nodes.len();
        let QOp::Exact(op) = &node.op else {
            return Ok(None);
        };
        let scalar = |rw: &Self, i: usize| {
            matches!(&rw.n(ins[i]).op, QOp::Const(t) if t.data().len() == 1)
                && rw.n(ins[1 - i]).shape == node.shape
        };
        let id = match op {
            Op::Binary(b @ (BinaryOp::Max | BinaryOp::Min)) if ins.len() == 2 => {
                if scalar(self, 0) || scalar(self, 1) {
                    None
                } else {
                    self.max2(ins[0], ins[1], *b == BinaryOp::Max)
                }
            }
            Op::MaxPool(spec) if ins.len() == 1 => self.max_pool(ins[0], spec, &node.shape),
            Op::Reduce {
                kind: k @ (ReduceKind::Max | ReduceKind::Min),
                axes,
                ..
            } if ins.len() == 1 => self.reduce(ins[0], axes, *k == ReduceKind::Max, &node.shape),
            Op::Compare(c) if ins.len() == 2 => self.compare(*c, ins[0], ins[1], node.kind),
            Op::Not if ins.len() == 1 && self.n(ins[0]).scale == 0 => self.not(ins[0], node.kind),
            Op::Logic(l) if ins.len() == 2 => self.logic(*l, ins[0], ins[1], node.kind),
            Op::Where if ins.len() == 3 => self.select(ins[0], ins[1], ins[2], node),
            Op::Unary(UnaryFn::Neg) if ins.len() == 1 => {
                let x = ins[0];
                let scale = self.n(x).scale;
                let rank = self.n(x).shape.len();
                let zero = self.constant(0, rank, scale)?;
                self.sub(zero, x, node.kind, [0, 0])
            }
            _ => None,
        };
        match id {
            Some(id)
                if id >= mark
                    && self.n(id).shape == node.shape
                    && self.n(id).scale == node.scale
                    && self.n(id).range.within(node.range.lo, node.range.hi) =>
            {
                let n = &mut self.nodes[id];
                n.kind = node.kind;
                Ok(Some(id))
            }
            _ => {
                self.nodes.truncate(mark);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int_eval;
    use crate::ir::{DType, Graph, NodeId};
    use crate::quant::{QuantConfig, quantize_with_inputs};
    use crate::tensor::Value;

    fn rand_vec(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
            })
            .collect()
    }

    fn value(shape: &[usize], data: Vec<f32>) -> Value {
        Tensor::new(shape.to_vec(), data).expect("shape").into()
    }

    fn push(g: &mut Graph, name: &str, op: Op, inputs: Vec<NodeId>) -> NodeId {
        g.push(name, op, inputs).expect("valid node")
    }

    /// Inputs for every graph input: random, extreme (clamped), zero, and all inputs equal.
    fn test_inputs(shapes: &[Vec<usize>]) -> Vec<Vec<Value>> {
        let mut sets = Vec::new();
        for seed in 1..4u64 {
            sets.push(
                shapes
                    .iter()
                    .enumerate()
                    .map(|(k, s)| {
                        let n = s.iter().product();
                        value(s, rand_vec(n, seed * 7 + k as u64, 1.0))
                    })
                    .collect(),
            );
        }
        for fill in [1e6f32, -1e6, 0.0] {
            sets.push(
                shapes
                    .iter()
                    .map(|s| value(s, vec![fill; s.iter().product()]))
                    .collect(),
            );
        }
        // Extremes alternating in sign, identical across inputs of the same size.
        sets.push(
            shapes
                .iter()
                .map(|s| {
                    let n: usize = s.iter().product();
                    value(
                        s,
                        (0..n)
                            .map(|i| if i % 3 == 0 { 1e6 } else { -1e6 })
                            .collect(),
                    )
                })
                .collect(),
        );
        sets.push(
            shapes
                .iter()
                .map(|s| {
                    let n: usize = s.iter().product();
                    value(s, rand_vec(n, 99, 1.0))
                })
                .collect(),
        );
        sets
    }

    /// Quantizes `g`, rewrites it, checks no operator in `gone` survives, and compares every
    /// IR node's value on several inputs.
    fn check(g: &Graph, shapes: &[Vec<usize>], gone: &[&str]) {
        let calib: Vec<Vec<Value>> = (0..4u64)
            .map(|seed| {
                shapes
                    .iter()
                    .enumerate()
                    .map(|(k, s)| {
                        value(
                            s,
                            rand_vec(s.iter().product(), 100 + seed * 5 + k as u64, 1.0),
                        )
                    })
                    .collect()
            })
            .collect();
        let cfg = QuantConfig {
            act_bits: 12,
            ..QuantConfig::default()
        };
        let q = quantize_with_inputs(g, &calib, &cfg).expect("quantizable");
        let r = rewrite(&q).expect("rewrite");
        r.validate().expect("valid rewritten graph");
        for n in &r.nodes {
            assert!(
                !gone.contains(&n.op.name()),
                "{} ({}) survived the rewrite",
                n.name,
                n.op.name()
            );
        }
        assert_eq!(r.ir_map.len(), q.ir_map.len());
        for inputs in test_inputs(shapes) {
            let a = int_eval::run(&q, &inputs).expect("original run");
            let b = int_eval::run(&r, &inputs).expect("rewritten run");
            assert_eq!(a.outputs, b.outputs);
            for (i, (m, n)) in q.ir_map.iter().zip(&r.ir_map).enumerate() {
                if let (Some(m), Some(n)) = (m, n) {
                    assert_eq!(a.tensors[*m], b.tensors[*n], "IR node {i}");
                    assert_eq!(q.nodes[*m].kind, r.nodes[*n].kind);
                    assert_eq!(q.nodes[*m].scale, r.nodes[*n].scale);
                }
            }
        }
    }

    #[test]
    fn max_pool_with_padding_and_strides() {
        let mut g = Graph::new();
        let x = g.add_input("x", vec![1, 2, 5, 6], DType::F32);
        let p = push(
            &mut g,
            "pool",
            Op::MaxPool(PoolSpec {
                kernel: vec![3, 2],
                strides: vec![2, 1],
                pads: vec![(1, 1), (0, 1)],
                dilations: vec![1, 2],
            }),
            vec![x],
        );
        let p2 = push(
            &mut g,
            "pool2",
            Op::MaxPool(PoolSpec {
                kernel: vec![2, 2],
                strides: vec![2, 2],
                pads: vec![(0, 0), (0, 0)],
                dilations: vec![1, 1],
            }),
            vec![x],
        );
        g.add_output(p, "y").expect("output");
        g.add_output(p2, "z").expect("output");
        check(&g, &[vec![1, 2, 5, 6]], &["MaxPool"]);
    }

    #[test]
    fn reduce_max_and_min() {
        let mut g = Graph::new();
        let x = g.add_input("x", vec![2, 3, 5], DType::F32);
        let reduce = |kind, axes: Vec<usize>, keepdims| Op::Reduce {
            kind,
            axes,
            keepdims,
        };
        let a = push(
            &mut g,
            "rmax",
            reduce(ReduceKind::Max, vec![1], false),
            vec![x],
        );
        let b = push(
            &mut g,
            "rmin",
            reduce(ReduceKind::Min, vec![2], true),
            vec![x],
        );
        let c = push(
            &mut g,
            "rall",
            reduce(ReduceKind::Max, vec![0, 2], false),
            vec![x],
        );
        for (n, name) in [(a, "a"), (b, "b"), (c, "c")] {
            g.add_output(n, name).expect("output");
        }
        check(&g, &[vec![2, 3, 5]], &["ReduceMax", "ReduceMin"]);
    }

    #[test]
    fn binary_max_min_and_negation() {
        let mut g = Graph::new();
        let x = g.add_input("x", vec![2, 3], DType::F32);
        let y = g.add_input("y", vec![3], DType::F32);
        let m = push(&mut g, "max", Op::Binary(BinaryOp::Max), vec![x, y]);
        let n = push(&mut g, "min", Op::Binary(BinaryOp::Min), vec![y, x]);
        let neg = push(&mut g, "neg", Op::Unary(UnaryFn::Neg), vec![m]);
        g.add_output(neg, "neg").expect("output");
        g.add_output(n, "min").expect("output");
        check(&g, &[vec![2, 3], vec![3]], &["Max", "Min", "Neg"]);
    }

    #[test]
    fn comparisons_logic_and_where() {
        let mut g = Graph::new();
        let x = g.add_input("x", vec![2, 4], DType::F32);
        let y = g.add_input("y", vec![2, 4], DType::F32);
        let cmps = [
            CmpOp::Lt,
            CmpOp::Gt,
            CmpOp::Le,
            CmpOp::Ge,
            CmpOp::Eq,
            CmpOp::Ne,
        ];
        let mut bools = Vec::new();
        for (k, c) in cmps.iter().enumerate() {
            let b = push(&mut g, &format!("cmp{k}"), Op::Compare(*c), vec![x, y]);
            g.add_output(b, format!("cmp{k}")).expect("output");
            bools.push(b);
        }
        let not = push(&mut g, "not", Op::Not, vec![bools[0]]);
        let and = push(&mut g, "and", Op::Logic(LogicOp::And), vec![not, bools[4]]);
        let or = push(
            &mut g,
            "or",
            Op::Logic(LogicOp::Or),
            vec![bools[1], bools[4]],
        );
        let xor = push(
            &mut g,
            "xor",
            Op::Logic(LogicOp::Xor),
            vec![bools[2], bools[3]],
        );
        let sel = push(&mut g, "where", Op::Where, vec![or, x, y]);
        for (n, name) in [
            (not, "not"),
            (and, "and"),
            (or, "or"),
            (xor, "xor"),
            (sel, "sel"),
        ] {
            g.add_output(n, name).expect("output");
        }
        check(
            &g,
            &[vec![2, 4], vec![2, 4]],
            &[
                "Lt", "Gt", "Le", "Ge", "Eq", "Ne", "Not", "And", "Or", "Xor", "Where",
            ],
        );
    }

    #[test]
    fn too_wide_ranges_are_left_unchanged() {
        let mut g = Graph::new();
        let x = g.add_input("x", vec![2, 3], DType::F32);
        let y = g.add_input("y", vec![2, 3], DType::F32);
        let m = push(&mut g, "max", Op::Binary(BinaryOp::Max), vec![x, y]);
        g.add_output(m, "max").expect("output");
        let calib = vec![vec![
            value(&[2, 3], rand_vec(6, 1, 1.0)),
            value(&[2, 3], rand_vec(6, 2, 1.0)),
        ]];
        let cfg = QuantConfig {
            act_bits: 20,
            ..QuantConfig::default()
        };
        let q = quantize_with_inputs(&g, &calib, &cfg).expect("quantizable");
        let r = rewrite(&q).expect("rewrite");
        assert_eq!(
            q, r,
            "a difference of 21-bit values needs a table beyond 2^18"
        );
    }
}
