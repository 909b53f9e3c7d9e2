//! The translator pass: walks tract's typed graph in evaluation order and lowers every node into
//! Lucid's IR through a flat per-op registry ([`registry`]), one small function per tract op.
//!
//! - Every output that tract already knows to be constant (its fact carries the value), and every
//!   node whose inputs are all constant and that tract can evaluate on its own, becomes an IR
//!   `Const` node: weights, biases, index tables and folded shape computations.
//! - Every other node is looked up in the registry; its function returns one IR node per tract
//!   output. The lowered node's shape and type are checked against tract's facts.
//! - An unsupported node is recorded (node name, op name, reason) and replaced by a zero constant
//!   of the right type, so that the walk goes on and reports *every* unsupported node at once.

mod elementwise;
mod linear;
mod pool;
mod reduce;
mod registry;
mod scan;
mod shape;

use crate::error::Unsupported;
use lucid_model::ir::{DType, Graph, NodeId, Op, Value};
use lucid_model::tensor::Tensor as IrTensor;
use std::collections::HashMap;
use tract_onnx::prelude::{
    DatumType, IntoTensor, OutletId, TValue, TVec, Tensor, TypedFact, TypedModel, TypedNode, tvec,
};
use tract_onnx::tract_core::ops::source::TypedSource;

/// The result of one registry function: one IR node per tract output, or why not.
pub(crate) type Lowered = Result<TVec<NodeId>, String>;

/// The IR element type standing for a tract datum type (floats → F32, integers → I64).
pub(crate) fn ir_dtype(dt: DatumType) -> Option<DType> {
    let dt = dt.unquantized();
    if dt.is_float() {
        Some(DType::F32)
    } else if dt == DatumType::Bool {
        Some(DType::Bool)
    } else if dt.is_integer() || dt == DatumType::TDim {
        Some(DType::I64)
    } else {
        None
    }
}

/// Converts a tract tensor into an IR value (floats to f32, integers to i64).
pub(crate) fn to_value(t: &Tensor) -> Result<Value, String> {
    let shape = t.shape().to_vec();
    let dt = ir_dtype(t.datum_type())
        .ok_or_else(|| format!("constant of unsupported type {:?}", t.datum_type()))?;
    let err = |e: tract_onnx::prelude::TractError| format!("cannot convert constant: {e}");
    let ir_err = |e: lucid_model::tensor::TensorError| format!("bad constant: {e}");
    Ok(match dt {
        DType::F32 => {
            let c = t.cast_to_dt(DatumType::F32).map_err(err)?;
            let v = c.to_plain_array_view::<f32>().map_err(err)?;
            Value::F32(IrTensor::new(shape, v.iter().copied().collect()).map_err(ir_err)?)
        }
        DType::I64 => {
            let c = t.cast_to_dt(DatumType::I64).map_err(err)?;
            let v = c.to_plain_array_view::<i64>().map_err(err)?;
            Value::I64(IrTensor::new(shape, v.iter().copied().collect()).map_err(ir_err)?)
        }
        DType::Bool => {
            let v = t.to_plain_array_view::<bool>().map_err(err)?;
            Value::Bool(IrTensor::new(shape, v.iter().copied().collect()).map_err(ir_err)?)
        }
    })
}

/// What a registry function sees of the node it lowers.
pub(crate) struct NodeCtx<'a> {
    /// The tract node.
    pub node: &'a TypedNode,
    /// Its IR name (scan bodies get a prefix).
    pub name: String,
    /// The IR node standing for each tract input.
    pub inputs: Vec<NodeId>,
    /// tract's fact of each input (with the constant value when known).
    pub input_facts: Vec<TypedFact>,
}

