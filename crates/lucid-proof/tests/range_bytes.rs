//! The byte range table of the plain proof (`Plan::range_bits = 8`, `graph::range`): which
//! graphs select it, that its proofs verify, and that a malicious prover is refused or rejected
//! when it alters a committed low byte, a remainder limb, a clamp's output or the low-byte value
//! the proof carries. (The other soundness tests run on small models, so they exercise byte
//! mode too.) Also the packing of lookup instances (`graph::packing`) and the clamps' batched
//! zero-check: every part evaluation and zero-check message is checked.

mod common;

use common::witness_prover::{field_witness, honest_witness, low_bytes, prove_with_witness};
use common::{MODELS, Model, fixture, verifies};
use lucid_core::field::{EF, F};
use lucid_model::ir::{ConvSpec, DType, Graph, Op};
use lucid_model::quant::{QOp, QuantConfig, quantize_with_inputs};
use lucid_proof::graph::clamp;
use lucid_proof::graph::lookups as lk;
use lucid_proof::graph::packing::Packing;
use lucid_proof::graph::plan::{BYTE_BITS, Plan, RANGE_BITS, Role};
use lucid_proof::graph::range::{self, Looked};
use lucid_proof::{ProofError, Visibility};
use p3_field::PrimeCharacteristicRing;

#[test]
fn small_models_use_the_byte_table_and_split_their_wide_checks() {
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        assert_eq!(plan.range_bits, BYTE_BITS, "{model:?}");
        let wide =
            Plan::new_with_range(&f.pk.graph, Visibility::Private, RANGE_BITS).expect("wide plan");
        let (cb, cw) = (
            plan.cost(&f.pk.graph).expect("cost"),
            wide.cost(&f.pk.graph).expect("cost"),
        );
        // The 2^16 multiplicities alone stack the wide witness to 2^17 entries.
        assert!(
            cw.stacked >= 1 << 17 && cb.stacked < cw.stacked,
            "{model:?}"
        );
        let clamps = clamp::clamps(&f.pk.graph, &plan);
        let arr = range::arrange(&f.pk.graph, &plan, &clamps).expect("arrangement");
        // 16-bit activations: every requantized output's lower bound is a split check.
        assert!(!arr.splits.is_empty(), "{model:?}");
        assert_eq!(f.proof.low_bytes.len(), arr.splits.len(), "{model:?}");
        // No instance uses the 16-bit range table.
        assert!(
            arr.instances.iter().all(|i| i.table != lk::range_table()),
            "{model:?}"
        );
    }
}

/// A convolution 1→4 channels 3×3 over a 1×1×130×130 image: 4×128×128 = 2^16 requantized
/// entries, whose extra byte-mode limbs and low bytes cost more than the 16-bit table.
fn large_conv() -> Graph {
    let mut g = Graph::new();
    let x = g.add_input("x", vec![1, 1, 130, 130], DType::F32);
    let w = g.add_const("w", common::tensor(&[4, 1, 3, 3], 3, 0.5));
    let spec = ConvSpec {
        strides: vec![1, 1],
        pads: vec![(0, 0); 2],
        dilations: vec![1, 1],
        group: 1,
    };
    let c = g.push("conv", Op::Conv(spec), vec![x, w]).expect("node");
    g.add_output(c, "y").expect("output");
    g
}

#[test]
fn models_with_many_range_checked_entries_keep_the_wide_table() {
    let calib = vec![vec![common::tensor(&[1, 1, 130, 130], 77, 1.0)]];
    let q = quantize_with_inputs(&large_conv(), &calib, &QuantConfig::default()).expect("quantize");
    let plan = Plan::new(&q, Visibility::Private).expect("plan");
    assert_eq!(plan.range_bits, RANGE_BITS);
    let byte = Plan::new_with_range(&q, Visibility::Private, BYTE_BITS).expect("byte plan");
    let (cb, cw) = (byte.cost(&q).expect("cost"), plan.cost(&q).expect("cost"));
    assert!(cb.stacked + cb.read > cw.stacked + cw.read, "{cb:?} {cw:?}");
    // Same nodes, wider limbs.
    assert_eq!(plan.committed, byte.committed);
    let limbs = |p: &Plan| -> usize {
        p.roles
            .iter()
            .map(|r| match r {
                Role::Requant { limbs, .. } => *limbs,
                _ => 0,
            })
            .sum()
    };
    assert!(limbs(&byte) > limbs(&plan));
}

#[test]
fn a_range_width_other_than_8_or_16_is_refused() {
    let q = common::quantized(Model::MlpRelu, 1);
    assert!(Plan::new_with_range(&q, Visibility::Private, 12).is_err());
}

/// Whether a malicious witness was refused by the prover (a value outside its table) or its
/// proof rejected; panics if it verified.
fn refused_or_rejected(model: Model, w: &range::FieldWitness, what: &str) -> &'static str {
    let f = fixture(model, Visibility::Private);
    match prove_with_witness(&f.pk, w) {
        Err(e) => {
            assert!(
                format!("{e}").contains("table"),
                "{what}: unexpected error {e}"
            );
            "refused"
        }
        Ok(proof) => {
            assert!(
                !verifies(&f.pk.vk, &proof, what),
                "{model:?}: {what} verified"
            );
            "rejected"
        }
    }
}

