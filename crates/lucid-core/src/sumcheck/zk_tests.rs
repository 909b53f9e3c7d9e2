//! Completeness, soundness and simulator tests of the zero-knowledge sumcheck.

use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField64};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::*;
use crate::sumcheck::{SumcheckProof, prove};
use crate::transcript::StatementTranscript;

/// A transcript with the statement and (standing in for the hiding commitment) a digest of the
/// mask commitment already absorbed, as a caller would do.
fn transcript() -> Transcript {
    let mut st = StatementTranscript::new(b"zk-sumcheck-test");
    st.observe_bytes(
        b"mask-commitment",
        b"stand-in for a hiding commitment digest",
    );
    st.finish()
}

fn rand_vec(rng: &mut SmallRng, n: usize) -> Vec<EF> {
    (0..n).map(|_| rng.random()).collect()
}

/// Three tables, terms of degrees 0..=degree (as the plain sumcheck's tests).
fn random_instance(rng: &mut SmallRng, num_vars: usize, degree: usize) -> SumOfProducts {
    let mut poly = SumOfProducts::new(num_vars);
    for _ in 0..3 {
        poly.add_table(rand_vec(rng, 1 << num_vars));
    }
    for d in 0..=degree {
        let factors = (0..d).map(|k| (k * 7 + d) % 3).collect();
        poly.add_term(rng.random(), factors);
    }
    poly
}

struct Run {
    poly: SumOfProducts,
    sum: EF,
    mask: ZkMask,
    out: ZkProverOutput,
}

fn run(seed: u64, num_vars: usize, degree: usize) -> Run {
    let mut rng = SmallRng::seed_from_u64(seed);
    let poly = random_instance(&mut rng, num_vars, degree);
    let sum = poly.sum();
    let mask = ZkMask::random(num_vars, poly.degree(), &mut rng);
    let out = prove_zk(poly.clone(), sum, &mask, &mut transcript());
    Run {
        poly,
        sum,
        mask,
        out,
    }
}

/// The whole verifier side: the sumcheck, then the caller's mask opening (here: evaluating the
/// mask the verifier is assumed to hold a commitment to) and the final check.
fn verify_all(
    r: &Run,
    proof: &ZkSumcheckProof,
    sum: EF,
    table_evals: &[EF],
    mask_eval: Option<EF>,
) -> Result<(), SumcheckError> {
    let sub = verify_zk(
        r.poly.num_vars,
        r.poly.degree(),
        sum,
        proof,
        &mut transcript(),
    )?;
    let g_r = match mask_eval {
        Some(v) => v,
        None => r.mask.evaluate(&sub.point)?,
    };
    sub.check(&r.poly.terms, table_evals, g_r)
}

#[test]
fn mask_sum_and_evaluation_match_brute_force() {
    let mut rng = SmallRng::seed_from_u64(1);
    for num_vars in 0..=4 {
        let mask = ZkMask::random(num_vars, 3, &mut rng);
        let brute: EF = (0..1usize << num_vars)
            .map(|b| {
                let point: Vec<EF> = (0..num_vars)
                    .map(|i| EF::from_usize((b >> (num_vars - 1 - i)) & 1))
                    .collect();
                mask.evaluate(&point).expect("right length")
            })
            .sum();
        assert_eq!(mask.sum(), brute);
        assert_eq!(mask.to_base_coeffs().len(), num_vars * 4 * 3);
    }
    // Opening rows through multilinear tables, for every degree.
    for degree in 0..=MAX_DEGREE {
        let mask = ZkMask::random(3, degree, &mut rng);
        let x: EF = rng.random();
        for i in 0..3 {
            let table = mask.row_table(i);
            let point = mask_row_point(x, mask.degree());
            assert_eq!(table.len(), 1 << point.len());
            let mut unit = vec![EF::ZERO; 3];
            unit[i] = x;
            let others = mask.evaluate(&[EF::ZERO; 3]).expect("3 vars") - mask.coeffs()[i][0];
            assert_eq!(
                crate::mle::eval_mle_ext(&table, &point),
                mask.evaluate(&unit).expect("3 vars") - others
            );
        }
    }
    let mask = ZkMask::random(2, 2, &mut rng);
    assert!(matches!(
        mask.evaluate(&[EF::ONE]),
        Err(SumcheckError::WrongPointLength { .. })
    ));
    assert_eq!(
        ZkMask::from_coeffs(mask.coeffs().to_vec()).expect("valid"),
        mask
    );
    assert!(ZkMask::from_coeffs(vec![vec![EF::ONE]]).is_err());
    assert!(ZkMask::from_coeffs(vec![vec![EF::ONE; 3], vec![EF::ONE; 2]]).is_err());
}

