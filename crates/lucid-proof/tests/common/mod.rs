//! Shared fixtures of the soundness tests: tiny models built by hand in the IR, quantized on a
//! few calibration inputs, compiled and proved once per test binary.

#![allow(dead_code)]

pub mod json;
pub mod keys;
pub mod witness_prover;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use lucid_model::ir::{BinaryOp, ConvSpec, DType, Graph, NodeId, Op, PoolSpec, UnaryFn};
use lucid_model::quant::{QGraph, QOp, QuantConfig, quantize_with_inputs};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::key::{PROOF_MAGIC, encode};
use lucid_proof::{
    Proof, ProofParams, ProverKey, VerifyingKey, Visibility, compile, prove, verify,
};

/// Deterministic pseudo-random values in `[−scale, scale]` (xorshift).
pub fn rand_vec(n: usize, seed: u64, scale: f32) -> Vec<f32> {
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

pub fn tensor(shape: &[usize], seed: u64, scale: f32) -> Value {
    let n = shape.iter().product();
    Tensor::new(shape.to_vec(), rand_vec(n, seed, scale))
        .expect("shape")
        .into()
}

fn konst(g: &mut Graph, name: &str, shape: &[usize], seed: u64, scale: f32) -> NodeId {
    g.add_const(name, tensor(shape, seed, scale))
}

fn push(g: &mut Graph, name: &str, op: Op, inputs: Vec<NodeId>) -> NodeId {
    g.push(name, op, inputs).expect("valid node")
}

const MATMUL: Op = Op::MatMul {
    transpose_a: false,
    transpose_b: false,
};

/// How the MLP's hidden activation is expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReluForm {
    /// `Max(x, 0)` with a scalar constant (how ONNX Relu arrives through tract).
    MaxZero,
    /// `Unary(Relu)`.
    Unary,
}

/// MLP 8→6→4: MatMul, Add bias, ReLU, MatMul, Add bias.
pub fn mlp(form: ReluForm, seed: u64) -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 8], DType::F32);
    let w0 = konst(&mut g, "w0", &[8, 6], seed, 0.5);
    let b0 = konst(&mut g, "b0", &[6], seed + 1, 0.2);
    let h = push(&mut g, "fc0", MATMUL, vec![x, w0]);
    let h = push(&mut g, "add0", Op::Binary(BinaryOp::Add), vec![h, b0]);
    let h = match form {
        ReluForm::MaxZero => {
            let zero = g.add_const("zero", Tensor::scalar(0.0f32).into());
            push(&mut g, "relu", Op::Binary(BinaryOp::Max), vec![h, zero])
        }
        ReluForm::Unary => push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![h]),
    };
    let w1 = konst(&mut g, "w1", &[6, 4], seed + 2, 0.5);
    let b1 = konst(&mut g, "b1", &[4], seed + 3, 0.2);
    let y = push(&mut g, "fc1", MATMUL, vec![h, w1]);
    let y = push(&mut g, "add1", Op::Binary(BinaryOp::Add), vec![y, b1]);
    g.add_output(y, "y").expect("output");
    g
}

/// Conv 1→2 channels 3×3 on 1×6×6, ReLU, 2×2 average pool, flatten, MatMul to 3 logits.
pub fn cnn(seed: u64) -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 1, 6, 6], DType::F32);
    let w = konst(&mut g, "w", &[2, 1, 3, 3], seed, 0.4);
    let b = konst(&mut g, "b", &[2], seed + 1, 0.1);
    let spec = ConvSpec {
        strides: vec![1, 1],
        pads: vec![(0, 0); 2],
        dilations: vec![1, 1],
        group: 1,
    };
    let c = push(&mut g, "conv", Op::Conv(spec), vec![x, w, b]);
    let r = push(&mut g, "relu", Op::Unary(UnaryFn::Relu), vec![c]);
    let pool = PoolSpec {
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![(0, 0); 2],
        dilations: vec![1, 1],
    };
    let a = push(
        &mut g,
        "avgpool",
        Op::SumPool {
            pool,
            normalize: true,
            count_include_pad: true,
        },
        vec![r],
    );
    let f = push(
        &mut g,
        "flatten",
        Op::Reshape { shape: vec![1, 8] },
        vec![a],
    );
    let w2 = konst(&mut g, "w2", &[8, 3], seed + 2, 0.5);
    let y = push(&mut g, "fc", MATMUL, vec![f, w2]);
    g.add_output(y, "logits").expect("output");
    g
}

/// MLP 8→4 with a sigmoid output (a lookup table).
pub fn sigmoid_mlp(seed: u64) -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 8], DType::F32);
    let w = konst(&mut g, "w", &[8, 4], seed, 0.5);
    let b = konst(&mut g, "b", &[4], seed + 1, 0.2);
    let h = push(&mut g, "fc", MATMUL, vec![x, w]);
    let h = push(&mut g, "add", Op::Binary(BinaryOp::Add), vec![h, b]);
    let y = push(&mut g, "sigmoid", Op::Unary(UnaryFn::Sigmoid), vec![h]);
    g.add_output(y, "p").expect("output");
    g
}

