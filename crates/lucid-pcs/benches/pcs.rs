//! Commit/open/verify throughput, proof size and security of `lucid-pcs`.
//!
//! Run: `cargo bench -p lucid-pcs --bench pcs` (each size runs once: the machine is shared).
//! `LUCID_PCS_BENCH_MAX=20` caps the largest size (log2 of elements).

use std::time::{Duration, Instant};

use lucid_core::field::{EF, F};
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_pcs::{CommitmentScheme, EvalClaim, PcsParams};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn transcript() -> Transcript {
    StatementTranscript::new(b"lucid-pcs/bench").finish()
}

fn mle(table: &[F], point: &[EF]) -> EF {
    let mut values: Vec<EF> = table.iter().map(|&x| EF::from(x)).collect();
    values.resize(1 << point.len(), EF::ZERO);
    for &r in point {
        let half = values.len() / 2;
        let (lo, hi) = values.split_at(half);
        values = lo.iter().zip(hi).map(|(&a, &b)| a + r * (b - a)).collect();
    }
    values[0]
}

struct Run {
    commit: Duration,
    open: Duration,
    verify: Duration,
    proof_bytes: usize,
    bits: f64,
    claims: usize,
}

fn run(params: PcsParams, lens: &[usize], claims_per_table: usize, seed: u64) -> Run {
    let mut rng = SmallRng::seed_from_u64(seed);
    let tables: Vec<Vec<F>> = lens
        .iter()
        .map(|&n| (0..n).map(|_| rng.random::<F>()).collect())
        .collect();
    let mut claims = Vec::new();
    for (t, table) in tables.iter().enumerate() {
        let vars = usize::BITS as usize - (table.len() - 1).leading_zeros() as usize;
        for _ in 0..claims_per_table {
            let point: Vec<EF> = (0..vars).map(|_| rng.random::<EF>()).collect();
            let value = mle(table, &point);
            claims.push(EvalClaim {
                table: t,
                point,
                value,
            });
        }
    }
    let scheme = CommitmentScheme::new(params);
    let bits = scheme.security(lens, claims.len()).expect("security").bits;

    let start = Instant::now();
    let (commitment, data) = scheme.commit(tables).expect("commit");
    let commit = start.elapsed();
    let start = Instant::now();
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme.open(data, &claims, &mut t).expect("open");
    let open = start.elapsed();

    let start = Instant::now();
    let mut t = transcript();
    commitment.observe(&mut t);
    scheme
        .verify(&commitment, &claims, &proof, &mut t)
        .expect("verify");
    let verify = start.elapsed();
    let proof_bytes = postcard::to_allocvec(&proof).expect("serialize").len();
    Run {
        commit,
        open,
        verify,
        proof_bytes,
        bits,
        claims: claims.len(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_run(label: &str, elements: usize, r: &Run) {
    let total = r.commit + r.open;
    println!(
        "| {label} | {elements} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {:.1} |",
        r.claims,
        ms(r.commit),
        ms(r.open),
        ms(total),
        elements as f64 / total.as_secs_f64() / 1e6,
        ms(r.verify),
        r.proof_bytes,
        r.bits
    );
}

fn security_table(params: PcsParams) {
    println!(
        "\n### Security (pow budget {} bits, folding {}, rate 1/{}, {:?})\n",
        params.pow_bits,
        params.folding_factor,
        1 << params.starting_log_inv_rate,
        params.assumption
    );
    println!(
        "| log2 elements | claims | composed bits | per-term target | max PoW bits | list-size bits |"
    );
    println!("|---|---|---|---|---|---|");
    let scheme = CommitmentScheme::new(params);
    for log_n in (10..=24).step_by(2) {
        for claims in [1usize, 4096] {
            match scheme.security(&[1 << log_n], claims) {
                Ok(r) => println!(
                    "| {log_n} | {claims} | {:.1} | {} | {} | {:.1} |",
                    r.bits, r.per_term_bits, r.max_pow_bits, r.list_size_bits
                ),
                Err(e) => println!("| {log_n} | {claims} | error: {e} | | | |"),
            }
        }
    }
}

fn main() {
    let max_log: usize = std::env::var("LUCID_PCS_BENCH_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(22);
    let params = PcsParams::default();
    println!("# lucid-pcs benchmark ({params:?})");
    println!(
        "threads: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let johnson = lucid_pcs::SecurityAssumption::JohnsonBound;
    for (pow_bits, assumption) in [
        (params.pow_bits, params.assumption),
        (16, params.assumption),
        (params.pow_bits, johnson),
        (16, johnson),
        (20, johnson),
    ] {
        security_table(PcsParams {
            pow_bits,
            assumption,
            ..params
        });
    }

    println!("\n### Grinding budget vs. cost (one table of 2^18 elements, 4 claims)\n");
    println!(
        "| pow bits, regime | elements | claims | commit ms | open ms | commit+open ms | Melem/s | verify ms | proof bytes | bits |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (pow_bits, assumption) in [
        (0, params.assumption),
        (8, params.assumption),
        (12, params.assumption),
        (16, params.assumption),
        (20, params.assumption),
        (16, johnson),
        (20, johnson),
    ] {
        let p = PcsParams {
            pow_bits,
            assumption,
            ..params
        };
        if p.security(&[1 << 18], 4).is_err() {
            println!("| {pow_bits} {assumption:?} | infeasible | | | | | | | | |");
            continue;
        }
        let r = run(p, &[1 << 18], 4, 1);
        print_run(&format!("{pow_bits} {assumption:?}"), 1 << 18, &r);
    }

    println!("\n### Throughput (default parameters)\n");
    println!(
        "| data | elements | claims | commit ms | open ms | commit+open ms | Melem/s | verify ms | proof bytes | bits |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for log_n in (16..=max_log).step_by(2) {
        let n = 1usize << log_n;
        let r = run(params, &[n], 4, 2);
        print_run(&format!("one table 2^{log_n}"), n, &r);
        // A mixed batch of about the same total size: halves, quarters, ... plus odd sizes.
        let mut lens = Vec::new();
        let mut rest = n;
        let mut size = n / 2;
        while size >= 64 && lens.len() < 12 {
            lens.push(size - size / 7);
            rest -= size;
            size /= 2;
        }
        lens.push(rest.min(1000));
        let total: usize = lens.iter().sum();
        let r = run(params, &lens, 2, 3);
        print_run(&format!("{} tables ≈2^{log_n}", lens.len()), total, &r);
    }
}