#[test]
fn completeness_all_degrees() {
    for num_vars in [0, 1, 2, 5] {
        for degree in 0..=MAX_DEGREE {
            let r = run(100 + num_vars as u64 * 10 + degree as u64, num_vars, degree);
            let sub = verify_zk(
                num_vars,
                r.poly.degree(),
                r.sum,
                &r.out.proof,
                &mut transcript(),
            )
            .expect("honest proof verifies");
            assert_eq!(sub.point, r.out.point);
            assert_eq!(sub.rho, r.out.rho);
            assert_eq!(r.mask.evaluate(&sub.point), Ok(r.out.mask_eval));
            sub.check(&r.poly.terms, &r.out.table_evals, r.out.mask_eval)
                .expect("final check passes");
            // The table evaluations are the tables' MLEs at the point.
            for (t, &e) in r.poly.tables.iter().zip(&r.out.table_evals) {
                assert_eq!(crate::mle::eval_mle_ext(t, &sub.point), e);
            }
        }
    }
}

#[test]
fn wrong_claimed_sum_is_rejected() {
    let r = run(7, 4, 3);
    let wrong = r.sum + EF::ONE;
    // The honest proof against a different claim.
    assert!(verify_all(&r, &r.out.proof, wrong, &r.out.table_evals, None).is_err());
    // A prover claiming the wrong sum.
    let bad = prove_zk(r.poly.clone(), wrong, &r.mask, &mut transcript());
    assert!(verify_all(&r, &bad.proof, wrong, &bad.table_evals, Some(bad.mask_eval)).is_err());
    assert!(verify_all(&r, &bad.proof, wrong, &bad.table_evals, None).is_err());
}

#[test]
fn tampered_round_polynomials_are_rejected() {
    let r = run(8, 3, 2);
    verify_all(&r, &r.out.proof, r.sum, &r.out.table_evals, None).expect("honest");
    for round in 0..r.out.proof.round_polys.len() {
        for pos in 0..r.out.proof.round_polys[round].len() {
            let mut proof = r.out.proof.clone();
            proof.round_polys[round][pos] += EF::ONE;
            assert!(
                verify_all(&r, &proof, r.sum, &r.out.table_evals, None).is_err(),
                "round {round}, position {pos}"
            );
        }
    }
    // Keeping p(0) + p(1) but changing a polynomial: in a middle round the next round check
    // fails, in the last round the final check.
    let mut proof = r.out.proof.clone();
    proof.round_polys[1][0] += EF::ONE;
    proof.round_polys[1][1] -= EF::ONE;
    assert!(matches!(
        verify_all(&r, &proof, r.sum, &r.out.table_evals, None),
        Err(SumcheckError::RoundSumMismatch { round: 2, .. })
    ));
    let mut proof = r.out.proof.clone();
    proof.round_polys[2][0] += EF::ONE;
    proof.round_polys[2][1] -= EF::ONE;
    assert!(matches!(
        verify_all(&r, &proof, r.sum, &r.out.table_evals, None),
        Err(SumcheckError::FinalEvalMismatch { .. })
    ));
}

#[test]
fn wrong_mask_sum_is_rejected() {
    let r = run(9, 3, 2);
    let mut proof = r.out.proof.clone();
    proof.mask_sum += EF::ONE;
    assert!(matches!(
        verify_all(&r, &proof, r.sum, &r.out.table_evals, None),
        Err(SumcheckError::RoundSumMismatch { round: 0, .. })
    ));
    // A prover whose H is not the sum of the committed mask: it masks with `other` (so its H and
    // round polynomials are consistent) but the committed mask `r.mask` is opened at the end.
    let mut rng = SmallRng::seed_from_u64(90);
    let other = ZkMask::random(3, 2, &mut rng);
    let bad = prove_zk(r.poly.clone(), r.sum, &other, &mut transcript());
    assert!(matches!(
        verify_all(&r, &bad.proof, r.sum, &bad.table_evals, None),
        Err(SumcheckError::FinalEvalMismatch { .. })
    ));
}