impl NodeCtx<'_> {
    /// The concrete shape of output `slot`.
    pub fn out_shape(&self, slot: usize) -> Result<Vec<usize>, String> {
        concrete(&self.node.outputs[slot].fact)
    }

    /// The concrete shape of input `ix`.
    pub fn in_shape(&self, ix: usize) -> Result<Vec<usize>, String> {
        let f = self
            .input_facts
            .get(ix)
            .ok_or_else(|| format!("missing input {ix}"))?;
        concrete(f)
    }

    /// The constant value of input `ix`, if tract knows it.
    pub fn konst(&self, ix: usize) -> Option<&Tensor> {
        self.input_facts.get(ix).and_then(|f| f.konst.as_deref())
    }

    /// The IR node of input `ix`.
    pub fn input(&self, ix: usize) -> Result<NodeId, String> {
        self.inputs
            .get(ix)
            .copied()
            .ok_or_else(|| format!("missing input {ix}"))
    }

    /// A name for the `k`-th helper node this lowering adds.
    pub fn sub(&self, what: &str) -> String {
        format!("{}.{what}", self.name)
    }
}

/// A concrete shape from a tract fact.
pub(crate) fn concrete(f: &TypedFact) -> Result<Vec<usize>, String> {
    f.shape
        .as_concrete()
        .map(<[usize]>::to_vec)
        .ok_or_else(|| format!("symbolic shape {:?}", f.shape))
}

/// The translator: the IR graph being built and the unsupported nodes met so far.
#[derive(Debug, Default)]
pub(crate) struct Lowerer {
    /// The graph under construction.
    pub graph: Graph,
    /// Every node that could not be lowered.
    pub unsupported: Vec<Unsupported>,
}

impl Lowerer {
    /// Adds a node, turning the IR's own check into a lowering error message. A node whose
    /// operands are all constants, and whose result is no larger than its operands together
    /// (a kernel reordering, a cast, a slice — not a broadcast), is evaluated now and added as
    /// a constant.
    pub fn push(&mut self, name: String, op: Op, inputs: Vec<NodeId>) -> Result<NodeId, String> {
        let id = self
            .graph
            .push(name, op, inputs)
            .map_err(|e| format!("IR rejected the lowering: {e}"))?;
        self.fold(id);
        Ok(id)
    }

    /// Replaces node `id` (the last one) by its value when all its operands are constants.
    fn fold(&mut self, id: NodeId) {
        let node = &self.graph.nodes[id.0];
        let mut args = Vec::with_capacity(node.inputs.len());
        for i in &node.inputs {
            match &self.graph.nodes[i.0].op {
                Op::Const(v) => args.push(v),
                _ => return,
            }
        }
        let in_elems: usize = args.iter().map(|v| v.len()).sum();
        let out_elems: usize = node.shape.iter().product();
        if args.is_empty() || out_elems > in_elems {
            return;
        }
        let fact = node.fact();
        if let Ok(v) = lucid_model::float_eval::eval_op(&node.op, &args, &fact)
            && v.shape() == fact.shape.as_slice()
            && v.dtype() == fact.dtype
        {
            {
                let n = &mut self.graph.nodes[id.0];
                n.op = Op::Const(v);
                n.inputs.clear();
            }
        }
    }

    /// Adds a constant.
    pub fn konst(&mut self, name: String, value: Value) -> NodeId {
        self.graph.add_const(name, value)
    }

    /// Adds an f32 scalar constant.
    pub fn scalar_f32(&mut self, name: String, v: f32) -> NodeId {
        self.konst(name, Value::F32(IrTensor::scalar(v)))
    }

    /// The IR dtype of a node.
    pub fn dtype(&self, id: NodeId) -> DType {
        self.graph.nodes[id.0].dtype
    }

    /// The shape of a node.
    pub fn shape(&self, id: NodeId) -> &[usize] {
        &self.graph.nodes[id.0].shape
    }

    /// `id` converted to `to` (no node when it already has that type).
    pub fn cast(&mut self, name: String, id: NodeId, to: DType) -> Result<NodeId, String> {
        if self.dtype(id) == to {
            Ok(id)
        } else {
            self.push(name, Op::Cast { to }, vec![id])
        }
    }

    /// `id` reshaped. Chains of reshapes collapse into one (the skipped ones are pruned at the
    /// end), and no node is added when the shape is already right.
    pub fn reshape(
        &mut self,
        name: String,
        id: NodeId,
        shape: Vec<usize>,
    ) -> Result<NodeId, String> {
        if self.shape(id) == shape.as_slice() {
            return Ok(id);
        }
        let mut src = id;
        while let Op::Reshape { .. } = self.graph.nodes[src.0].op {
            src = self.graph.nodes[src.0].inputs[0];
        }
        if self.shape(src) == shape.as_slice() {
            return Ok(src);
        }
        self.push(name, Op::Reshape { shape }, vec![src])
    }

