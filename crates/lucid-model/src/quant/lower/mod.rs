//! Lowering of the f32 IR graph into the quantized graph, with calibration and interval analysis.
//!
//! Walks the IR in topological order. Each IR node becomes one or more [`QNode`]s (a linear
//! operator, its requantization, tables, …); constants are quantized where they are used, at the
//! scale their consumer needs. Every pushed node gets its proven range at once (see
//! [`range`](self::range)), and a range outside the field's signed range aborts with an error naming
//! the IR node.

mod norm;
mod ops;
mod range;

use std::collections::HashMap;

use crate::ir::{Graph, Op};
use crate::quant::fixed::{quantize, scale_for_range, signed_range};
use crate::quant::graph::{QGraph, QInput, QKind, QNode, QOp, QOutput, QuantConfig, QuantError};
use crate::quant::interval::Interval;
use crate::quant::table::Table;
use crate::tensor::{Tensor, Value};

/// Statistics of one float tensor over all calibration runs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TensorStats {
    /// Smallest value seen.
    pub min: f64,
    /// Largest value seen.
    pub max: f64,
    /// Largest magnitude seen.
    pub max_abs: f64,
}

impl TensorStats {
    fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            if v.is_finite() {
                min = min.min(v);
                max = max.max(v);
            }
        }
        if min > max {
            return Self::default();
        }
        Self {
            min,
            max,
            max_abs: min.abs().max(max.abs()),
        }
    }
}

/// Quantizes `graph` given its float values on calibration inputs: `calibration[run][node]` is the
/// value of IR node `node` on calibration input `run` (what `float_eval` returns for every node).
pub fn quantize_graph(
    graph: &Graph,
    calibration: &[Vec<Value>],
    config: &QuantConfig,
) -> Result<QGraph, QuantError> {
    check_config(config)?;
    if calibration.is_empty() {
        return Err(QuantError::Calibration {
            reason: "no calibration run".into(),
        });
    }
    for (i, run) in calibration.iter().enumerate() {
        if run.len() != graph.nodes.len() {
            return Err(QuantError::Calibration {
                reason: format!(
                    "run {i} has {} tensors, the graph {} nodes",
                    run.len(),
                    graph.nodes.len()
                ),
            });
        }
    }
    let mut b = Builder {
        ir: graph,
        calib: calibration,
        cfg: config,
        nodes: Vec::new(),
        inputs: Vec::new(),
        map: vec![None; graph.nodes.len()],
        consts: HashMap::new(),
        cur: 0,
    };
    for i in 0..graph.nodes.len() {
        b.cur = i;
        if matches!(graph.nodes[i].op, Op::Const(_)) {
            continue; // quantized where used
        }
        let id = b.lower_node(i)?;
        b.map[i] = Some(id);
    }
    let mut outputs = Vec::with_capacity(graph.outputs.len());
    for o in &graph.outputs {
        b.cur = o.node.0;
        let node = b.operand(o.node.0, None)?;
        b.map[o.node.0] = Some(node);
        outputs.push(QOutput {
            name: o.name.clone(),
            node,
        });
    }
    Ok(QGraph {
        nodes: b.nodes,
        inputs: b.inputs,
        outputs,
        ir_map: b.map,
        config: config.clone(),
    })
}

/// Runs the float interpreter on every calibration input (one value per graph input each) and
/// quantizes with the resulting tensors.
pub fn quantize_with_inputs(
    graph: &Graph,
    inputs: &[Vec<Value>],
    config: &QuantConfig,
) -> Result<QGraph, QuantError> {
    let runs = inputs
        .iter()
        .map(|x| crate::float_eval::run(graph, x))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| QuantError::Calibration {
            reason: e.to_string(),
        })?;
    quantize_graph(graph, &runs, config)
}

fn check_config(c: &QuantConfig) -> Result<(), QuantError> {
    let bad = |reason: String| Err(QuantError::Config { reason });
    if !(2..=32).contains(&c.act_bits) {
        return bad(format!("act_bits must be 2..=32, got {}", c.act_bits));
    }
    if !(2..=32).contains(&c.weight_bits) {
        return bad(format!("weight_bits must be 2..=32, got {}", c.weight_bits));
    }
    if !(4..=crate::quant::table::MAX_LOG_SIZE).contains(&c.table_bits) {
        return bad(format!(
            "table_bits must be 4..={}, got {}",
            crate::quant::table::MAX_LOG_SIZE,
            c.table_bits
        ));
    }
    if c.headroom_bits > 8 || !(1..=60).contains(&c.max_scale) {
        return bad("headroom_bits must be ≤ 8 and max_scale 1..=60".into());
    }
    Ok(())
}

