//! The tract side of the import: parse the ONNX file, fix every input's shape (symbolic batch
//! dimensions), type the graph (which folds shape-only subgraphs into constants), and run tract's
//! optimized model as the float reference.

use crate::error::ImportError;
use lucid_model::input::InputFile;
use std::path::Path;
use tract_onnx::prelude::{
    DatumType, Framework, InferenceFact, InferenceModel, InferenceModelExt, IntoRunnable,
    IntoTValue, TDim, TVec, Tensor, TypedModel, tvec,
};
use tract_onnx::tract_hir::infer::{Factoid, GenericFactoid};

/// A tensor as `(shape, row-major values)`: how inputs and reference outputs cross the API.
pub type Flat<T> = (Vec<usize>, Vec<T>);

/// One model input after its shape was fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedInput {
    /// The input's name in the ONNX graph.
    pub name: String,
    /// Its element type, as tract sees it.
    pub datum_type: DatumType,
    /// Its concrete shape.
    pub shape: Vec<usize>,
    /// The input-file list that feeds it (when an input file was given).
    pub list: Option<usize>,
}

/// The typed model with its inputs, in ONNX input order.
#[derive(Debug, Clone)]
pub struct TypedImport {
    /// tract's typed (not decluttered) model, input shapes fixed.
    pub model: TypedModel,
    /// The inputs in ONNX order; `model`'s sources may be in a different order.
    pub inputs: Vec<FixedInput>,
    /// For each entry of `inputs`, the index of the matching source in `model.input_outlets()`.
    pub source_of_input: Vec<usize>,
}

/// Runs `f`, turning a tract error into `ImportError::Tract` for `stage` and a panic inside
/// tract into `ImportError::TractPanic`: a malformed model must never abort the caller.
pub(crate) fn guarded<T>(
    stage: &'static str,
    f: impl FnOnce() -> tract_onnx::prelude::TractResult<T>,
) -> Result<T, ImportError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ImportError::Tract {
            stage,
            message: format!("{e:#}"),
        }),
        Err(p) => {
            let message = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(ImportError::TractPanic { stage, message })
        }
    }
}

/// Parses the ONNX file with tract (no typing yet).
pub fn parse(path: &Path) -> Result<InferenceModel, ImportError> {
    if !path.is_file() {
        return Err(ImportError::NotFound {
            path: path.display().to_string(),
        });
    }
    guarded("parse", || tract_onnx::onnx().model_for_path(path))
}

/// Chooses a concrete shape for a declared input.
///
/// `declared` has `None` for symbolic (or zero, or unknown) dimensions. The hint is used when
/// its rank matches and it agrees with every fixed dimension (and with the data length, if
/// known). Otherwise, if the data length is known and there is exactly one free dimension, that
/// dimension is solved from it. Otherwise free dimensions are 1.
pub fn choose_shape(
    declared: Option<&[Option<usize>]>,
    hint: Option<&[usize]>,
    data_len: Option<usize>,
) -> Option<Vec<usize>> {
    let Some(declared) = declared else {
        // No declared shape at all: only the hint can say.
        return hint
            .filter(|h| data_len.is_none_or(|n| h.iter().product::<usize>() == n))
            .map(<[usize]>::to_vec);
    };
    if let Some(h) = hint {
        let agrees = h.len() == declared.len()
            && declared
                .iter()
                .zip(h)
                .all(|(d, h)| d.is_none_or(|d| d == *h))
            && data_len.is_none_or(|n| h.iter().product::<usize>() == n);
        if agrees {
            return Some(h.to_vec());
        }
    }
    let free = declared.iter().filter(|d| d.is_none()).count();
    let fixed: usize = declared.iter().flatten().product();
    let fill = match data_len {
        Some(n) if free == 1 && fixed > 0 && n % fixed == 0 && n / fixed > 0 => n / fixed,
        _ => 1,
    };
    Some(declared.iter().map(|d| d.unwrap_or(fill)).collect())
}

fn declared_dims(fact: &InferenceFact) -> Option<Vec<Option<usize>>> {
    if fact.shape.is_open() {
        return None;
    }
    Some(
        fact.shape
            .dims()
            .map(|d| match d {
                GenericFactoid::Only(TDim::Val(v)) if *v > 0 => usize::try_from(*v).ok(),
                _ => None,
            })
            .collect(),
    )
}