    /// Lowers a whole typed model whose sources are bound to `sources` (one IR node per
    /// `model.input_outlets()`), prefixing node names with `prefix`. Returns the IR node of each
    /// model output.
    pub fn lower_model(
        &mut self,
        model: &TypedModel,
        sources: &[NodeId],
        prefix: &str,
    ) -> Result<Vec<NodeId>, String> {
        let order = model
            .eval_order()
            .map_err(|e| format!("no evaluation order: {e}"))?;
        let source_outlets = model.input_outlets().map_err(|e| e.to_string())?.to_vec();
        let mut map: HashMap<OutletId, NodeId> = HashMap::new();
        for (o, id) in source_outlets.iter().zip(sources) {
            map.insert(*o, *id);
        }
        for ix in order {
            let node = &model.nodes()[ix];
            if node.op_is::<TypedSource>() {
                if !map.contains_key(&OutletId::new(ix, 0)) {
                    return Err(format!("source '{}' is not bound", node.name));
                }
                continue;
            }
            let name = format!("{prefix}{}", node.name);
            let ids = self.lower_node(model, node, name, &map)?;
            for (slot, id) in ids.into_iter().enumerate() {
                map.insert(OutletId::new(ix, slot), id);
            }
        }
        let outputs = model.output_outlets().map_err(|e| e.to_string())?;
        outputs
            .iter()
            .map(|o| {
                map.get(o)
                    .copied()
                    .ok_or_else(|| format!("output {o:?} was not lowered"))
            })
            .collect()
    }

    /// Lowers one node (constant folding, then the registry); on failure records it as
    /// unsupported and returns zero placeholders so that the walk can go on.
    fn lower_node(
        &mut self,
        model: &TypedModel,
        node: &TypedNode,
        name: String,
        map: &HashMap<OutletId, NodeId>,
    ) -> Result<TVec<NodeId>, String> {
        let mut inputs = Vec::with_capacity(node.inputs.len());
        let mut input_facts = Vec::with_capacity(node.inputs.len());
        for i in &node.inputs {
            inputs.push(
                *map.get(i)
                    .ok_or_else(|| format!("node '{name}' reads an unlowered value"))?,
            );
            input_facts.push(model.outlet_fact(*i).map_err(|e| e.to_string())?.clone());
        }
        let ctx = NodeCtx {
            node,
            name,
            inputs,
            input_facts,
        };
        let result = match fold_constants(&ctx) {
            Some(Ok(values)) => values
                .iter()
                .enumerate()
                .map(|(slot, t)| {
                    let v = to_value(t)?;
                    let name = if node.outputs.len() == 1 {
                        ctx.name.clone()
                    } else {
                        format!("{}.{slot}", ctx.name)
                    };
                    Ok(self.konst(name, v))
                })
                .collect::<Result<TVec<_>, String>>(),
            Some(Err(e)) => Err(e),
            None => match registry::lookup(node) {
                // A lowering bug met on a strange model must not abort the caller.
                Some(f) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self, &ctx)))
                    .unwrap_or_else(|_| Err("the lowering panicked (a bug in lucid-onnx)".into())),
                None => Err("no lowering for this operator".to_string()),
            },
        };
        let checked = result.and_then(|ids| self.check_outputs(&ctx, ids));
        match checked {
            Ok(ids) => Ok(ids),
            Err(reason) => {
                self.unsupported.push(Unsupported {
                    node: ctx.name.clone(),
                    op: node.op.name().to_string(),
                    reason,
                });
                node.outputs
                    .iter()
                    .enumerate()
                    .map(|(slot, o)| self.placeholder(&ctx, slot, &o.fact))
                    .collect()
            }
        }
    }

    /// Checks that the lowered nodes have tract's shapes and types.
    fn check_outputs(&self, ctx: &NodeCtx<'_>, ids: TVec<NodeId>) -> Result<TVec<NodeId>, String> {
        if ids.len() != ctx.node.outputs.len() {
            return Err(format!(
                "lowering produced {} outputs, tract has {}",
                ids.len(),
                ctx.node.outputs.len()
            ));
        }
        for (slot, id) in ids.iter().enumerate() {
            let fact = &ctx.node.outputs[slot].fact;
            let shape = concrete(fact)?;
            let dt = ir_dtype(fact.datum_type)
                .ok_or_else(|| format!("output type {:?} has no IR type", fact.datum_type))?;
            let n = &self.graph.nodes[id.0];
            if n.shape != shape || n.dtype != dt {
                return Err(format!(
                    "lowering bug: output {slot} is {} {:?}, tract says {dt} {shape:?}",
                    n.dtype, n.shape
                ));
            }
        }
        Ok(ids)
    }

    fn placeholder(
        &mut self,
        ctx: &NodeCtx<'_>,
        slot: usize,
        fact: &TypedFact,
    ) -> Result<NodeId, String> {
        let shape = concrete(fact)?;
        let name = format!("{}.unsupported{slot}", ctx.name);
        let value = match ir_dtype(fact.datum_type).unwrap_or(DType::F32) {
            DType::F32 => Value::F32(IrTensor::zeros(shape).map_err(|e| e.to_string())?),
            DType::I64 => Value::I64(IrTensor::zeros(shape).map_err(|e| e.to_string())?),
            DType::Bool => Value::Bool(IrTensor::zeros(shape).map_err(|e| e.to_string())?),
        };
        Ok(self.konst(name, value))
    }
}

