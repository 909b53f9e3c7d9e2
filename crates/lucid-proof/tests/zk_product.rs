//! Zero-knowledge proofs of element-wise products of two activations (`x·sigmoid(x)`, a
//! product with a broadcast row, a square): completeness, rejection of every tampered field of
//! the new proof and of wrong product values in the witness, and no unmasked private
//! evaluation in the proof.

mod zk_common;
use zk_common::checks::{
    assert_fields_present, assert_no_unmasked_evaluation, assert_tampered_fields_rejected,
    leaves_by_field, with_entry,
};
use zk_common::models::{
    Fixture, MATMUL, assert_other_inputs_verify, compiled_8bit, proved, push, random_value, value,
};
use zk_common::{all_numbers, chi_square, rand_vec, rng, verifies};

use std::sync::OnceLock;

use lucid_core::field::EF;
use lucid_model::ir::{BinaryOp, DType, Graph, Op, UnaryFn};
use lucid_model::quant::QOp;
use lucid_model::tensor::Value;
use lucid_proof::zk::{self, ZkLayerProof};
use lucid_proof::{ProverKey, Visibility};
use p3_field::PrimeCharacteristicRing;

const INPUT: [usize; 2] = [4, 16];

/// `x [4,16]` → MatMul `[16,16]` = `a` → `silu = a ⊙ sigmoid(a)` → `row` = its first row
/// `[1,16]` → `q = silu ⊙ row` (broadcast) → `sq = q ⊙ q` → MatMul `[16,8]`.
fn products() -> Graph {
    products_ignoring(0)
}

/// [`products`], with the first layer's weight rows `16 − ignored ..` zero: the output does not
/// depend on the input's last `ignored` columns.
fn products_ignoring(ignored: usize) -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", INPUT.to_vec(), DType::F32);
    let mut wv = rand_vec(256, 11, 0.4);
    wv[(16 - ignored) * 16..].fill(0.0);
    let w1 = g.add_const("w1", value(&[16, 16], wv));
    let a = push(&mut g, "fc1", MATMUL, vec![x, w1]);
    let s = push(&mut g, "sigmoid", Op::Unary(UnaryFn::Sigmoid), vec![a]);
    let silu = push(&mut g, "silu", Op::Binary(BinaryOp::Mul), vec![a, s]);
    let row = push(
        &mut g,
        "row",
        Op::Slice {
            axis: 0,
            start: 0,
            end: 1,
            step: 1,
        },
        vec![silu],
    );
    let q = push(&mut g, "scaled", Op::Binary(BinaryOp::Mul), vec![silu, row]);
    let sq = push(&mut g, "square", Op::Binary(BinaryOp::Mul), vec![q, q]);
    let w2 = g.add_const("w2", random_value(&[16, 8], 12, 0.4));
    let y = push(&mut g, "fc2", MATMUL, vec![sq, w2]);
    g.add_output(y, "y").expect("output");
    g
}

fn compiled(g: &Graph, vis: Visibility) -> ProverKey {
    compiled_8bit(g, &INPUT, vis)
}

fn input(seed: u64) -> Vec<Value> {
    vec![random_value(&INPUT, seed, 0.9)]
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| proved(&products(), &INPUT))
}

/// The quantized product nodes (two activations), in node order.
fn product_nodes(pk: &ProverKey) -> Vec<usize> {
    (0..pk.graph.nodes.len())
        .filter(|&n| matches!(pk.graph.nodes[n].op, QOp::Mul) && zk::plan::is_product(&pk.graph, n))
        .collect()
}

#[test]
fn zk_proves_products_of_two_activations() {
    let f = fixture();
    let outputs = zk::verify(&f.pk.vk, &f.proof, None).expect("honest proof verifies");
    assert_eq!(outputs[0], f.witness.tensors[f.pk.graph.outputs[0].node]);
    let nodes = product_nodes(&f.pk);
    assert_eq!(nodes.len(), 3, "silu, broadcast and square");
    let zp = zk::ZkPlan::new(&f.pk.vk).expect("plan");
    for &n in &nodes {
        assert_ne!(zp.kinds[n], zk::plan::Kind::Derived);
    }
    let evals: Vec<usize> = f
        .proof
        .layers
        .iter()
        .filter_map(|l| match &l.layer {
            ZkLayerProof::Product(rp, _) => Some(rp.operand_evals.len()),
            _ => None,
        })
        .collect();
    assert_eq!(evals.len(), 3, "three product relations: {evals:?}");
    assert!(evals.contains(&1), "the square reveals one operand value");
    assert_other_inputs_verify(&f.pk, &products(), &INPUT);
}