/// Fixes every input's shape and types the model.
pub fn fix_and_type(
    mut model: InferenceModel,
    input_file: Option<&InputFile>,
) -> Result<TypedImport, ImportError> {
    let outlets = guarded("inputs", || Ok(model.input_outlets()?.to_vec()))?;
    let names: Vec<String> = outlets
        .iter()
        .map(|o| model.node(o.node).name.clone())
        .collect();
    let lists = match input_file {
        Some(f) => {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            f.assign(&refs)?.into_iter().map(Some).collect()
        }
        None => vec![None; names.len()],
    };
    let mut inputs = Vec::with_capacity(names.len());
    for (ix, (name, list)) in names.iter().zip(&lists).enumerate() {
        let fact = guarded("inputs", || Ok(model.input_fact(ix)?.clone()))?;
        let datum_type = fact.datum_type.concretize().unwrap_or(DatumType::F32);
        let declared = declared_dims(&fact);
        let hint = list.and_then(|l| input_file.and_then(|f| f.shape_hint(l)));
        let data_len = list.and_then(|l| input_file.map(|f| f.data[l].len()));
        let shape = choose_shape(declared.as_deref(), hint, data_len).ok_or_else(|| {
            ImportError::UnknownInputShape {
                input: name.clone(),
            }
        })?;
        let new_fact = InferenceFact::dt_shape(datum_type, shape.as_slice());
        guarded("inputs", || model.set_input_fact(ix, new_fact))?;
        inputs.push(FixedInput {
            name: name.clone(),
            datum_type,
            shape,
            list: *list,
        });
    }
    let typed = guarded("type", || model.into_typed())?;
    let typed_sources = guarded("type", || Ok(typed.input_outlets()?.to_vec()))?;
    let typed_names: Vec<&str> = typed_sources
        .iter()
        .map(|o| typed.node(o.node).name.as_str())
        .collect();
    let source_of_input = inputs
        .iter()
        .map(|i| {
            typed_names
                .iter()
                .position(|n| *n == i.name)
                .ok_or_else(|| ImportError::UnknownInputShape {
                    input: i.name.clone(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TypedImport {
        model: typed,
        inputs,
        source_of_input,
    })
}

/// Builds tract tensors for the inputs from the input file, checking lengths and value kinds.
pub fn input_tensors(
    inputs: &[FixedInput],
    file: &InputFile,
) -> Result<Vec<Flat<f64>>, ImportError> {
    let specs: Vec<lucid_model::input::InputSpec<'_>> = inputs
        .iter()
        .map(|i| lucid_model::input::InputSpec {
            name: &i.name,
            shape: &i.shape,
        })
        .collect();
    let bound = file.bind(&specs)?;
    inputs
        .iter()
        .zip(bound)
        .map(|(i, values)| {
            check_kind(i, values)?;
            Ok((i.shape.clone(), values.to_vec()))
        })
        .collect()
}

fn check_kind(input: &FixedInput, values: &[f64]) -> Result<(), ImportError> {
    let dt = input.datum_type;
    let bad = values.iter().position(|v| {
        if dt == DatumType::Bool {
            *v != 0.0 && *v != 1.0
        } else if dt.is_integer() {
            v.fract() != 0.0 || !v.is_finite()
        } else {
            !v.is_finite()
        }
    });
    match bad {
        Some(ix) => Err(ImportError::BadInputValue {
            input: input.name.clone(),
            index: ix,
            value: values[ix],
            datum_type: format!("{dt:?}"),
        }),
        None => Ok(()),
    }
}

/// Converts one input list into a tract tensor of the input's type.
pub fn to_tract_tensor(
    input: &FixedInput,
    shape: &[usize],
    values: &[f64],
) -> Result<Tensor, ImportError> {
    guarded("input", || {
        let t = Tensor::from_shape(shape, values)?;
        if input.datum_type == DatumType::Bool {
            let b: Vec<bool> = values.iter().map(|v| *v != 0.0).collect();
            return Tensor::from_shape(shape, &b);
        }
        Ok(t.cast_to_dt(input.datum_type)?.into_owned())
    })
}

/// Runs tract's optimized model on the given inputs (ONNX input order) and returns every output
/// converted to f32, with its shape.
pub fn reference_run(
    typed: &TypedImport,
    tensors: Vec<Tensor>,
) -> Result<Vec<Flat<f32>>, ImportError> {
    let mut by_source: Vec<Option<Tensor>> = vec![None; tensors.len()];
    for (t, &src) in tensors.into_iter().zip(&typed.source_of_input) {
        by_source[src] = Some(t);
    }
    let run = |model: TypedModel, by_source: Vec<Option<Tensor>>| {
        guarded("reference run", move || {
            let runnable = model.into_runnable()?;
            let mut args: TVec<_> = tvec![];
            for t in by_source {
                let t = t.ok_or_else(|| {
                    tract_onnx::tract_core::internal::anyhow!("input not provided")
                })?;
                args.push(t.into_tvalue());
            }
            let outs = runnable.run(args)?;
            outs.iter()
                .map(|o| {
                    let f = o.cast_to_dt(DatumType::F32)?;
                    let view = f.to_plain_array_view::<f32>()?;
                    Ok((o.shape().to_vec(), view.iter().copied().collect()))
                })
                .collect()
        })
    };
    // tract's optimized model is the reference; when its optimizer trips on a model (it does on
    // some batched LSTMs) the decluttered model is run instead.
    let m = typed.model.clone();
    match guarded("optimize", move || m.into_optimized()) {
        Ok(optimized) => match run(optimized, by_source.clone()) {
            Ok(v) => Ok(v),
            Err(first) => run(typed.model.clone(), by_source).map_err(|_| first),
        },
        Err(_) => run(typed.model.clone(), by_source),
    }
}

#[cfg(test)]
mod tests {
    use super::choose_shape;

    #[test]
    fn shapes_follow_hint_data_or_batch_one() {
        let decl = [None, Some(3), Some(2)];
        assert_eq!(
            choose_shape(Some(&decl), Some(&[4, 3, 2]), None),
            Some(vec![4, 3, 2])
        );
        // Hint without the batch dimension: ignored, batch solved from the data length.
        assert_eq!(
            choose_shape(Some(&decl), Some(&[3, 2]), Some(12)),
            Some(vec![2, 3, 2])
        );
        // Hint disagreeing with a fixed dimension: ignored.
        assert_eq!(
            choose_shape(Some(&decl), Some(&[1, 4, 2]), None),
            Some(vec![1, 3, 2])
        );
        assert_eq!(choose_shape(Some(&decl), None, None), Some(vec![1, 3, 2]));
        assert_eq!(choose_shape(None, Some(&[2, 2]), Some(4)), Some(vec![2, 2]));
        assert_eq!(choose_shape(None, None, Some(4)), None);
    }
}