/// The models under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    MlpMax,
    MlpRelu,
    Cnn,
    Sigmoid,
}

pub const MODELS: [Model; 4] = [Model::MlpMax, Model::MlpRelu, Model::Cnn, Model::Sigmoid];

impl Model {
    pub fn graph(self, seed: u64) -> Graph {
        match self {
            Model::MlpMax => mlp(ReluForm::MaxZero, seed),
            Model::MlpRelu => mlp(ReluForm::Unary, seed),
            Model::Cnn => cnn(seed),
            Model::Sigmoid => sigmoid_mlp(seed),
        }
    }

    pub fn input_shape(self) -> Vec<usize> {
        match self {
            Model::Cnn => vec![1, 1, 6, 6],
            _ => vec![1, 8],
        }
    }

    /// Calibration inputs (four samples) and a test input different from all of them.
    pub fn calibration(self) -> Vec<Vec<Value>> {
        (0..4)
            .map(|i| vec![tensor(&self.input_shape(), 500 + i, 1.0)])
            .collect()
    }

    pub fn test_input(self) -> Vec<Value> {
        vec![tensor(&self.input_shape(), 999, 0.9)]
    }

    fn index(self) -> usize {
        MODELS.iter().position(|&m| m == self).expect("listed")
    }
}

/// Quantizes `model` built with weights `seed`.
pub fn quantized(model: Model, seed: u64) -> QGraph {
    quantize_with_inputs(
        &model.graph(seed),
        &model.calibration(),
        &QuantConfig::default(),
    )
    .expect("quantizable")
}

/// A compiled model and one honest proof of it.
#[derive(Debug)]
pub struct Fixture {
    pub model: Model,
    pub visibility: Visibility,
    pub pk: ProverKey,
    pub proof: Proof,
    pub inputs: Vec<Value>,
}

pub fn build(model: Model, visibility: Visibility, seed: u64) -> Fixture {
    let pk = compile(quantized(model, seed), visibility, ProofParams::default()).expect("compile");
    let inputs = model.test_input();
    let (proof, _) = prove(&pk, &inputs, &mut ()).expect("prove");
    verify(&pk.vk, &proof).expect("honest proof verifies");
    Fixture {
        model,
        visibility,
        pk,
        proof,
        inputs,
    }
}

/// The fixture of `model` with weights seed 1, built once per test binary.
pub fn fixture(model: Model, visibility: Visibility) -> &'static Fixture {
    static CELLS: [[OnceLock<Fixture>; 2]; 4] = [const { [const { OnceLock::new() }; 2] }; 4];
    let v = match visibility {
        Visibility::Private => 0,
        Visibility::Public => 1,
    };
    CELLS[model.index()][v].get_or_init(|| build(model, visibility, 1))
}

/// Verifies without letting a panic escape: a panic fails the test with `what`.
pub fn verifies(vk: &VerifyingKey, proof: &Proof, what: &str) -> bool {
    match catch_unwind(AssertUnwindSafe(|| verify(vk, proof))) {
        Ok(r) => r.is_ok(),
        Err(_) => panic!("verifier panicked on {what}"),
    }
}

pub fn proof_bytes(p: &Proof) -> Vec<u8> {
    encode(PROOF_MAGIC, p).expect("encode proof")
}

/// A one-layer model (a matrix product with 20-bit weights and 16-bit activations) whose
/// output requantization removes between 17 and 31 bits, so its remainder has two limbs and the
/// top limb is narrower than 16 bits.
pub fn two_limb_model() -> (ProverKey, Vec<Value>, usize, u32) {
    use lucid_model::ir::{DType, Graph, Op};
    use lucid_model::quant::QuantConfig;
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 8], DType::F32);
    let w = g.add_const("w", tensor(&[8, 4], 5, 0.5));
    let y = g
        .push(
            "fc",
            Op::MatMul {
                transpose_a: false,
                transpose_b: false,
            },
            vec![x, w],
        )
        .expect("node");
    g.add_output(y, "y").expect("output");
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![tensor(&[1, 8], 700 + i, 1.0)])
        .collect();
    let config = QuantConfig {
        weight_bits: 20,
        ..QuantConfig::default()
    };
    let q = lucid_model::quant::quantize_with_inputs(&g, &calib, &config).expect("quantize");
    let pk = compile(q, Visibility::Public, ProofParams::default()).expect("compile");
    let out = pk.graph.outputs[0].node;
    let QOp::Requant { shift, .. } = pk.graph.nodes[out].op else {
        panic!(
            "the output is a requantization: {:?}",
            pk.graph
                .nodes
                .iter()
                .map(|n| (&n.name, &n.op, n.scale))
                .collect::<Vec<_>>()
        )
    };
    (pk, vec![tensor(&[1, 8], 1234, 0.9)], out, shift as u32)
}
