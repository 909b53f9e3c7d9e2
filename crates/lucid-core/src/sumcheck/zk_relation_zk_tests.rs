//! Zero knowledge of the relation reduction: simulated transcripts are accepted, and every
//! revealed element has the same distribution for two private witnesses with the same public
//! output (and the simulator's), while the statistical test does catch unmasked proofs.

use p3_field::{BasedVectorSpace, PrimeField64};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::tests::{absorb_mask_commitment, matmul_relation, rand_vec, transcript};
use super::*;
use crate::field::F;
use crate::mle::{bind_prefix_ext, bind_suffix_ext, eval_mle_ext};
use crate::sumcheck::{SumOfProducts, prove};

#[test]
fn simulated_relations_and_batches_are_accepted() {
    let mut rng = SmallRng::seed_from_u64(50);
    // A matmul shape (no public tables) and a Hadamard shape (one public eq table), with
    // n = m, n < m and n > m.
    for (n, m, public) in [(2, 2, 0), (2, 3, 0), (3, 1, 1), (0, 2, 1)] {
        let r = rand_vec(&mut rng, n);
        let shape = RelationShape {
            claim: BlindedClaim::new(rng.random(), r, rng.random()),
            num_vars: m,
            num_operands: 2,
            num_public: public,
            terms: vec![ProductTerm {
                coeff: rng.random(),
                factors: (0..2 + public).collect(),
            }],
        };
        let p_eval = |z: &[EF]| vec![z.iter().copied().sum::<EF>(); public];
        let mut st = transcript();
        absorb_mask_commitment(&mut st);
        let sim = simulate_relation(&shape, p_eval, &mut st, &mut rng).expect("valid shape");
        let mut vt = transcript();
        absorb_mask_commitment(&mut vt);
        let sub = verify_relation(&shape, &sim.proof, p_eval, &mut vt).expect("accepted");
        assert_eq!(sub.mask_point(), sim.point);
        sub.check(sim.mask_eval).expect("final equation");
        // The simulator drew the same challenges as the verifier.
        assert_eq!(st.sample_ext(b"test/end"), vt.sample_ext(b"test/end"));
    }
    // Batching.
    let claims: Vec<BlindedClaim> = (0..3)
        .map(|_| BlindedClaim::new(rng.random(), rand_vec(&mut rng, 3), rng.random()))
        .collect();
    let sim = simulate_blinded_batch(3, &claims, &mut transcript(), &mut rng).expect("valid");
    let sub = verify_blinded_batch(3, &claims, &sim.proof, &mut transcript()).expect("accepted");
    sub.check(sim.mask_eval).expect("final equation");
}

// ----- statistical indistinguishability -----

const RUNS: u64 = 1024;
const BINS: usize = 16;
/// Chi-square bound for 15 degrees of freedom at p ≈ 10^-5. Seeds are fixed, so the tests are
/// deterministic; the bound only says that the fixed sample is unremarkable.
const BOUND: f64 = 48.0;

/// The low four bits of an element's first base-field limb.
fn bucket(e: EF) -> usize {
    (<EF as BasedVectorSpace<F>>::as_basis_coefficients_slice(&e)[0].as_canonical_u64() as usize)
        % BINS
}

/// `d`-th finite difference of the values at `0..=d`: `d!` times the leading coefficient.
fn leading_difference(evals: &[EF]) -> EF {
    let mut row = evals.to_vec();
    while row.len() > 1 {
        row = row.windows(2).map(|w| w[1] - w[0]).collect();
    }
    row[0]
}

/// One histogram of buckets per revealed position.
#[derive(Default)]
struct Histograms(Vec<[u32; BINS]>);

impl Histograms {
    fn add(&mut self, view: &[EF]) {
        if self.0.is_empty() {
            self.0 = vec![[0; BINS]; view.len()];
        }
        assert_eq!(self.0.len(), view.len(), "views of one length");
        for (h, &e) in self.0.iter_mut().zip(view) {
            h[bucket(e)] += 1;
        }
    }

    /// Pearson's statistic against the uniform distribution, per position.
    fn vs_uniform(&self) -> Vec<f64> {
        self.0
            .iter()
            .map(|h| {
                let expected = h.iter().sum::<u32>() as f64 / BINS as f64;
                h.iter()
                    .map(|&o| (o as f64 - expected) * (o as f64 - expected) / expected)
                    .sum()
            })
            .collect()
    }