/// The values of a node's outputs when they are constant: either tract's facts carry them,
/// or every input is constant and tract can evaluate the op without a plan. `None` when the node
/// depends on the model's inputs.
fn fold_constants(ctx: &NodeCtx<'_>) -> Option<Result<Vec<Tensor>, String>> {
    let known: Option<Vec<Tensor>> = ctx
        .node
        .outputs
        .iter()
        .map(|o| o.fact.konst.as_ref().map(|t| (**t).clone()))
        .collect();
    if let Some(values) = known {
        return Some(Ok(values));
    }
    if ctx.node.inputs.is_empty() {
        return None;
    }
    let args: Option<TVec<TValue>> = ctx
        .input_facts
        .iter()
        .map(|f| f.konst.as_ref().map(|t| TValue::from_const(t.clone())))
        .collect();
    let args = args?;
    let op = &ctx.node.op;
    let evaluated =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op.eval_out_of_plan(args)));
    match evaluated {
        Ok(Ok(Some(outs))) => Some(Ok(outs.into_iter().map(|v| v.into_tensor()).collect())),
        Ok(Ok(None)) => None,
        Ok(Err(e)) => Some(Err(format!("constant folding failed: {e}"))),
        Err(_) => Some(Err("constant folding panicked inside tract".into())),
    }
}

/// An empty list of outputs, for registry functions that build them one by one.
pub(crate) fn one(id: NodeId) -> TVec<NodeId> {
    tvec![id]
}

/// Removes the nodes no output depends on (operands of folded constants, unused branches),
/// keeping every `Input` node, and renumbers the rest in the same order.
pub(crate) fn prune(graph: Graph) -> Graph {
    let n = graph.nodes.len();
    let mut live = vec![false; n];
    for o in &graph.outputs {
        if let Some(l) = live.get_mut(o.node.0) {
            *l = true;
        }
    }
    for ix in (0..n).rev() {
        if matches!(graph.nodes[ix].op, Op::Input { .. }) {
            live[ix] = true;
        }
        if live[ix] {
            for i in &graph.nodes[ix].inputs {
                if let Some(l) = live.get_mut(i.0) {
                    *l = true;
                }
            }
        }
    }
    let mut remap = vec![NodeId(usize::MAX); n];
    let mut out = Graph {
        nodes: Vec::new(),
        inputs: graph.inputs,
        outputs: Vec::new(),
    };
    for (ix, mut node) in graph.nodes.into_iter().enumerate() {
        if live[ix] {
            node.inputs.iter_mut().for_each(|i| *i = remap[i.0]);
            remap[ix] = NodeId(out.nodes.len());
            out.nodes.push(node);
        }
    }
    out.outputs = graph
        .outputs
        .into_iter()
        .map(|mut o| {
            o.node = remap[o.node.0];
            o
        })
        .collect();
    out
}