#[test]
fn wrong_final_values_are_rejected() {
    let r = run(10, 3, 3);
    let good = r.out.mask_eval;
    assert!(verify_all(&r, &r.out.proof, r.sum, &r.out.table_evals, Some(good)).is_ok());
    assert!(matches!(
        verify_all(
            &r,
            &r.out.proof,
            r.sum,
            &r.out.table_evals,
            Some(good + EF::ONE)
        ),
        Err(SumcheckError::FinalEvalMismatch { .. })
    ));
    for j in 0..r.out.table_evals.len() {
        let mut evals = r.out.table_evals.clone();
        evals[j] += EF::ONE;
        assert!(verify_all(&r, &r.out.proof, r.sum, &evals, None).is_err());
    }
    // Too few evaluations: an error, not a panic.
    assert!(matches!(
        verify_all(&r, &r.out.proof, r.sum, &r.out.table_evals[..1], None),
        Err(SumcheckError::WrongCount { .. })
    ));
}

#[test]
fn malformed_proofs_are_rejected() {
    let r = run(11, 3, 2);
    let check = |num_vars, degree, proof: &ZkSumcheckProof| {
        verify_zk(num_vars, degree, r.sum, proof, &mut transcript())
    };
    assert!(matches!(
        check(3, MAX_DEGREE + 1, &r.out.proof),
        Err(SumcheckError::UnsupportedDegree { .. })
    ));
    assert!(matches!(
        check(4, 2, &r.out.proof),
        Err(SumcheckError::WrongNumberOfRounds { .. })
    ));
    assert!(matches!(
        check(3, 3, &r.out.proof),
        Err(SumcheckError::WrongRoundPolyLength { round: 0, .. })
    ));
    let mut short = r.out.proof.clone();
    short.round_polys[2].pop();
    assert!(matches!(
        check(3, 2, &short),
        Err(SumcheckError::WrongRoundPolyLength { round: 2, .. })
    ));
    let mut empty = r.out.proof.clone();
    empty.round_polys[0].clear();
    assert!(check(3, 2, &empty).is_err());
}

#[test]
fn simulated_proofs_are_accepted() {
    let mut rng = SmallRng::seed_from_u64(12);
    for num_vars in [0, 1, 4] {
        for degree in [0, 2, 5] {
            let claimed: EF = rng.random();
            let sim = simulate_zk(num_vars, degree, claimed, &mut transcript(), &mut rng);
            let sub = verify_zk(num_vars, degree, claimed, &sim.proof, &mut transcript())
                .expect("simulated proof verifies");
            assert_eq!(sub.point, sim.point);
            // The final check, with table evaluations the (masked) tables' simulator would give
            // and the mask opened to the matching value.
            let terms = vec![ProductTerm {
                coeff: EF::ONE,
                factors: vec![0; degree],
            }];
            let evals = vec![rng.random::<EF>()];
            let f_r = try_combine_terms(&terms, &evals).expect("one table");
            let g_r = sim.mask_eval_for(f_r).expect("rho is non-zero");
            sub.check(&terms, &evals, g_r).expect("final check passes");
        }
    }
}

// ----- statistical indistinguishability -----

const RUNS: usize = 1024;
const BINS: usize = 16;
/// Chi-square bound for 15 degrees of freedom at p ≈ 10^-5 (the tests are deterministic: fixed
/// seeds, so they cannot flake; the bound only says the fixed sample is unremarkable).
const CHI2_BOUND: f64 = 48.0;