    /// The two-sample statistic (equal sample sizes) against `other`, per position.
    fn vs(&self, other: &Self) -> Vec<f64> {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| {
                (0..BINS)
                    .filter(|&i| a[i] + b[i] > 0)
                    .map(|i| {
                        let d = a[i] as f64 - b[i] as f64;
                        d * d / (a[i] + b[i]) as f64
                    })
                    .sum()
            })
            .collect()
    }
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

/// The public statement and the two witnesses: `C = A·W` with `A: 2 × 4`, `W: 4 × 2` whose last
/// row is zero, so `A1` and `A2` (differing in the last column) give the same `C`.
struct Setup {
    a: [Vec<EF>; 2],
    w: Vec<EF>,
    c: Vec<EF>,
    /// `c0 ‖ r`: fixed verifier coins for the claim.
    coins: Vec<EF>,
}

fn setup() -> Setup {
    let mut rng = SmallRng::seed_from_u64(60);
    let a1 = rand_vec(&mut rng, 8);
    let mut a2 = a1.clone();
    a2[3] += EF::ONE;
    a2[7] -= rng.random::<EF>();
    let mut w = rand_vec(&mut rng, 8);
    w[6] = EF::ZERO;
    w[7] = EF::ZERO;
    let matmul = |a: &[EF]| -> Vec<EF> {
        (0..4)
            .map(|ij| {
                (0..4)
                    .map(|k| a[4 * (ij / 2) + k] * w[2 * k + ij % 2])
                    .sum()
            })
            .collect()
    };
    let c = matmul(&a1);
    assert_eq!(c, matmul(&a2));
    let coins = transcript().sample_ext_vec(b"test/claim", 3);
    Setup {
        a: [a1, a2],
        w,
        c,
        coins,
    }
}

impl Setup {
    fn claim(&self, value: EF) -> BlindedClaim {
        BlindedClaim::new(self.coins[0], self.coins[1..].to_vec(), value)
    }

    /// The distinguisher's feature: `e_A − (1 − c*)·A1(r_i, z*)`, zero exactly when the revealed
    /// operand value is witness 1's unmasked value.
    fn guess_a1(&self, c: EF, z: &[EF], e_a: EF) -> EF {
        let mut point = vec![self.coins[1]];
        point.extend_from_slice(z);
        e_a - (EF::ONE - c) * eval_mle_ext(&self.a[0], &point)
    }

    /// Every element a verifier sees in one run (the statement's value first).
    fn view(&self, v: EF, proof: &RelationProof, point: &[EF], mask_eval: EF) -> Vec<EF> {
        let mut out = vec![v, proof.sumcheck.mask_sum];
        for evals in &proof.sumcheck.round_polys {
            out.extend_from_slice(evals);
            out.push(leading_difference(evals));
        }
        out.extend_from_slice(&proof.operand_evals);
        out.extend([proof.output_mask_eval, mask_eval]);
        out.push(self.guess_a1(point[0], &point[1..], proof.operand_evals[0]));
        out
    }

