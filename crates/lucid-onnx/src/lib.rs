//! ONNX import: loads a model with tract-onnx, fixes input shapes, folds constants and lowers
//! tract's typed graph into Lucid's IR. Also runs tract's float model as the accuracy reference.
//!
//! ```text
//! network.onnx ─tract parse─▶ InferenceModel ─fix input shapes (input.json)─▶ into_typed
//!      ─declutter─▶ TypedModel ─lower (one function per tract op)─▶ lucid_model::ir::Graph
//!                       └─into_optimized─▶ tract's float run (the reference)
//! ```
//!
//! - [`load`] imports a model or fails with an [`ImportError`] that lists *every* unsupported
//!   node (name, op and reason); [`inspect`] returns the same analysis without failing.
//! - [`Imported::input_values`] turns an input file into the IR graph's input values and
//!   [`Imported::reference`] runs tract on them.
//!
//! Modules: [`front`] (tract parsing, shapes, reference run), `lower` (the translator and its
//! per-op registry), [`error`].

pub mod error;
pub mod front;
mod lower;

pub use error::{ImportError, Unsupported};
pub use front::FixedInput;

use front::TypedImport;
use lucid_model::input::InputFile;
use lucid_model::ir::{Graph, NodeId, Value};
use lucid_model::tensor::Tensor as IrTensor;
use std::collections::BTreeMap;
use std::path::Path;
use tract_onnx::prelude::TypedModel;

/// A model imported into Lucid's IR, with tract's typed model kept for reference runs.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The lowered graph; its inputs are the ONNX inputs, in ONNX order.
    pub graph: Graph,
    /// The ONNX inputs with their fixed shapes (same order as `graph.inputs`).
    pub inputs: Vec<FixedInput>,
    typed: TypedImport,
}

/// What [`inspect`] finds in a model.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The inputs with their fixed shapes.
    pub inputs: Vec<FixedInput>,
    /// How many nodes of each tract op the lowered (decluttered) graph has.
    pub tract_ops: BTreeMap<String, usize>,
    /// Every node that cannot be lowered.
    pub unsupported: Vec<Unsupported>,
    /// The lowered graph, when every node was supported.
    pub graph: Option<Graph>,
}

/// Loads and types the model, then declutters it (fusing LayerNorm into `RmsNorm`, GELU, resize
/// into `NearestUpsample`, dropping no-ops).
fn typed(path: &Path, input_file: Option<&InputFile>) -> Result<TypedImport, ImportError> {
    let model = front::parse(path)?;
    let mut t = front::fix_and_type(model, input_file)?;
    let m = t.model.clone();
    t.model = front::guarded("declutter", move || m.into_decluttered())?;
    Ok(t)
}

/// Lowers the typed model; returns the graph and the unsupported nodes.
fn lower_typed(t: &TypedImport) -> Result<(Graph, Vec<Unsupported>), ImportError> {
    let mut lw = lower::Lowerer::default();
    let mut ir_inputs = Vec::with_capacity(t.inputs.len());
    for i in &t.inputs {
        let dt = lower::ir_dtype(i.datum_type).ok_or_else(|| {
            ImportError::Unsupported(vec![Unsupported {
                node: i.name.clone(),
                op: "Source".into(),
                reason: format!("input type {:?} has no IR type", i.datum_type),
            }])
        })?;
        ir_inputs.push(lw.graph.add_input(i.name.clone(), i.shape.clone(), dt));
    }
    // tract's sources may be ordered differently from the ONNX inputs.
    let mut sources: Vec<NodeId> = vec![NodeId(0); ir_inputs.len()];
    for (onnx_ix, src) in t.source_of_input.iter().enumerate() {
        sources[*src] = ir_inputs[onnx_ix];
    }
    let outputs = lw
        .lower_model(&t.model, &sources, "")
        .map_err(|e| ImportError::Invalid(e.to_string()))?;
    let outlets = front::guarded("outputs", || Ok(t.model.output_outlets()?.to_vec()))?;
    for (k, (id, outlet)) in outputs.iter().zip(&outlets).enumerate() {
        let name = t
            .model
            .outlet_label(*outlet)
            .map(str::to_string)
            .unwrap_or_else(|| format!("output{k}"));
        lw.graph
            .add_output(*id, name)
            .map_err(|e| ImportError::Invalid(e.to_string()))?;
    }
    Ok((lower::prune(lw.graph), lw.unsupported))
}