#[test]
fn wrong_low_bytes_are_refused() {
    // A committed low byte changed by ±1 or ±256 (and to the honest value's complement): the
    // high byte (V − v0)/2^8 is then not an integer in [0, 2^8), or v0 leaves the table.
    let mut tried = 0;
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let honest = honest_witness(f);
        let lows = low_bytes(&f.pk, &honest);
        for s in 0..lows.len() {
            for (entry, delta) in [(0usize, 1i64), (0, -1), (1, 256), (1, -256)] {
                let mut changed = lows.clone();
                let v = &mut changed[s][entry];
                *v += if delta >= 0 {
                    F::from_u64(delta as u64)
                } else {
                    -F::from_u64((-delta) as u64)
                };
                let mut w = honest.clone();
                w.low_bytes = Some(changed);
                refused_or_rejected(model, &w, "a wrong low byte");
                tried += 1;
            }
        }
        // The honest low bytes, given explicitly, prove as usual.
        let mut w = honest.clone();
        w.low_bytes = Some(lows);
        let proof = prove_with_witness(&f.pk, &w).expect("honest low bytes");
        assert!(verifies(&f.pk.vk, &proof, "honest low bytes"));
    }
    assert!(tried >= 16, "only {tried} cases");
}

#[test]
fn low_bytes_of_the_wrong_shape_are_an_error() {
    let f = fixture(Model::MlpRelu, Visibility::Private);
    let mut w = honest_witness(f);
    let mut lows = low_bytes(&f.pk, &w);
    lows.pop();
    w.low_bytes = Some(lows);
    assert!(matches!(
        prove_with_witness(&f.pk, &w),
        Err(ProofError::Witness { .. })
    ));
}

#[test]
fn out_of_range_byte_limbs_are_refused() {
    // Remainder limb 0 raised by 2^8 and limb 1 lowered by 1: the remainder, hence the
    // requantization identity, is unchanged, but limb 0 leaves [0, 2^8).
    let mut tried = 0;
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        for (id, role) in plan.roles.iter().enumerate() {
            let Role::Requant { limbs, .. } = role else {
                continue;
            };
            if *limbs < 2 {
                continue;
            }
            let mut w = honest_witness(f);
            let off = w.padded[id].shape.real_to_padded()[0];
            w.limbs.get_mut(&(id, 0)).expect("limb 0").evals[off] += F::from_u64(256);
            w.limbs.get_mut(&(id, 1)).expect("limb 1").evals[off] -= F::ONE;
            refused_or_rejected(model, &w, "an out-of-range limb");
            tried += 1;
        }
    }
    assert!(tried > 0);
}

#[test]
fn requantized_outputs_below_their_range_are_refused() {
    // Y set to lo − 1 (limbs recomputed from it): `Y − lo` is −1, a field element whose bytes
    // are not both in [0, 2^8).
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        for (id, role) in plan.roles.iter().enumerate() {
            if !matches!(role, Role::Requant { .. }) {
                continue;
            }
            let QOp::Requant { lo, .. } = f.pk.graph.nodes[id].op else {
                continue;
            };
            let mut tensors = honest_witness(f).tensors;
            tensors[id].data_mut()[0] = lo - 1;
            let w = field_witness(&f.pk, tensors);
            refused_or_rejected(model, &w, "an output below its range");
        }
    }
}

#[test]
fn clamp_gaps_are_checked_in_bytes() {
    // The clamps of the small models are checked with the byte table (directly or split), and
    // a wrong ReLU output whose differences stay in range fails the zero-check
    // (`wrong_relu_outputs_are_rejected` in soundness.rs covers the cases in detail).
    let f = fixture(Model::MlpRelu, Visibility::Private);
    let plan = f.pk.vk.plan().expect("plan");
    let clamps = clamp::clamps(&f.pk.graph, &plan);
    assert!(!clamps.is_empty());
    let arr = range::arrange(&f.pk.graph, &plan, &clamps).expect("arrangement");
    let gaps = arr
        .instances
        .iter()
        .flat_map(|i| &i.columns)
        .filter(|c| matches!(c, Looked::Gap(_)))
        .count()
        + arr
            .splits
            .iter()
            .filter(|s| matches!(s.whole, Looked::Gap(_)))
            .count();
    assert_eq!(gaps, clamps.len());
    let k = &clamps[0];
    let honest = honest_witness(f);
    let xs = honest.tensors[k.input].data().to_vec();
    let i = xs.iter().position(|&x| x > 0).expect("a positive input");
    let mut tensors = honest.tensors.clone();
    tensors[k.node].data_mut()[i] = xs[i] + 1; // y = x + 1: both differences in range
    let w = field_witness(&f.pk, tensors);
    assert_eq!(
        refused_or_rejected(Model::MlpRelu, &w, "y = x + 1"),
        "rejected"
    );
}