#[test]
fn zk_product_rejects_every_tampered_field() {
    let f = fixture();
    let json = serde_json::to_value(&f.proof).expect("serialize");
    let by_field = leaves_by_field(&json, &["Product"], 3);
    assert_fields_present(
        &by_field,
        &[
            "Product.[0].sumcheck",
            "Product.[0].operand_evals",
            "Product.[0].output_mask_eval",
            "Product.[1]",
        ],
    );
    let tried = assert_tampered_fields_rejected(&f.pk.vk, &json, &by_field, 8);
    assert!(tried > 20, "only {tried} mutations tried");
    // Structural tampering: a dropped or extra operand value, another proof kind, swapped
    // product proofs.
    let first = f
        .proof
        .layers
        .iter()
        .position(|l| matches!(l.layer, ZkLayerProof::Product(..)))
        .expect("a product proof");
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Product(rp, _) = &mut forged.layers[first].layer {
        rp.operand_evals.pop();
    }
    assert!(!verifies(&f.pk.vk, &forged, "a dropped operand value"));
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Product(rp, _) = &mut forged.layers[first].layer {
        rp.operand_evals.push(EF::ONE);
    }
    assert!(!verifies(&f.pk.vk, &forged, "an extra operand value"));
    let mut forged = f.proof.clone();
    forged.layers[first].layer = ZkLayerProof::Free;
    assert!(!verifies(&f.pk.vk, &forged, "a product proved as free"));
    let mut forged = f.proof.clone();
    if let ZkLayerProof::Product(_, rows) = &mut forged.layers[first].layer {
        rows.pop();
    }
    assert!(!verifies(&f.pk.vk, &forged, "a missing mask row"));
    let second = f
        .proof
        .layers
        .iter()
        .rposition(|l| matches!(l.layer, ZkLayerProof::Product(..)))
        .expect("another product proof");
    let mut forged = f.proof.clone();
    let (a, b) = (
        forged.layers[first].layer.clone(),
        forged.layers[second].layer.clone(),
    );
    forged.layers[first].layer = b;
    forged.layers[second].layer = a;
    assert!(!verifies(&f.pk.vk, &forged, "swapped product proofs"));
}

#[test]
fn zk_product_rejects_a_wrong_product_value() {
    let f = fixture();
    for &id in &product_nodes(&f.pk) {
        let name = f.pk.graph.nodes[id].name.clone();
        let mut proved = 0;
        for (index, delta) in [(1usize, 1i64), (6, -1), (17, 3)] {
            let bad = with_entry(&f.witness, id, index, delta);
            match zk::prove_witness(&f.pk, &bad, &mut rng(20 + index as u64)) {
                Ok(proof) => {
                    assert!(
                        !verifies(&f.pk.vk, &proof, &name),
                        "a wrong value of {name} verified"
                    );
                    proved += 1;
                }
                Err(e) => eprintln!("{name}: prover refused ({e})"),
            }
        }
        assert!(proved > 0, "no wrong value of {name} was provable");
    }
}

#[test]
fn zk_product_proof_reveals_no_unmasked_private_evaluation() {
    let f = fixture();
    let mut private = vec![f.pk.graph.inputs[0].node];
    private.extend(product_nodes(&f.pk));
    let checked = assert_no_unmasked_evaluation(&f.pk, &f.proof, &f.witness, &private);
    assert!(checked >= 5, "only {checked} private claims checked");
    // The product relations' operand values are blinded: never zero.
    for l in &f.proof.layers {
        if let ZkLayerProof::Product(rp, _) = &l.layer {
            assert!(rp.operand_evals.iter().all(|&e| e != EF::ZERO));
        }
    }
}

/// 7 degrees of freedom at p ≈ 10^-5 (seeds are fixed: the test is deterministic).
const CHI_BOUND: f64 = 37.0;

#[test]
fn zk_product_revealed_elements_do_not_depend_on_the_private_input() {
    // Two inputs that differ only on the columns the first layer ignores: same output, same
    // public statement, different private input (and different values reaching nothing).
    const BINS: usize = 8;
    const RUNS: u64 = 6;
    let pk = compiled(&products_ignoring(8), Visibility::Private);
    let a = input(71);
    let mut bd = rand_vec(64, 71, 0.9);
    for row in bd.chunks_mut(16) {
        row[8..].fill(0.3);
    }
    let b = vec![value(&INPUT, bd)];
    let out = pk.graph.outputs[0].node;
    let run =
        |v: &[lucid_model::tensor::Value]| lucid_model::int_eval::run(&pk.graph, v).expect("run");
    let (wa, wb) = (run(&a), run(&b));
    assert_eq!(wa.tensors[out], wb.tensors[out], "same public output");
    let x = pk.graph.inputs[0].node;
    assert_ne!(wa.tensors[x], wb.tensors[x], "different private inputs");
    let fields = ["requant", "layers", "lookups"];
    let hist = |inputs: &[lucid_model::tensor::Value], seed: u64| {
        let mut h = vec![[0u64; BINS]; fields.len()];
        for r in 0..RUNS {
            let (proof, _) = zk::prove(&pk, inputs, &mut rng(seed + r)).expect("prove");
            let json = serde_json::to_value(&proof).expect("serialize");
            for (acc, field) in h.iter_mut().zip(fields) {
                let mut numbers = Vec::new();
                all_numbers(&json[field], &mut numbers);
                for v in numbers {
                    acc[(v % BINS as u64) as usize] += 1;
                }
            }
        }
        h
    };
    let (ha, hb) = (hist(&a, 3000), hist(&b, 7000));
    for (field, (x, y)) in fields.iter().zip(ha.iter().zip(&hb)) {
        let chi = chi_square(x, y);
        assert!(
            chi < CHI_BOUND,
            "{field}: chi-square {chi} ({x:?} vs {y:?})"
        );
    }
    // Control: the differing input entries themselves (what a leaky proof would reveal in
    // every run) are told apart by the same statistic.
    let entries = |w: &lucid_model::int_eval::Witness| {
        let mut h = [0u64; BINS];
        for row in w.tensors[x].data().chunks(16) {
            for &v in &row[8..] {
                h[v.rem_euclid(BINS as i64) as usize] += RUNS;
            }
        }
        h
    };
    let control = chi_square(&entries(&wa), &entries(&wb));
    assert!(
        control > CHI_BOUND,
        "the control is not detected: {control}"
    );
}
