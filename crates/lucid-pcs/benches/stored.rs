//! Stored prover data (`lucid_pcs::stored`): size of `codeword_bytes`, time to `restore` it,
//! and an opening from restored data against one from fresh data, at the shapes of Lucid's
//! weights commitment (rate 1/4, one rate step per round).
//!
//! Run: `cargo bench -p lucid-pcs --bench stored`. `LUCID_PCS_BENCH_MAX=22` sets the
//! largest size (log2 of elements, default 20). Each restore runs 5 times (best shown).
//! `LUCID_PCS_BENCH_SWEEP=18,22` adds, for those sizes, the opening of restored data under
//! other weights rates and first folding factors: time, proof bytes, security.

use std::time::{Duration, Instant};

use lucid_core::field::{EF, F};
use lucid_core::transcript::StatementTranscript;
use lucid_pcs::{CommitmentScheme, EvalClaim, PcsParams};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let max_log: usize = std::env::var("LUCID_PCS_BENCH_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let params = PcsParams {
        starting_log_inv_rate: 2,
        round_rate_step: Some(1),
        ..PcsParams::default()
    };
    println!("# stored prover data ({params:?})\n");
    println!(
        "| elements | stored bytes | bytes/element | commit ms | restore ms | open (restored) ms | open (fresh) ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    let scheme = CommitmentScheme::new(params);
    for log_n in (14..=max_log).step_by(2) {
        let n = 1usize << log_n;
        let mut rng = SmallRng::seed_from_u64(log_n as u64);
        let table: Vec<F> = (0..n).map(|_| rng.random::<F>()).collect();
        let start = Instant::now();
        let (commitment, data) = scheme.commit(vec![table.clone()]).expect("commit");
        let commit = start.elapsed();
        let bytes = data.codeword_bytes().expect("plain data");
        let mut restore = Duration::MAX;
        let mut restored = None;
        for _ in 0..5 {
            let start = Instant::now();
            let r = scheme
                .restore(&commitment, vec![table.clone()], &bytes)
                .expect("restore");
            // The table copy handed to `restore` is not part of its cost.
            restore = restore.min(start.elapsed());
            restored = Some(r);
        }
        let point: Vec<EF> = (0..log_n).map(|_| rng.random::<EF>()).collect();
        let claims = [EvalClaim {
            table: 0,
            value: mle(&table, &point),
            point,
        }];
        let mut statement = StatementTranscript::new(b"lucid-pcs/stored-bench");
        commitment.observe_statement(&mut statement);
        let open = |d| {
            let start = Instant::now();
            let proof = scheme
                .open(d, &claims, &mut statement.clone().finish())
                .expect("open");
            let elapsed = start.elapsed();
            scheme
                .verify(
                    &commitment,
                    &claims,
                    &proof,
                    &mut statement.clone().finish(),
                )
                .expect("verify");
            elapsed
        };
        let open_restored = open(restored.expect("restored at least once"));
        let open_fresh = open(data);
        println!(
            "| 2^{log_n} | {} | {:.2} | {:.1} | {:.2} | {:.1} | {:.1} |",
            bytes.len(),
            bytes.len() as f64 / (n << params.starting_log_inv_rate) as f64,
            ms(commit),
            ms(restore),
            ms(open_restored),
            ms(open_fresh),
        );
    }
    let sweeps = std::env::var("LUCID_PCS_BENCH_SWEEP").unwrap_or_default();
    for log_n in sweeps.split(',').filter_map(|s| s.trim().parse().ok()) {
        sweep(log_n);
    }
}

/// Opening time (best of 3), proof bytes and bits of restored data under each (rate, step,
/// first folding).
fn sweep(log_n: usize) {
    println!("\n### Weights rates, 2^{log_n} elements, 4 claims, restored data\n");
    println!(
        "| log2(1/rate) | step | first fold | stored MB | commit ms | open ms | proof bytes | bits |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let n = 1usize << log_n;
    let mut rng = SmallRng::seed_from_u64(99);
    let table: Vec<F> = (0..n).map(|_| rng.random::<F>()).collect();
    let claims: Vec<EvalClaim> = (0..4)
        .map(|_| {
            let point: Vec<EF> = (0..log_n).map(|_| rng.random::<EF>()).collect();
            EvalClaim {
                table: 0,
                value: mle(&table, &point),
                point,
            }
        })
        .collect();
    for (rate, step, first) in [
        (2, 1, 4),
        (2, 0, 4),
        (1, 1, 4),
        (3, 1, 4),
        (2, 1, 5),
        (2, 1, 6),
        (1, 1, 5),
        (1, 1, 6),
        (3, 1, 6),
    ] {
        let scheme = CommitmentScheme::new(PcsParams {
            starting_log_inv_rate: rate,
            round_rate_step: Some(step),
            first_folding_factor: Some(first),
            ..PcsParams::default()
        });
        let bits = match scheme.security(&[n], claims.len()) {
            Ok(r) => r.bits,
            Err(e) => {
                println!("| {rate} | {step} | {first} | | | error: {e} | | |");
                continue;
            }
        };
        let start = Instant::now();
        let (commitment, data) = scheme.commit(vec![table.clone()]).expect("commit");
        let commit = start.elapsed();
        let bytes = data.codeword_bytes().expect("plain data");
        drop(data);
        let mut statement = StatementTranscript::new(b"lucid-pcs/stored-sweep");
        commitment.observe_statement(&mut statement);
        let mut best = Duration::MAX;
        let mut size = 0;
        for _ in 0..3 {
            let restored = scheme
                .restore(&commitment, vec![table.clone()], &bytes)
                .expect("restore");
            let start = Instant::now();
            let proof = scheme
                .open(restored, &claims, &mut statement.clone().finish())
                .expect("open");
            best = best.min(start.elapsed());
            size = postcard::to_allocvec(&proof).expect("encode").len();
        }
        println!(
            "| {rate} | {step} | {first} | {:.1} | {:.1} | {:.1} | {size} | {bits:.1} |",
            bytes.len() as f64 / 1e6,
            ms(commit),
            ms(best)
        );
    }
}

fn mle(table: &[F], point: &[EF]) -> EF {
    let mut values: Vec<EF> = table.iter().map(|&x| EF::from(x)).collect();
    for &r in point {
        let half = values.len() / 2;
        let (lo, hi) = values.split_at(half);
        values = lo.iter().zip(hi).map(|(&a, &b)| a + r * (b - a)).collect();
    }
    values[0]
}