/// Two witnesses (same shape, different tables) with the same sum: `t0·t1 + c·t2`.
fn two_witnesses(num_vars: usize) -> (SumOfProducts, SumOfProducts) {
    let mut rng = SmallRng::seed_from_u64(77);
    let c: EF = rng.random();
    let make = |rng: &mut SmallRng| {
        let mut p = SumOfProducts::new(num_vars);
        for _ in 0..3 {
            p.add_table(rand_vec(rng, 1 << num_vars));
        }
        p.add_term(EF::ONE, vec![0, 1]);
        p.add_term(c, vec![2]);
        p
    };
    let a = make(&mut rng);
    let mut b = make(&mut rng);
    let delta = (a.sum() - b.sum()) * c.inverse();
    b.tables[2][0] += delta;
    assert_eq!(a.sum(), b.sum());
    (a, b)
}

/// Monomial coefficients of the polynomial with values `evals` at `0, 1, …`.
fn to_monomial(evals: &[EF]) -> Vec<EF> {
    let d = evals.len();
    let mut out = vec![EF::ZERO; d];
    for (i, &e) in evals.iter().enumerate() {
        // basis = Π_{j≠i} (X − j) / (i − j), built up as coefficients.
        let mut basis = vec![EF::ONE];
        let mut denom = EF::ONE;
        for j in (0..d).filter(|&j| j != i) {
            let mut next = vec![EF::ZERO; basis.len() + 1];
            for (k, &c) in basis.iter().enumerate() {
                next[k + 1] += c;
                next[k] -= c * EF::from_usize(j);
            }
            basis = next;
            denom *= EF::from_usize(i) - EF::from_usize(j);
        }
        let scale = e * denom.inverse();
        for (o, c) in out.iter_mut().zip(basis) {
            *o += c * scale;
        }
    }
    out
}

/// The low 4 bits of the first base limb of every revealed element: the mask sum, then per
/// round the evaluations at `0..=d` and the monomial coefficients.
fn features(proof: &ZkSumcheckProof) -> Vec<usize> {
    let low = |e: &EF| {
        (<EF as BasedVectorSpace<F>>::as_basis_coefficients_slice(e)[0].as_canonical_u64() & 15)
            as usize
    };
    let mut out = vec![low(&proof.mask_sum)];
    for evals in &proof.round_polys {
        out.extend(evals.iter().map(low));
        out.extend(to_monomial(evals).iter().map(low));
    }
    out
}

/// Per revealed position, a histogram of its feature over `RUNS` proofs.
fn histograms(proofs: impl Iterator<Item = ZkSumcheckProof>) -> Vec<[usize; BINS]> {
    let mut hists: Vec<[usize; BINS]> = Vec::new();
    for p in proofs {
        let f = features(&p);
        hists.resize(f.len(), [0; BINS]);
        for (h, v) in hists.iter_mut().zip(f) {
            h[v] += 1;
        }
    }
    hists
}

fn chi2_uniform(h: &[usize; BINS]) -> f64 {
    let n: usize = h.iter().sum();
    let e = n as f64 / BINS as f64;
    h.iter().map(|&o| (o as f64 - e).powi(2) / e).sum()
}

/// Two-sample chi-square statistic (equal sample sizes).
fn chi2_two_sample(a: &[usize; BINS], b: &[usize; BINS]) -> f64 {
    a.iter()
        .zip(b)
        .filter(|(x, y)| **x + **y > 0)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2) / (x + y) as f64)
        .sum()
}

fn zk_proofs(poly: &SumOfProducts, seed: u64) -> impl Iterator<Item = ZkSumcheckProof> + '_ {
    let sum = poly.sum();
    (0..RUNS as u64).map(move |i| {
        let mut rng = SmallRng::seed_from_u64(seed * 1_000_003 + i);
        let mask = ZkMask::random(poly.num_vars, poly.degree(), &mut rng);
        prove_zk(poly.clone(), sum, &mask, &mut transcript()).proof
    })
}

