//! Zero-knowledge tests: the simulator's transcripts verify, revealed values are statistically
//! independent of the witness, and no unmasked evaluation of a private column is revealed.

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_ext;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField64};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::tests::{
    Run, commit_phase2, mixed_instances, proof_fields, run, transcript, v, verify_all,
};
use super::*;
use crate::layout::{InstanceShape, LookupInstance};
use crate::table::TableSpec;
use crate::witness::multiplicities;

#[test]
fn simulated_transcripts_verify() {
    let shapes: Vec<InstanceShape> = mixed_instances().iter().map(|i| i.shape()).collect();
    let mut rng = SmallRng::seed_from_u64(20);
    for _ in 0..3 {
        // The simulator controls nothing but its own messages: the challenges come from the
        // transcript exactly as the verifier draws them.
        let mut t = transcript();
        let ch = verify_phase2(&shapes, &mut t).expect("valid shapes");
        commit_phase2(&mut t);
        let (proof, sim_claims) = simulate(&shapes, &ch, &mut t, &mut rng).expect("simulates");
        let mut t = transcript();
        let ch = verify_phase2(&shapes, &mut t).expect("valid shapes");
        commit_phase2(&mut t);
        let claims = verify(&shapes, &ch, &proof, &mut t).expect("simulated proof verifies");
        // The verifier asks the (simulated, hiding) openings for exactly the simulated values.
        assert_eq!(claims, sim_claims);
        assert_eq!(proof.num_elements(), {
            let r = run(
                &mixed_instances(),
                &multiplicities(&mixed_instances()).expect("in tables"),
                21,
            );
            r.proof.num_elements()
        });
    }
}

// ----- statistical indistinguishability -----

const RUNS: usize = 1024;
const BINS: usize = 16;
/// Chi-square bound for 15 degrees of freedom at p ≈ 10^-5 (fixed seeds: deterministic).
const CHI2_BOUND: f64 = 48.0;

/// Two witnesses of the same shape: a range lookup and a function lookup, one group.
fn two_witnesses() -> [Vec<LookupInstance>; 2] {
    let r = TableSpec::unsigned_range(3);
    let f = TableSpec::function_from(3, 0, |x| 7 - x);
    [
        vec![
            LookupInstance::range(r.clone(), v(&[0, 1, 2, 3, 4, 5])),
            LookupInstance::function(f.clone(), v(&[0, 1, 2]), v(&[7, 6, 5])),
        ],
        vec![
            LookupInstance::range(r, v(&[7, 7, 7, 7, 7, 7])),
            LookupInstance::function(f, v(&[5, 5, 1]), v(&[2, 2, 6])),
        ],
    ]
}

fn low_bits(e: &EF) -> usize {
    (<EF as BasedVectorSpace<F>>::as_basis_coefficients_slice(e)[0].as_canonical_u64() & 15)
        as usize
}

fn histograms(proofs: impl Iterator<Item = ZkLookupProof>) -> Vec<[usize; BINS]> {
    let mut hists: Vec<[usize; BINS]> = Vec::new();
    for mut p in proofs {
        let f: Vec<usize> = proof_fields(&mut p)
            .into_iter()
            .map(|e| low_bits(e))
            .collect();
        hists.resize(f.len(), [0; BINS]);
        for (h, x) in hists.iter_mut().zip(f) {
            h[x] += 1;
        }
    }
    hists
}

fn chi2_uniform(h: &[usize; BINS]) -> f64 {
    let n: usize = h.iter().sum();
    let e = n as f64 / BINS as f64;
    h.iter().map(|&o| (o as f64 - e).powi(2) / e).sum()
}

fn chi2_two_sample(a: &[usize; BINS], b: &[usize; BINS]) -> f64 {
    a.iter()
        .zip(b)
        .filter(|(x, y)| **x + **y > 0)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2) / (x + y) as f64)
        .sum()
}

/// The mixed shapes of the completeness tests (four groups, carries, a padded table) with other
/// values.
fn mixed_instances_other() -> Vec<LookupInstance> {
    let mut out = mixed_instances();
    out[0].columns[0] = v(&[1, 1, 1, 1, 1]);
    out[1].columns = vec![v(&[3; 9]), v(&[9; 9])];
    out[2].columns[0] = v(&[-32; 100]);
    out[3].columns[0] = v(&[9; 16]);
    out[4].columns[0] = v(&[0, 0, 0]);
    out
}

