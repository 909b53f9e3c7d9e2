//! Sumcheck benchmarks: prove time, verify time and proof size of the generic sumcheck and the
//! matrix-product reduction. Run with `cargo bench -p lucid-core --bench sumcheck`.
//!
//! Each prover is timed from its input claim to its proof, including every eq-table contraction
//! (for the matrix product: `A(r_i, ·)` and `B(·, r_j)`); the witness and the claim are built
//! outside the timed region. Figures are the median of a few runs.

use std::time::{Duration, Instant};

use lucid_core::field::{EF, F};
use lucid_core::mle::{EvalClaim, MleRef, eval_mle_base};
use lucid_core::sumcheck::{self, SumOfProducts, batch, hadamard, matmul};
use lucid_core::transcript::{StatementTranscript, Transcript};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const RUNS: usize = 5;

fn transcript() -> Transcript {
    StatementTranscript::new(b"lucid/bench/sumcheck").finish()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Row {
    name: String,
    prove: Duration,
    verify: Duration,
    bytes: usize,
}

fn rand_base(rng: &mut SmallRng, n: usize) -> Vec<F> {
    (0..n).map(|_| rng.random()).collect()
}

fn rand_ext(rng: &mut SmallRng, n: usize) -> Vec<EF> {
    (0..n).map(|_| rng.random()).collect()
}

/// `C = A·B` for row-major `A (m × k)`, `B (k × n)` over the base field (not timed).
fn matmul_native(a: &[F], b: &[F], m: usize, k: usize, n: usize) -> Vec<F> {
    let mut c = vec![F::ZERO; m * n];
    for i in 0..m {
        let row = &mut c[i * n..(i + 1) * n];
        for l in 0..k {
            let x = a[i * k + l];
            for (cj, &bj) in row.iter_mut().zip(&b[l * n..(l + 1) * n]) {
                *cj += x * bj;
            }
        }
    }
    c
}

fn bench_matmul(rng: &mut SmallRng, m: usize, k: usize, n: usize, name: &str) -> Row {
    let shape = matmul::MatMulShape::new(m, k, n).expect("powers of two");
    let a = rand_base(rng, m * k);
    let b = rand_base(rng, k * n);
    let c = matmul_native(&a, &b, m, k, n);
    let point = rand_ext(rng, shape.log_m + shape.log_n);
    let claim = EvalClaim::new(point.clone(), eval_mle_base(&c, &point));

    let mut prove_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let (proof, _) = matmul::prove(
            &shape,
            MleRef::from(&a),
            MleRef::from(&b),
            &claim,
            &mut transcript(),
        )
        .expect("valid shapes");
        prove_times.push(t.elapsed());
        let t = Instant::now();
        matmul::verify(&shape, &claim, &proof, &mut transcript()).expect("verifies");
        verify_times.push(t.elapsed());
        bytes = proof.size_bytes();
    }
    Row {
        name: name.to_string(),
        prove: median(prove_times),
        verify: median(verify_times),
        bytes,
    }
}

fn bench_degree3(rng: &mut SmallRng, num_vars: usize) -> Row {
    let mut poly = SumOfProducts::new(num_vars);
    for _ in 0..3 {
        poly.add_table(rand_ext(rng, 1 << num_vars));
    }
    poly.add_term(EF::ONE, vec![0, 1, 2]);
    let sum = poly.sum();
    let terms = poly.terms.clone();

    let mut prove_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let input = poly.clone();
        let t = Instant::now();
        let out = sumcheck::prove(input, sum, &mut transcript());
        prove_times.push(t.elapsed());
        let t = Instant::now();
        let sub =
            sumcheck::verify(num_vars, 3, sum, &out.proof, &mut transcript()).expect("verifies");
        sub.check(&terms, &out.table_evals).expect("final check");
        verify_times.push(t.elapsed());
        bytes = out.proof.size_bytes();
    }
    Row {
        name: format!("degree-3 sumcheck a·b·c, 2^{num_vars} entries"),
        prove: median(prove_times),
        verify: median(verify_times),
        bytes,
    }
}

fn bench_hadamard(rng: &mut SmallRng, num_vars: usize) -> Row {
    let a = rand_base(rng, 1 << num_vars);
    let b = rand_base(rng, 1 << num_vars);
    let c: Vec<F> = a.iter().zip(&b).map(|(&x, &y)| x * y).collect();
    let point = rand_ext(rng, num_vars);
    let claim = EvalClaim::new(point.clone(), eval_mle_base(&c, &point));
    let mut prove_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let (proof, _) = hadamard::prove(&[(&a).into(), (&b).into()], &claim, &mut transcript())
            .expect("valid shapes");
        prove_times.push(t.elapsed());
        let t = Instant::now();
        hadamard::verify(2, &claim, &proof, &mut transcript()).expect("verifies");
        verify_times.push(t.elapsed());
        bytes = proof.size_bytes();
    }
    Row {
        name: format!("Hadamard C = A∘B, 2^{num_vars} entries (A, B in F, from claim on C)"),
        prove: median(prove_times),
        verify: median(verify_times),
        bytes,
    }
}

fn bench_batch(rng: &mut SmallRng, num_vars: usize, num_polys: usize, per_poly: usize) -> Row {
    let polys: Vec<Vec<F>> = (0..num_polys)
        .map(|_| rand_base(rng, 1 << num_vars))
        .collect();
    let mut claims = Vec::new();
    for (j, p) in polys.iter().enumerate() {
        for _ in 0..per_poly {
            let point = rand_ext(rng, num_vars);
            let value = eval_mle_base(p, &point);
            claims.push(batch::PolyClaim {
                poly: j,
                point,
                value,
            });
        }
    }
    let refs: Vec<MleRef<'_>> = polys.iter().map(MleRef::from).collect();
    let mut prove_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let (proof, _) = batch::prove(&refs, &claims, &mut transcript()).expect("valid shapes");
        prove_times.push(t.elapsed());
        let t = Instant::now();
        batch::verify(num_vars, num_polys, &claims, &proof, &mut transcript()).expect("verifies");
        verify_times.push(t.elapsed());
        bytes = proof.size_bytes();
    }
    Row {
        name: format!(
            "batch {} claims on {num_polys} polys of 2^{num_vars} entries (in F) -> 1 point",
            num_polys * per_poly
        ),
        prove: median(prove_times),
        verify: median(verify_times),
        bytes,
    }
}

fn main() {
    let mut rng = SmallRng::seed_from_u64(2026);
    let rows = [
        bench_matmul(
            &mut rng,
            1024,
            1024,
            1,
            "matrix-vector 1024x1024 (A in F, from claim on y)",
        ),
        bench_matmul(
            &mut rng,
            256,
            256,
            256,
            "matrix product 256x256x256 (A, B in F, from claim on C)",
        ),
        bench_degree3(&mut rng, 20),
        bench_hadamard(&mut rng, 20),
        bench_batch(&mut rng, 20, 2, 2),
    ];
    println!(
        "threads: {}, median of {RUNS} runs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| benchmark | prove (ms) | verify (ms) | proof (bytes) |");
    println!("|---|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.2} | {:.3} | {} |",
            r.name,
            ms(r.prove),
            ms(r.verify),
            r.bytes
        );
    }
}
