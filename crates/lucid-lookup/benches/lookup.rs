//! Benchmark of the LogUp-GKR lookup argument: `2^20` entries range-checked into `[0, 2^16)`.
//! Prints prove time (multiplicities included), verify time and proof size.
//!
//! Run: `cargo bench -p lucid-lookup --bench lookup` (optionally `-- <log_entries> <log_table>`).

use std::time::Instant;

use lucid_core::field::F;
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_lookup::{LookupInstance, TableSpec, multiplicities, prove_lookups, verify_lookups};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn transcript() -> Transcript {
    StatementTranscript::new(b"lookup-bench").finish()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let log_entries = args.first().copied().unwrap_or(20);
    let log_table = args.get(1).copied().unwrap_or(16);
    const REPS: usize = 3;

    let mut rng = SmallRng::seed_from_u64(0);
    let table = TableSpec::unsigned_range(log_table);
    let values: Vec<F> = (0..1usize << log_entries)
        .map(|_| F::from_u64(rng.random_range(0..1u64 << log_table)))
        .collect();
    let instances = vec![LookupInstance::range(table, values)];
    let shapes: Vec<_> = instances.iter().map(LookupInstance::shape).collect();

    let mut prove_ms = Vec::new();
    let mut mult_ms = Vec::new();
    let mut verify_ms = Vec::new();
    let mut size = 0;
    for _ in 0..REPS {
        let t0 = Instant::now();
        let m = multiplicities(&instances).expect("entries are in the table");
        let t1 = Instant::now();
        let (proof, claims) =
            prove_lookups(&instances, &m, &mut transcript()).expect("well-shaped lookup");
        let t2 = Instant::now();
        let verified = verify_lookups(&shapes, &proof, &mut transcript()).expect("verifies");
        let t3 = Instant::now();
        assert_eq!(verified, claims);
        mult_ms.push((t1 - t0).as_secs_f64() * 1e3);
        prove_ms.push((t2 - t0).as_secs_f64() * 1e3);
        verify_ms.push((t3 - t2).as_secs_f64() * 1e3);
        size = bincode::serialize(&proof).expect("serializable").len();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "LogUp-GKR lookup: 2^{log_entries} entries into a 2^{log_table} range table ({REPS} runs, median)"
    );
    println!(
        "| entries | table | multiplicities ms | prove ms (incl. mult.) | verify ms | proof bytes (bincode) |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| 2^{log_entries} | 2^{log_table} | {:.1} | {:.1} | {:.2} | {} |",
        median(&mut mult_ms),
        median(&mut prove_ms),
        median(&mut verify_ms),
        size
    );
}