    /// One zero-knowledge run with witness `which`; `blinded = false` sets every tensor mask
    /// `R` to zero (the Libra mask stays).
    fn zk_run(&self, which: usize, blinded: bool, seed: u64) -> Vec<EF> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut mask = |n| {
            if blinded {
                rand_vec(&mut rng, n)
            } else {
                vec![EF::ZERO; n]
            }
        };
        let (ra, rw, rc) = (mask(8), mask(8), mask(4));
        let a_b = blind(&self.a[which], &ra).expect("same length");
        let w_b = blind(&self.w, &rw).expect("same length");
        let c_b = blind(&self.c, &rc).expect("same length");
        let v = eval_mle_ext(&c_b, &self.coins);
        let rel = matmul_relation(&a_b, &w_b, 1, 2, rc, self.claim(v));
        let libra = ZkMask::random(rel.shape.sumcheck_vars(), rel.shape.degree(), &mut rng);
        let mut t = transcript();
        t.sample_ext_vec(b"test/claim", 3);
        absorb_mask_commitment(&mut t);
        let (proof, out) = prove_relation(rel, &libra, &mut t).expect("valid");
        self.view(v, &proof, &out.point, out.mask_eval)
    }

    /// One simulated run: the claim's value uniform, as the previous layer's simulator leaves
    /// it.
    fn sim_run(&self, seed: u64) -> Vec<EF> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let v: EF = rng.random();
        let shape = RelationShape {
            claim: self.claim(v),
            num_vars: 2,
            num_operands: 2,
            num_public: 0,
            terms: vec![ProductTerm {
                coeff: EF::ONE,
                factors: vec![0, 1],
            }],
        };
        let mut t = transcript();
        t.sample_ext_vec(b"test/claim", 3);
        absorb_mask_commitment(&mut t);
        let sim = simulate_relation(&shape, |_| Vec::new(), &mut t, &mut rng).expect("valid");
        self.view(v, &sim.proof, &sim.point, sim.mask_eval)
    }

    /// The plain (non-zero-knowledge) reduction of the same claim: round polynomials and the
    /// operands' own evaluations, laid out like a view.
    fn plain_run(&self, which: usize) -> Vec<EF> {
        let (ri, rj) = (&self.coins[1..2], &self.coins[2..3]);
        let mut poly = SumOfProducts::new(2);
        poly.add_table(bind_prefix_ext(&self.a[which], ri));
        poly.add_table(bind_suffix_ext(&self.w, rj));
        poly.add_term(EF::ONE, vec![0, 1]);
        let v = eval_mle_ext(&self.c, &self.coins[1..]);
        let out = prove(poly, v, &mut transcript());
        let mut view = vec![v];
        for evals in &out.proof.round_polys {
            view.extend_from_slice(evals);
            view.push(leading_difference(evals));
        }
        view.extend_from_slice(&out.table_evals);
        // The same distinguisher with c* = 0 (nothing blinded).
        view.push(self.guess_a1(EF::ZERO, &out.point, out.table_evals[0]));
        view
    }
}

#[test]
fn revealed_elements_are_indistinguishable_across_witnesses() {
    let s = setup();
    let collect = |f: &dyn Fn(u64) -> Vec<EF>| {
        let mut h = Histograms::default();
        for i in 0..RUNS {
            h.add(&f(i));
        }
        h
    };
    let h1 = collect(&|i| s.zk_run(0, true, 1_000_000 + i));
    let h2 = collect(&|i| s.zk_run(1, true, 2_000_000 + i));
    let hs = collect(&|i| s.sim_run(3_000_000 + i));
    // v, H, 3 rounds × (4 values + leading difference), 2 operand values, R_C(z*), g(c*, w*),
    // the distinguisher's feature.
    assert_eq!(h1.0.len(), 2 + 3 * 5 + 2 + 1 + 1 + 1);
    let stats = [
        ("A1 vs uniform", h1.vs_uniform()),
        ("A2 vs uniform", h2.vs_uniform()),
        ("sim vs uniform", hs.vs_uniform()),
        ("A1 vs A2", h1.vs(&h2)),
        ("A1 vs sim", h1.vs(&hs)),
    ];
    for (name, st) in &stats {
        eprintln!(
            "{name}: max chi2 {:.1} over {} positions",
            max(st),
            st.len()
        );
        for (pos, &x) in st.iter().enumerate() {
            assert!(x < BOUND, "{name}, position {pos}: chi2 {x:.1}");
        }
    }

    // Control 1: the plain sumcheck reveals witness-dependent values; the same two-sample test
    // separates the witnesses (deterministic proofs: one spike per position).
    let p1 = collect(&|_| s.plain_run(0));
    let p2 = collect(&|_| s.plain_run(1));
    let plain = max(&p1.vs(&p2));
    eprintln!("plain control: max chi2 A1 vs A2 {plain:.1}");
    assert!(plain > 10.0 * BOUND);

    // Control 2: Libra-masked round polynomials but unblinded tensors (all R = 0): the round
    // polynomials look uniform, yet the revealed operand value betrays witness 1 through the
    // distinguisher's feature (always zero for A1).
    let u1 = collect(&|i| s.zk_run(0, false, 4_000_000 + i));
    let u2 = collect(&|i| s.zk_run(1, false, 5_000_000 + i));
    let last = h1.0.len() - 1;
    let (c_uniform, c_pair) = (u1.vs_uniform()[last], u1.vs(&u2)[last]);
    eprintln!("unblinded control: feature chi2 vs uniform {c_uniform:.1}, A1 vs A2 {c_pair:.1}");
    assert!(c_uniform > 10.0 * BOUND && c_pair > 10.0 * BOUND);
    assert!(
        max(&u1.vs_uniform()[2..17]) < BOUND,
        "round polynomials stay masked"
    );
}
