//! Overhead of the hiding mode (HVZK-WHIR) against the plain mode: commit+open time, verify
//! time and proof size on the same tables and claims.
//!
//! Run: `cargo bench -p lucid-pcs --bench hiding` (each size runs once: the machine is shared).
//! `LUCID_PCS_BENCH_MAX=16` caps the largest size (log2 of elements; default 20).

use std::time::{Duration, Instant};

use lucid_core::field::{EF, F};
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_pcs::{CommitmentScheme, EvalClaim, PcsParams};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::{SmallRng, StdRng};
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
}

fn run(hiding: bool, tables: &[Vec<F>], claims: &[EvalClaim]) -> Run {
    let scheme = CommitmentScheme::new(PcsParams::default());
    let start = Instant::now();
    let (commitment, data) = if hiding {
        let mut rng = StdRng::seed_from_u64(7);
        scheme.commit_hiding(tables.to_vec(), &mut rng)
    } else {
        scheme.commit(tables.to_vec())
    }
    .expect("commit");
    let commit = start.elapsed();
    let mut t = transcript();
    commitment.observe(&mut t);
    let start = Instant::now();
    let proof = scheme.open(data, claims, &mut t).expect("open");
    let open = start.elapsed();
    let mut t = transcript();
    commitment.observe(&mut t);
    let start = Instant::now();
    scheme
        .verify(&commitment, claims, &proof, &mut t)
        .expect("verify");
    let verify = start.elapsed();
    let proof_bytes = postcard::to_allocvec(&proof).expect("serialize").len();
    Run {
        commit,
        open,
        verify,
        proof_bytes,
    }
}

fn main() {
    let max: usize = std::env::var("LUCID_PCS_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let scheme = CommitmentScheme::new(PcsParams::default());
    println!(
        "| log2 n | tables | claims | mode | commit ms | open ms | commit+open ms | verify ms | proof KiB | bits (per term) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // Two random claims per table (opened as they are), then 64 per table (the hiding mode
    // batches them into `n + 1` claims first).
    let cases = [16usize, 20]
        .into_iter()
        .filter(|&l| l <= max)
        .flat_map(|l| [(l, 2usize), (l, 64)]);
    for (log_n, per_table) in cases {
        let mut rng = SmallRng::seed_from_u64(log_n as u64);
        // One large table plus two smaller ones.
        let lens = [1usize << (log_n - 1), 1 << (log_n - 2), 1 << (log_n - 3)];
        let tables: Vec<Vec<F>> = lens
            .iter()
            .map(|&n| (0..n).map(|_| rng.random::<F>()).collect())
            .collect();
        let mut claims = Vec::new();
        for (t, table) in tables.iter().enumerate() {
            let vars = table.len().trailing_zeros() as usize;
            for _ in 0..per_table {
                let point: Vec<EF> = (0..vars).map(|_| rng.random::<EF>()).collect();
                let value = mle(table, &point);
                claims.push(EvalClaim {
                    table: t,
                    point,
                    value,
                });
            }
        }
        for hiding in [false, true] {
            let report = if hiding {
                scheme.security_hiding(&lens, claims.len())
            } else {
                scheme.security(&lens, claims.len())
            }
            .expect("security");
            let r = run(hiding, &tables, &claims);
            println!(
                "| {log_n} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} ({}) |",
                lens.len(),
                claims.len(),
                if hiding { "hiding" } else { "plain" },
                r.commit.as_secs_f64() * 1e3,
                r.open.as_secs_f64() * 1e3,
                (r.commit + r.open).as_secs_f64() * 1e3,
                r.verify.as_secs_f64() * 1e3,
                r.proof_bytes as f64 / 1024.0,
                report.bits,
                report.per_term_bits,
            );
        }
    }
}