fn op_counts(model: &TypedModel) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for n in model.nodes() {
        *counts.entry(n.op.name().to_string()).or_insert(0) += 1;
    }
    counts
}

/// Imports an ONNX model into Lucid's IR.
///
/// `input_file` (optional) fixes symbolic input dimensions (see [`lucid_model::input`]);
/// without it every symbolic dimension is 1. Fails with [`ImportError::Unsupported`] listing
/// every node that cannot be lowered.
pub fn load(path: &Path, input_file: Option<&InputFile>) -> Result<Imported, ImportError> {
    let t = typed(path, input_file)?;
    let (graph, unsupported) = lower_typed(&t)?;
    if !unsupported.is_empty() {
        return Err(ImportError::Unsupported(unsupported));
    }
    graph
        .validate()
        .map_err(|e| ImportError::Invalid(e.to_string()))?;
    Ok(Imported {
        graph,
        inputs: t.inputs.clone(),
        typed: t,
    })
}

/// Analyses a model: its inputs, its tract ops and every unsupported node (never stops at the
/// first one). Fails only when tract itself cannot read or type the model.
pub fn inspect(path: &Path, input_file: Option<&InputFile>) -> Result<Inspection, ImportError> {
    let t = typed(path, input_file)?;
    let (graph, unsupported) = lower_typed(&t)?;
    let graph = (unsupported.is_empty() && graph.validate().is_ok()).then_some(graph);
    Ok(Inspection {
        inputs: t.inputs.clone(),
        tract_ops: op_counts(&t.model),
        unsupported,
        graph,
    })
}

impl Imported {
    /// The IR input values for an input file (checked against the inputs' shapes and types),
    /// in `graph.inputs` order.
    pub fn input_values(&self, file: &InputFile) -> Result<Vec<Value>, ImportError> {
        let lists = front::input_tensors(&self.inputs, file)?;
        self.values_on(&lists)
    }

    /// The IR input values for explicit lists (one `(shape, values)` per input, ONNX order).
    pub fn values_on(&self, inputs: &[(Vec<usize>, Vec<f64>)]) -> Result<Vec<Value>, ImportError> {
        if inputs.len() != self.graph.inputs.len() {
            return Err(ImportError::Input(
                lucid_model::input::InputError::TooFewLists {
                    expected: self.graph.inputs.len(),
                    got: inputs.len(),
                },
            ));
        }
        self.graph
            .inputs
            .iter()
            .zip(inputs)
            .map(|(decl, (shape, values))| {
                let bad = |e: lucid_model::tensor::TensorError| ImportError::Invalid(e.to_string());
                let shape = shape.clone();
                Ok(match decl.dtype {
                    lucid_model::ir::DType::F32 => Value::F32(
                        IrTensor::new(shape, values.iter().map(|v| *v as f32).collect())
                            .map_err(bad)?,
                    ),
                    lucid_model::ir::DType::I64 => Value::I64(
                        IrTensor::new(shape, values.iter().map(|v| *v as i64).collect())
                            .map_err(bad)?,
                    ),
                    lucid_model::ir::DType::Bool => Value::Bool(
                        IrTensor::new(shape, values.iter().map(|v| *v != 0.0).collect())
                            .map_err(bad)?,
                    ),
                })
            })
            .collect()
    }

    /// Runs tract's optimized float model on an input file: the accuracy reference. Every
    /// output is returned as an f32 tensor, in `graph.outputs` order.
    pub fn reference(&self, file: &InputFile) -> Result<Vec<IrTensor<f32>>, ImportError> {
        let lists = front::input_tensors(&self.inputs, file)?;
        self.reference_on(&lists)
    }

    /// Runs tract's float model on explicit values (one `(shape, values)` per input, ONNX
    /// order): for testing on inputs other than the shipped file.
    pub fn reference_on(
        &self,
        inputs: &[(Vec<usize>, Vec<f64>)],
    ) -> Result<Vec<IrTensor<f32>>, ImportError> {
        let tensors = self
            .inputs
            .iter()
            .zip(inputs)
            .map(|(i, (shape, values))| front::to_tract_tensor(i, shape, values))
            .collect::<Result<Vec<_>, _>>()?;
        let outs = front::reference_run(&self.typed, tensors)?;
        outs.into_iter()
            .map(|(shape, data)| {
                IrTensor::new(shape, data).map_err(|e| ImportError::Invalid(e.to_string()))
            })
            .collect()
    }
}