#[test]
fn zk_round_polynomials_are_indistinguishable_across_witnesses() {
    let num_vars = 3;
    let (a, b) = two_witnesses(num_vars);
    let sum = a.sum();

    // Control: the plain sumcheck's round polynomials differ between the witnesses (and, being
    // deterministic, every position is a single spike — maximally non-uniform).
    let plain_a = prove(a.clone(), sum, &mut transcript()).proof;
    let plain_b = prove(b.clone(), sum, &mut transcript()).proof;
    assert_ne!(plain_a.round_polys[0], plain_b.round_polys[0]);
    let as_zk = |p: SumcheckProof| ZkSumcheckProof {
        mask_sum: EF::ZERO,
        round_polys: p.round_polys,
    };
    let spike = histograms((0..RUNS).map(|_| as_zk(plain_a.clone())));
    assert!(spike.iter().all(|h| chi2_uniform(h) > 10.0 * CHI2_BOUND));

    // With masks: every revealed position is uniform for both witnesses, the two witnesses'
    // distributions agree, and both agree with the witness-free simulator's.
    let ha = histograms(zk_proofs(&a, 1));
    let hb = histograms(zk_proofs(&b, 2));
    let hs = histograms((0..RUNS as u64).map(|i| {
        let mut rng = SmallRng::seed_from_u64(3_000_000 + i);
        simulate_zk(num_vars, 2, sum, &mut transcript(), &mut rng).proof
    }));
    assert_eq!(ha.len(), 1 + num_vars * 6);
    assert_eq!(ha.len(), hb.len());
    assert_eq!(ha.len(), hs.len());
    let mut worst = [0.0f64; 5];
    for pos in 0..ha.len() {
        let stats = [
            chi2_uniform(&ha[pos]),
            chi2_uniform(&hb[pos]),
            chi2_uniform(&hs[pos]),
            chi2_two_sample(&ha[pos], &hb[pos]),
            chi2_two_sample(&ha[pos], &hs[pos]),
        ];
        for (w, s) in worst.iter_mut().zip(stats) {
            *w = w.max(s);
        }
        for (name, h) in [("A", &ha[pos]), ("B", &hb[pos]), ("sim", &hs[pos])] {
            let c = chi2_uniform(h);
            assert!(c < CHI2_BOUND, "{name} position {pos}: chi2 {c}");
        }
        let ab = chi2_two_sample(&ha[pos], &hb[pos]);
        let as_ = chi2_two_sample(&ha[pos], &hs[pos]);
        assert!(ab < CHI2_BOUND, "A vs B position {pos}: chi2 {ab}");
        assert!(as_ < CHI2_BOUND, "A vs sim position {pos}: chi2 {as_}");
    }
    eprintln!(
        "max chi2 over {} positions (bound {CHI2_BOUND}): A {:.1}, B {:.1}, sim {:.1}, A-B {:.1}, A-sim {:.1}; plain control min {:.1}",
        ha.len(),
        worst[0],
        worst[1],
        worst[2],
        worst[3],
        worst[4],
        spike.iter().map(chi2_uniform).fold(f64::INFINITY, f64::min)
    );
    // The control fails the two-sample test against the masked proofs.
    assert!(chi2_two_sample(&spike[1], &ha[1]) > CHI2_BOUND);
}

#[test]
fn uniformity_test_detects_a_too_small_mask() {
    // Power check of the test above: a mask whose `g_i` lack the top coefficient leaves the
    // leading coefficient of every round polynomial unmasked (a fixed function of the witness
    // in round 0), and the coefficient histogram catches it.
    let (a, _) = two_witnesses(3);
    let sum = a.sum();
    let hists = histograms((0..RUNS as u64).map(|i| {
        let mut rng = SmallRng::seed_from_u64(4_000_000 + i);
        let mut coeffs = ZkMask::random(3, 2, &mut rng).coeffs().to_vec();
        for c in &mut coeffs {
            c[2] = EF::ZERO;
        }
        let mask = ZkMask::from_coeffs(coeffs).expect("valid shape");
        prove_zk(a.clone(), sum, &mask, &mut transcript()).proof
    }));
    // Round 0's features: 1 + [evals 0..=2] + [coeffs 0..=2]; the X^2 coefficient is index 6.
    assert!(chi2_uniform(&hists[6]) > 10.0 * CHI2_BOUND);
    // Its evaluations still look uniform: the coefficient view is the sharper one.
    assert!(chi2_uniform(&hists[1]) < CHI2_BOUND);
}

// ----- table blinding -----