/// Lowering state.
pub(super) struct Builder<'a> {
    pub(super) ir: &'a Graph,
    calib: &'a [Vec<Value>],
    pub(super) cfg: &'a QuantConfig,
    pub(super) nodes: Vec<QNode>,
    inputs: Vec<QInput>,
    map: Vec<Option<usize>>,
    consts: HashMap<(usize, i32), usize>,
    /// The IR node being lowered (names and errors).
    pub(super) cur: usize,
}

impl Builder<'_> {
    fn ir_name(&self) -> String {
        self.ir.nodes[self.cur].name.clone()
    }

    pub(super) fn unsupported(&self, reason: impl Into<String>) -> QuantError {
        QuantError::Unsupported {
            index: self.cur,
            node: self.ir_name(),
            op: self.ir.nodes[self.cur].op.name(),
            reason: reason.into(),
        }
    }

    /// Appends a node, computing and checking its range.
    pub(super) fn push(
        &mut self,
        step: &str,
        op: QOp,
        inputs: Vec<usize>,
        shape: Vec<usize>,
        kind: QKind,
        scale: i32,
    ) -> Result<usize, QuantError> {
        let name = if step.is_empty() {
            self.ir_name()
        } else {
            format!("{}/{step}", self.ir_name())
        };
        let table = match &op {
            QOp::Table(spec) => Some(Table::new(*spec).map_err(|source| QuantError::Table {
                node: name.clone(),
                source,
            })?),
            _ => None,
        };
        let ins: Vec<&QNode> = inputs.iter().map(|&i| &self.nodes[i]).collect();
        let range = range::node_range(&op, &ins, table.as_ref());
        self.push_with_range(name, op, inputs, shape, kind, scale, range)
    }

    #[allow(clippy::too_many_arguments)]
    fn push_with_range(
        &mut self,
        name: String,
        op: QOp,
        inputs: Vec<usize>,
        shape: Vec<usize>,
        kind: QKind,
        scale: i32,
        range: Interval,
    ) -> Result<usize, QuantError> {
        if !range.fits_field() {
            return Err(QuantError::Overflow {
                index: self.cur,
                node: name,
                op: op.name(),
                lo: range.lo,
                hi: range.hi,
            });
        }
        let scale = if kind == QKind::Fixed { scale } else { 0 };
        self.nodes.push(QNode {
            name,
            source: self.cur,
            op,
            inputs,
            shape,
            kind,
            scale,
            range,
        });
        Ok(self.nodes.len() - 1)
    }

    /// Statistics of IR node `id` over the calibration runs.
    pub(super) fn stats(&self, id: usize) -> TensorStats {
        TensorStats::of(self.calib.iter().flat_map(|run| run[id].to_f64_vec()))
    }

    /// The float values of IR node `id` in every run.
    pub(super) fn values(&self, id: usize) -> impl Iterator<Item = &Value> {
        self.calib.iter().map(move |run| &run[id])
    }

    /// Activation scale for a real range of magnitude `max_abs` (with headroom).
    /// A tensor that was zero on every calibration input is assumed to have magnitude 1.
    pub(super) fn act_scale_for(&self, max_abs: f64) -> i32 {
        let max_abs = if max_abs > 0.0 { max_abs } else { 1.0 };
        scale_for_range(
            max_abs * f64::from(1u32 << self.cfg.headroom_bits),
            self.cfg.act_bits,
            self.cfg.max_scale,
        )
    }

    /// Activation scale of IR node `id`.
    pub(super) fn act_scale(&self, id: usize) -> i32 {
        self.act_scale_for(self.stats(id).max_abs)
    }

    /// The activation range `[lo, hi]`.
    pub(super) fn act_range(&self) -> (i64, i64) {
        signed_range(self.cfg.act_bits)
    }

    fn lower_node(&mut self, i: usize) -> Result<usize, QuantError> {
        let node = &self.ir.nodes[i];
        if let Op::Input { index } = node.op {
            let kind = QKind::of(node.dtype);
            let scale = if kind == QKind::Fixed {
                self.act_scale(i)
            } else {
                0
            };
            let (lo, hi) = self.act_range();
            // Integer inputs (indices, token ids) get 32 bits.
            let range = match kind {
                QKind::Bool => Interval::new(0, 1),
                QKind::Int => Interval::signed_bits(32),
                QKind::Fixed => Interval::new(lo as i128, hi as i128),
            };
            let id = self.push_with_range(
                node.name.clone(),
                QOp::Input { index },
                vec![],
                node.shape.clone(),
                kind,
                scale,
                range,
            )?;
            self.inputs.push(QInput {
                name: node.name.clone(),
                shape: node.shape.clone(),
                kind,
                scale,
                node: id,
            });
            return Ok(id);
        }
        self.lower_op(i)
    }

    /// The quantized node of IR node `id`. An IR constant is quantized here: `F32` at `scale`
    /// (or, without one, at the finest scale fitting `weight_bits`), integers and booleans exactly.
    pub(super) fn operand(&mut self, id: usize, scale: Option<i32>) -> Result<usize, QuantError> {
        if let Some(q) = self.map[id] {
            return Ok(q);
        }
        let Op::Const(value) = &self.ir.nodes[id].op else {
            return Err(QuantError::Internal {
                node: self.ir_name(),
                reason: format!("operand {id} not lowered"),
            });
        };
        let (tensor, kind, s) = match value {
            Value::F32(t) => {
                let s = scale.unwrap_or_else(|| self.weight_scale(t));
                let big = 1i64 << 62;
                (range::quantize_tensor(t, s, -big, big), QKind::Fixed, s)
            }
            Value::I64(t) => (t.clone(), QKind::Int, 0),
            Value::Bool(t) => (t.map(|&b| i64::from(b)), QKind::Bool, 0),
        };
        if let Some(&q) = self.consts.get(&(id, s)) {
            return Ok(q);
        }
        let saved = self.cur;
        let shape = tensor.shape().to_vec();
        let name = format!("{}@{}", self.ir.nodes[id].name, s);
        let op = QOp::Const(tensor);
        let range = range::node_range(&op, &[], None);
        let q = self.push_with_range(name, op, vec![], shape, kind, s, range)?;
        self.cur = saved;
        self.consts.insert((id, s), q);
        Ok(q)
    }

    /// Whether IR node `id` is an `F32` constant.
    pub(super) fn is_float_const(&self, id: usize) -> bool {
        matches!(&self.ir.nodes[id].op, Op::Const(Value::F32(_)))
    }

    /// The finest scale at which constant `t` fits `weight_bits`.
    pub(super) fn weight_scale(&self, t: &Tensor<f32>) -> i32 {
        let m = t.data().iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
        scale_for_range(m, self.cfg.weight_bits, self.cfg.max_scale)
    }

    /// A new constant node holding `t` quantized at `scale` (clamped into `bits`).
    pub(super) fn const_f64(
        &mut self,
        step: &str,
        t: &Tensor<f64>,
        scale: i32,
        bits: u32,
    ) -> Result<usize, QuantError> {
        let (lo, hi) = signed_range(bits);
        let q = t.map(|&v| quantize(v, scale, lo, hi));
        let shape = q.shape().to_vec();
        self.push(step, QOp::Const(q), vec![], shape, QKind::Fixed, scale)
    }

    /// Rescales node `x` to `scale`, clamped into `[lo, hi]`; returns `x` itself when nothing would
    /// change.
    pub(super) fn requant(
        &mut self,
        step: &str,
        x: usize,
        scale: i32,
        lo: i64,
        hi: i64,
    ) -> Result<usize, QuantError> {
        let n = &self.nodes[x];
        let shift = n.scale - scale;
        if !(-62..=126).contains(&shift) {
            return Err(self.unsupported(format!("rescale by {shift} bits (scales too far apart)")));
        }
        if shift == 0 && n.range.within(lo as i128, hi as i128) {
            return Ok(x);
        }
        let (shape, kind) = (n.shape.clone(), n.kind);
        let rounding = self.cfg.rounding;
        self.push(
            step,
            QOp::Requant {
                shift,
                rounding,
                lo,
                hi,
            },
            vec![x],
            shape,
            kind,
            scale,
        )
    }

    /// Rescales node `x` to `scale` into the activation width.
    pub(super) fn requant_act(
        &mut self,
        step: &str,
        x: usize,
        scale: i32,
    ) -> Result<usize, QuantError> {
        let (lo, hi) = self.act_range();
        self.requant(step, x, scale, lo, hi)
    }
}
