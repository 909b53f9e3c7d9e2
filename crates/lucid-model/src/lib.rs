//! Lucid's model IR (a graph of typed tensor operators), quantization to signed fixed point,
//! the exact integer interpreter whose run is the prover's witness, and the accuracy report.
//!
//! | module | what it does |
//! |---|---|
//! | [`tensor`] | dense row-major `Tensor<T>`, element types (`DType`, `Value`), broadcasting |
//! | [`ir`] | the model IR: `Graph` of `Node`s applying `Op`s, shape inference, validation, stats |
//! | [`float_eval`] | the f32 reference interpreter of the IR (every tensor, for calibration) |
//! | [`input`] | input files (`input.json`) |
//! | [`quant`] | quantization of the IR into a fixed-point graph |
//! | [`int_eval`] | the exact integer interpreter (the prover's witness) |
//! | [`accuracy`] | accuracy of the quantized run against the float model |
//!
//! The crate has no heavy dependency (no tract, no Plonky3): the verifier side can read the
//! graph stored in a verifying key.

pub mod accuracy;
pub mod float_eval;
pub mod input;
pub mod int_eval;
pub mod ir;
pub mod quant;
pub mod tensor;