/// Per-position chi-square tests of the revealed values' low bits: uniform for both witnesses,
/// and the two witnesses and the simulator pairwise indistinguishable.
fn check_indistinguishable(witnesses: [Vec<LookupInstance>; 2], seed: u64) {
    let shapes: Vec<InstanceShape> = witnesses[0].iter().map(|i| i.shape()).collect();
    assert_eq!(
        shapes,
        witnesses[1].iter().map(|i| i.shape()).collect::<Vec<_>>()
    );
    let hists: Vec<Vec<[usize; BINS]>> = witnesses
        .iter()
        .enumerate()
        .map(|(w, inst)| {
            let m = multiplicities(inst).expect("in tables");
            let base = seed + 1_000_000 * (w as u64 + 1);
            histograms((0..RUNS as u64).map(|i| run(inst, &m, base + i).proof))
        })
        .collect();
    // The simulator's transcripts, from the shapes alone.
    let sim = histograms((0..RUNS as u64).map(|i| {
        let mut rng = SmallRng::seed_from_u64(seed + 3_000_000 + i);
        let mut t = transcript();
        let ch = verify_phase2(&shapes, &mut t).expect("valid shapes");
        commit_phase2(&mut t);
        simulate(&shapes, &ch, &mut t, &mut rng)
            .expect("simulates")
            .0
    }));
    assert_eq!(hists[0].len(), sim.len());
    for (k, ((a, b), s)) in hists[0].iter().zip(&hists[1]).zip(&sim).enumerate() {
        assert!(chi2_uniform(a) < CHI2_BOUND, "position {k}, witness A");
        assert!(chi2_uniform(b) < CHI2_BOUND, "position {k}, witness B");
        assert!(chi2_two_sample(a, b) < CHI2_BOUND, "position {k}, A vs B");
        assert!(
            chi2_two_sample(a, s) < CHI2_BOUND,
            "position {k}, A vs simulator"
        );
    }
}

#[test]
fn revealed_values_are_indistinguishable_across_witnesses() {
    check_indistinguishable(two_witnesses(), 0);
}

#[test]
fn revealed_values_are_indistinguishable_across_groups_and_carries() {
    check_indistinguishable([mixed_instances(), mixed_instances_other()], 10_000_000);
}

#[test]
fn unblinded_columns_would_be_detected() {
    // Power check: without blinding (R = 0) the revealed column evaluation is `(1 − r_c)·w(r)`,
    // a fixed function of the witness at the public point, which the test below looks for.
    let inst = two_witnesses()[0].clone();
    let m = multiplicities(&inst).expect("in tables");
    let mut rng = SmallRng::seed_from_u64(40);
    let mut w = ZkWitness::new(&inst, &m, &mut rng).expect("well-shaped");
    for col in w.columns.iter_mut().flatten() {
        let half = col.len() / 2;
        col[half..].fill(F::ZERO);
    }
    let r = super::tests::run_with(w, &mut rng);
    verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).expect("still complete");
    assert!(!unmasked_values(&r).is_empty());
    assert!(revealed(&r).iter().any(|x| unmasked_values(&r).contains(x)));
}

/// Every private (unblinded) table's MLE, and its `(1 − r_c)` multiple, at the points the proof
/// refers to.
fn unmasked_values(r: &Run) -> Vec<EF> {
    let layout = r.witness.layout();
    let unblinded =
        |t: &[F]| -> Vec<EF> { t[..t.len() / 2].iter().map(|&x| EF::from(x)).collect() };
    let unblinded_ef = |limbs: &[Vec<F>; 3]| -> Vec<EF> {
        let len = limbs[0].len() / 2;
        (0..len)
            .map(|x| EF::from_basis_coefficients_fn(|l| limbs[l][x]))
            .collect()
    };
    let mut out = Vec::new();
    for (k, group) in layout.groups.iter().enumerate() {
        // Recover the group's point from the claims.
        let point = &r
            .claims
            .iter()
            .find(|c| c.table == ZkTableId::Mask { group: k })
            .expect("one mask claim per group")
            .point;
        let (r_c, x) = (point[0], &point[1..]);
        let mut tables: Vec<Vec<EF>> = Vec::new();
        for &i in &group.instances {
            tables.extend(r.witness.columns[i].iter().map(|c| unblinded(c)));
        }
        for &s in &group.slots {
            tables.push(unblinded_ef(&r.helpers.inverses[s]));
        }
        for &j in &group.tables {
            tables.push(unblinded(&r.witness.multiplicities[j]));
        }
        if group.carry_out {
            tables.push(unblinded_ef(&r.helpers.carries[k]));
        }
        for t in &tables {
            let e = eval_mle_ext(t, x);
            out.extend([e, (EF::ONE - r_c) * e]);
        }
        if let Some(prev_vars) = group.carry_in {
            let prev = unblinded_ef(&r.helpers.carries[k - 1]);
            let e = eval_mle_ext(&prev, &x[group.num_vars - prev_vars..]);
            out.extend([e, (EF::ONE - r_c) * e]);
        }
    }
    out
}

fn revealed(r: &Run) -> Vec<EF> {
    let mut p = r.proof.clone();
    proof_fields(&mut p).into_iter().map(|e| *e).collect()
}

#[test]
fn no_unmasked_private_evaluation_is_revealed() {
    for seed in 0..4 {
        let inst = mixed_instances();
        let m = multiplicities(&inst).expect("in tables");
        let r = run(&inst, &m, 50 + seed);
        let unmasked = unmasked_values(&r);
        assert!(!unmasked.is_empty());
        for x in revealed(&r) {
            assert!(!unmasked.contains(&x));
        }
    }
}