#[test]
fn a_tampered_low_byte_value_is_rejected() {
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        assert!(!f.proof.low_bytes.is_empty());
        for s in 0..f.proof.low_bytes.len() {
            let mut p = f.proof.clone();
            p.low_bytes[s] += EF::ONE;
            assert!(
                !verifies(&f.pk.vk, &p, "tampered low byte"),
                "{model:?} {s}"
            );
        }
        let mut p = f.proof.clone();
        p.low_bytes.push(EF::ZERO);
        assert!(!verifies(&f.pk.vk, &p, "extra low byte"));
        let mut p = f.proof.clone();
        p.low_bytes.pop();
        assert!(!verifies(&f.pk.vk, &p, "missing low byte"));
    }
}

#[test]
fn packed_lookups_hold_aligned_parts_and_their_evaluations_are_bound() {
    // The lookup instances are packed per table (`graph::packing`): parts by decreasing size at
    // offsets that are multiples of their size, at most two packed instances per table. Every
    // part evaluation the proof carries is checked against the packed claim.
    let mut packed_models = 0;
    for model in MODELS {
        let f = fixture(model, Visibility::Private);
        let plan = f.pk.vk.plan().expect("plan");
        let clamps = clamp::clamps(&f.pk.graph, &plan);
        let arr = range::arrange(&f.pk.graph, &plan, &clamps).expect("arrangement");
        let packing = Packing::new(&arr);
        let mut seen = vec![0; arr.instances.len()];
        for b in &packing.bins {
            assert_eq!(b.len, b.parts.iter().map(|p| p.len).sum::<usize>());
            for w in b.parts.windows(2) {
                assert!(w[0].len >= w[1].len, "{model:?}: parts by decreasing size");
            }
            for p in &b.parts {
                assert_eq!(p.offset % p.len, 0, "{model:?}: aligned part");
                assert_eq!(p.len, arr.instances[p.instance].len);
                seen[p.instance] += 1;
            }
            let same = packing.bins.iter().filter(|o| o.table == b.table).count();
            assert!(
                same <= 2,
                "{model:?}: at most two packed instances per table"
            );
        }
        assert!(
            seen.iter().all(|&n| n == 1),
            "{model:?}: every instance packed once"
        );
        assert_eq!(f.proof.lookup_parts.len(), packing.num_part_evals());
        if f.proof.lookup_parts.is_empty() {
            continue;
        }
        packed_models += 1;
        for i in 0..f.proof.lookup_parts.len() {
            let mut q = f.proof.clone();
            q.lookup_parts[i] += EF::ONE;
            match lucid_proof::verify(&f.pk.vk, &q) {
                Err(ProofError::Rejected { at, .. }) => {
                    assert_eq!(at, "lookup parts", "{model:?} part {i}")
                }
                other => panic!("{model:?} part {i}: {other:?}"),
            }
        }
        let mut q = f.proof.clone();
        q.lookup_parts.pop();
        assert!(matches!(
            lucid_proof::verify(&f.pk.vk, &q),
            Err(ProofError::Malformed(_))
        ));
        let mut q = f.proof.clone();
        q.lookup_parts.push(EF::ONE);
        assert!(matches!(
            lucid_proof::verify(&f.pk.vk, &q),
            Err(ProofError::Malformed(_))
        ));
    }
    assert!(packed_models > 0, "no model packs several lookups");
}

#[test]
fn altered_clamp_zero_check_messages_are_rejected() {
    // Every message of the clamps' batched zero-check and every claimed evaluation is checked.
    for model in [Model::MlpMax, Model::Cnn] {
        let f = fixture(model, Visibility::Private);
        let p = &f.proof.clamps;
        assert!(!p.zero_check.rounds.is_empty(), "{model:?}");
        let clamp_rejected =
            |q: &lucid_proof::Proof, what: &str| match lucid_proof::verify(&f.pk.vk, q) {
                Err(ProofError::Rejected { at, .. }) if at.contains("clamp") => {}
                other => panic!("{model:?} {what}: {other:?}"),
            };
        for r in 0..p.zero_check.rounds.len() {
            for slot in 0..2 {
                let mut q = f.proof.clone();
                q.clamps.zero_check.rounds[r][slot] += EF::ONE;
                clamp_rejected(&q, &format!("round {r} slot {slot}"));
            }
        }
        for k in 0..p.clamps.len() {
            let mut q = f.proof.clone();
            q.clamps.clamps[k].output += EF::ONE;
            clamp_rejected(&q, &format!("clamp {k} output"));
            let mut q = f.proof.clone();
            q.clamps.clamps[k].input += EF::ONE;
            clamp_rejected(&q, &format!("clamp {k} input"));
        }
        let mut q = f.proof.clone();
        q.clamps.zero_check.rounds.pop();
        clamp_rejected(&q, "a missing round");
    }
}