#[test]
fn blinded_instance_keeps_the_sum_and_verifies() {
    let mut rng = SmallRng::seed_from_u64(20);
    let n = 3;
    let poly = random_instance(&mut rng, n, 3);
    // Table 2 is public (the verifier evaluates it itself).
    let blinded = blind_tables(poly.clone(), &[0, 1], &mut rng).expect("degree 4 fits");
    assert_eq!(blinded.num_vars, n + 1);
    assert_eq!(blinded.sum(), poly.sum());
    let mask = ZkMask::random(n + 1, blinded.degree(), &mut rng);
    let out = prove_zk(blinded.clone(), poly.sum(), &mask, &mut transcript());
    let sub = verify_zk(
        n + 1,
        blinded.degree(),
        poly.sum(),
        &out.proof,
        &mut transcript(),
    )
    .expect("verifies");
    // Verifier side: private evaluations from the (hiding) openings, the public table and the
    // selector computed locally.
    let terms = blinded_terms(&poly.terms, 3);
    let public = crate::mle::eval_mle_ext(&poly.tables[2], &sub.point[1..]);
    let selector = blinded_selector_eval(&sub.point).expect("non-empty point");
    let evals = [out.table_evals[0], out.table_evals[1], public, selector];
    assert_eq!(&evals[..], &out.table_evals[..]);
    sub.check(&terms, &evals, mask.evaluate(&sub.point).expect("arity"))
        .expect("final check");
    // The revealed private evaluations are not the tables' own MLEs at the point.
    for j in 0..2 {
        assert_ne!(
            out.table_evals[j],
            crate::mle::eval_mle_ext(&poly.tables[j], &sub.point[1..])
        );
    }
    // Shape errors.
    assert!(matches!(
        blind_tables(random_instance(&mut rng, 2, MAX_DEGREE), &[0], &mut rng),
        Err(SumcheckError::UnsupportedDegree { .. })
    ));
    assert!(matches!(
        blind_tables(poly, &[5], &mut rng),
        Err(SumcheckError::WrongCount { .. })
    ));
    assert_eq!(blinded_selector_eval(&[]), None);
}

#[test]
fn blinded_table_evaluations_do_not_identify_the_witness() {
    // Distinguisher: "is the revealed evaluation of table 0 the MLE of witness A's table 0 at the
    // public point?" Without blinding it always is (for A, never for B); with blinding never.
    // And the revealed values' bits are uniform for both witnesses.
    let n = 3;
    let (a, b) = two_witnesses(n);
    let sum = a.sum();
    let matches_a = |out: &ZkProverOutput, point: &[EF]| {
        out.table_evals[0] == crate::mle::eval_mle_ext(&a.tables[0], point)
    };
    let mut plain_hits = [0usize; 2];
    let mut blinded_hits = [0usize; 2];
    let mut hists = vec![[0usize; BINS]; 2];
    let runs = 256;
    for i in 0..runs {
        for (w, poly) in [&a, &b].into_iter().enumerate() {
            let mut rng = SmallRng::seed_from_u64(5_000_000 + 2 * i + w as u64);
            let mask = ZkMask::random(n, poly.degree(), &mut rng);
            let out = prove_zk(poly.clone(), sum, &mask, &mut transcript());
            plain_hits[w] += usize::from(matches_a(&out, &out.point));

            let blinded = blind_tables(poly.clone(), &[0, 1, 2], &mut rng).expect("degree 3");
            let mask = ZkMask::random(n + 1, blinded.degree(), &mut rng);
            let out = prove_zk(blinded, sum, &mask, &mut transcript());
            blinded_hits[w] += usize::from(matches_a(&out, &out.point[1..]));
            let v = <EF as BasedVectorSpace<F>>::as_basis_coefficients_slice(&out.table_evals[0])
                [0]
            .as_canonical_u64();
            hists[w][(v & 15) as usize] += 1;
        }
    }
    assert_eq!(plain_hits, [runs as usize, 0]);
    assert_eq!(blinded_hits, [0, 0]);
    assert!(chi2_uniform(&hists[0]) < CHI2_BOUND);
    assert!(chi2_uniform(&hists[1]) < CHI2_BOUND);
    assert!(chi2_two_sample(&hists[0], &hists[1]) < CHI2_BOUND);
}
