//! Model builders shared by the zero-knowledge test suites and the `zk` benchmark (which
//! includes this folder with `#[path]`): ReLU MLPs, the small CNN of `zk_conv`, their seeded
//! inputs, and compiled-and-proved fixtures.

use lucid_model::int_eval::Witness;
use lucid_model::ir::{BinaryOp, ConvSpec, DType, Graph, NodeId, Op, PoolSpec, UnaryFn};
use lucid_model::quant::{QuantConfig, quantize_with_inputs};
use lucid_model::tensor::{Tensor, Value};
use lucid_proof::zk::{self, ZkProof};
use lucid_proof::{ProofParams, ProverKey, Visibility, compile};

use super::{rand_vec, rng, verifies};

/// A tensor value of `shape` holding `data`.
pub fn value(shape: &[usize], data: Vec<f32>) -> Value {
    Tensor::new(shape.to_vec(), data).expect("shape").into()
}

/// A tensor value of `shape` with seeded values in `[−scale, scale]` ([`rand_vec`]).
pub fn random_value(shape: &[usize], seed: u64, scale: f32) -> Value {
    let n = shape.iter().product();
    value(shape, rand_vec(n, seed, scale))
}

/// The `[1, width]` input of an MLP, seeded, in `[−0.9, 0.9]`.
pub fn mlp_input(width: usize, seed: u64) -> Vec<Value> {
    vec![value(&[1, width], rand_vec(width, seed, 0.9))]
}

/// How [`mlp_with`] draws an MLP's weights: layer `l`'s weight from seed `seed + 2l`, its bias
/// from `seed + 2l + 1`.
#[derive(Clone, Copy, Debug)]
pub struct MlpInit {
    pub seed: u64,
    /// Weights in `[−s, s]`: `s` given, or `1/√(fan-in)` when `None`.
    pub weight_scale: Option<f32>,
    pub bias_scale: f32,
    /// With `ignore > 0` the first layer's weight rows `widths[0] − ignore ..` are zero, so
    /// those input entries do not affect the output.
    pub ignore: usize,
}

/// A ReLU MLP `widths[0] → … → widths[last]` (MatMul, bias Add, ReLU between layers) with
/// weights in `[−0.5, 0.5]` and biases in `[−0.2, 0.2]` (see [`MlpInit`] for `seed` and
/// `ignore`).
pub fn mlp(widths: &[usize], seed: u64, ignore: usize) -> Graph {
    mlp_with(
        widths,
        MlpInit {
            seed,
            weight_scale: Some(0.5),
            bias_scale: 0.2,
            ignore,
        },
    )
}

/// A ReLU MLP `widths[0] → … → widths[last]` (MatMul, bias Add, ReLU between layers), input
/// `x [1, widths[0]]`, output `y`.
pub fn mlp_with(widths: &[usize], init: MlpInit) -> Graph {
    let mut g = Graph::new();
    let mut h: NodeId = g.add_input("x", vec![1, widths[0]], DType::F32);
    for (l, w) in widths.windows(2).enumerate() {
        let seed = init.seed + 2 * l as u64;
        let scale = init
            .weight_scale
            .unwrap_or_else(|| 1.0 / (w[0] as f32).sqrt());
        let mut wv = rand_vec(w[0] * w[1], seed, scale);
        if l == 0 {
            for row in w[0] - init.ignore..w[0] {
                wv[row * w[1]..(row + 1) * w[1]].fill(0.0);
            }
        }
        let wn = g.add_const(format!("w{l}"), value(&[w[0], w[1]], wv));
        let bn = g.add_const(
            format!("b{l}"),
            value(&[w[1]], rand_vec(w[1], seed + 1, init.bias_scale)),
        );
        let mm = Op::MatMul {
            transpose_a: false,
            transpose_b: false,
        };
        h = g.push(format!("fc{l}"), mm, vec![h, wn]).expect("node");
        h = g
            .push(format!("add{l}"), Op::Binary(BinaryOp::Add), vec![h, bn])
            .expect("node");
        if l + 2 < widths.len() {
            h = g
                .push(format!("relu{l}"), Op::Unary(UnaryFn::Relu), vec![h])
                .expect("node");
        }
    }
    g.add_output(h, "y").expect("output");
    g
}

/// The small CNN's input shape.
pub const CNN_INPUT: [usize; 4] = [1, 3, 6, 6];

/// A 2-d convolution's attributes: stride 1, pad 1, no dilation, `group` groups.
pub fn conv_spec(group: usize) -> ConvSpec {
    ConvSpec {
        strides: vec![1, 1],
        pads: vec![(1, 1); 2],
        dilations: vec![1, 1],
        group,
    }
}

/// Appends a node (the graph builders' shorthand).
pub fn push(g: &mut Graph, name: &str, op: Op, inputs: Vec<NodeId>) -> NodeId {
    g.push(name, op, inputs).expect("valid node")
}

/// A matrix product without transposes.
pub const MATMUL: Op = Op::MatMul {
    transpose_a: false,
    transpose_b: false,
};

/// The dense head of the test networks: `x` flattened to `[1, flat]` (node "flatten"), times a
/// seeded `[flat, out]` weight "w2" (node "fc"). Returns the product.
pub fn flatten_dense(
    g: &mut Graph,
    x: NodeId,
    flat: usize,
    out: usize,
    seed: u64,
    scale: f32,
) -> NodeId {
    let f = push(
        g,
        "flatten",
        Op::Reshape {
            shape: vec![1, flat],
        },
        vec![x],
    );
    let w = g.add_const("w2", random_value(&[flat, out], seed, scale));
    push(g, "fc", MATMUL, vec![f, w])
}

/// `g` (one input of `shape`) quantized with 8-bit activations on four seeded calibration
/// inputs and compiled with input visibility `vis`.
pub fn compiled_8bit(g: &Graph, shape: &[usize], vis: Visibility) -> ProverKey {
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![random_value(shape, 500 + i, 1.0)])
        .collect();
    let config = QuantConfig {
        act_bits: 8,
        ..QuantConfig::default()
    };
    let q = quantize_with_inputs(g, &calib, &config).expect("quantize");
    compile(q, vis, ProofParams::default()).expect("compile")
}

/// A key, one honest zero-knowledge proof and its witness.
pub struct Fixture {
    pub pk: ProverKey,
    pub proof: ZkProof,
    pub witness: Witness,
}

/// [`compiled_8bit`] with a private input, proved on the seeded input
/// `random_value(shape, 7, 0.9)` with the prover's randomness `rng(1)`.
pub fn proved(g: &Graph, shape: &[usize]) -> Fixture {
    let pk = compiled_8bit(g, shape, Visibility::Private);
    let inputs = vec![random_value(shape, 7, 0.9)];
    let (proof, witness) = zk::prove(&pk, &inputs, &mut rng(1)).expect("prove");
    Fixture { pk, proof, witness }
}

/// Another private input proves and verifies under `pk` (compiled from `g`), and `g` compiled
/// with a public input proves and verifies with the verifier checking that input.
pub fn assert_other_inputs_verify(pk: &ProverKey, g: &Graph, shape: &[usize]) {
    let (proof, _) = zk::prove(pk, &[random_value(shape, 8, 0.9)], &mut rng(2)).expect("prove");
    assert!(verifies(&pk.vk, &proof, "second input"));
    let public = compiled_8bit(g, shape, Visibility::Public);
    let (proof, _) =
        zk::prove(&public, &[random_value(shape, 9, 0.9)], &mut rng(3)).expect("prove");
    let expected = proof.public_inputs.clone();
    zk::verify(&public.vk, &proof, Some(&expected)).expect("public input verifies");
}

/// `x [1,3,6,6]` → Conv 3→3 (3×3, pad 1, bias) → ReLU → 2×2 average pool `[1,3,3,3]` →
/// flatten `[1,27]` (changes the padded layout: 3·4·4 → 32) → MatMul `[27,16]` + bias.
pub fn small_cnn() -> Graph {
    cnn_ignoring(None)
}

/// [`small_cnn`], with the kernel's weights on input channel `ignored` set to zero (the output
/// then does not depend on that channel).
pub fn cnn_ignoring(ignored: Option<usize>) -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", CNN_INPUT.to_vec(), DType::F32);
    let mut wv = rand_vec(81, 11, 0.4);
    if let Some(ch) = ignored {
        for o in 0..3 {
            wv[(o * 3 + ch) * 9..(o * 3 + ch + 1) * 9].fill(0.0);
        }
    }
    let w = g.add_const("w", value(&[3, 3, 3, 3], wv));
    let b = g.add_const("b", random_value(&[3], 12, 0.1));
    let c = push(&mut g, "conv", Op::Conv(conv_spec(1)), vec![x, w, b]);
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
        Op::Reshape { shape: vec![1, 27] },
        vec![a],
    );
    let w2 = g.add_const("w2", random_value(&[27, 16], 13, 0.4));
    let b2 = g.add_const("b2", random_value(&[16], 14, 0.1));
    let y = push(&mut g, "fc", MATMUL, vec![f, w2]);
    let y = push(&mut g, "fc_bias", Op::Binary(BinaryOp::Add), vec![y, b2]);
    g.add_output(y, "logits").expect("output");
    g
}
