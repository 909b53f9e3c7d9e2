//! Benchmark of the zero-knowledge lookup argument (`lucid_lookup::zk`) against the plain
//! LogUp-GKR (`prove_lookups`): `2^16` entries range-checked into `[0, 2^16)`, commitments
//! excluded. Prints prove and verify times, proof sizes, and how many base-field elements each
//! variant asks the caller to commit.
//!
//! Run: `cargo bench -p lucid-lookup --bench zk_lookup` (optionally `-- <log_entries> <log_table>`).

use std::time::Instant;

use lucid_core::field::F;
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_lookup::zk::{self, ZkWitness};
use lucid_lookup::{LookupInstance, TableSpec, multiplicities, prove_lookups, verify_lookups};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn transcript() -> Transcript {
    let mut st = StatementTranscript::new(b"zk-lookup-bench");
    st.observe_bytes(b"phase-1 commitment", b"stand-in");
    st.finish()
}

fn ms(a: Instant, b: Instant) -> f64 {
    (b - a).as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let log_entries = args.first().copied().unwrap_or(16);
    let log_table = args.get(1).copied().unwrap_or(16);
    const REPS: usize = 5;

    let mut rng = SmallRng::seed_from_u64(0);
    let table = TableSpec::unsigned_range(log_table);
    let values: Vec<F> = (0..1usize << log_entries)
        .map(|_| F::from_u64(rng.random_range(0..1u64 << log_table)))
        .collect();
    let instances = vec![LookupInstance::range(table, values)];
    let shapes: Vec<_> = instances.iter().map(LookupInstance::shape).collect();

    // [multiplicities, prove, verify] for the plain argument; [multiplicities, blind (phase 1),
    // phase 2, phase 3, verify] for the ZK one.
    let mut plain = [vec![], vec![], vec![]];
    let mut zk_t = [vec![], vec![], vec![], vec![], vec![]];
    let (mut plain_bytes, mut zk_bytes) = (0, 0);
    let (mut plain_committed, mut zk_phase1, mut zk_phase2) = (0, 0, 0);
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
        plain[0].push(ms(t0, t1));
        plain[1].push(ms(t1, t2));
        plain[2].push(ms(t2, t3));
        plain_bytes = bincode::serialize(&proof).expect("serializable").len();
        plain_committed = instances[0].columns[0].len() + m.iter().map(Vec::len).sum::<usize>();

        let t0 = Instant::now();
        let m = multiplicities(&instances).expect("entries are in the table");
        let t1 = Instant::now();
        let witness = ZkWitness::new(&instances, &m, &mut rng).expect("well-shaped");
        let t2 = Instant::now();
        let mut t = transcript();
        let helpers = zk::prove_phase2(&witness, &mut t, &mut rng).expect("non-zero");
        t.label(b"stand-in phase-2 commitment");
        let t3 = Instant::now();
        let (proof, claims) = zk::prove(&witness, &helpers, &mut t).expect("consistent");
        let t4 = Instant::now();
        let mut t = transcript();
        let ch = zk::verify_phase2(&shapes, &mut t).expect("valid shapes");
        t.label(b"stand-in phase-2 commitment");
        let verified = zk::verify(&shapes, &ch, &proof, &mut t).expect("verifies");
        let t5 = Instant::now();
        assert_eq!(verified, claims);
        for (v, d) in
            zk_t.iter_mut()
                .zip([ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t3, t4), ms(t4, t5)])
        {
            v.push(d);
        }
        zk_bytes = bincode::serialize(&proof).expect("serializable").len();
        zk_phase1 = witness
            .committed_tables()
            .iter()
            .map(|(_, t)| t.len())
            .sum::<usize>();
        zk_phase2 = helpers.num_committed_elements();
    }
    let [pm, pp, pv] = plain.map(|mut v| median(&mut v));
    let [zm, zb, z2, z3, zv] = zk_t.map(|mut v| median(&mut v));
    println!(
        "Lookups: 2^{log_entries} entries into a 2^{log_table} range table ({REPS} runs, median; commitments excluded)"
    );
    println!(
        "| argument | multiplicities ms | prove ms (excl. mult.) | verify ms | proof bytes | base-field elements committed |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| LogUp-GKR (`prove_lookups`) | {pm:.1} | {pp:.1} | {pv:.2} | {plain_bytes} | {plain_committed} |"
    );
    println!(
        "| ZK LogUp (`zk`): blind {zb:.1} + phase 2 {z2:.1} + phase 3 {z3:.1} | {zm:.1} | {:.1} | {zv:.2} | {zk_bytes} | {} (phase 1: {zk_phase1}, phase 2: {zk_phase2}) |",
        zb + z2 + z3,
        zk_phase1 + zk_phase2
    );
    println!(
        "ZK extra base-field elements to commit: {} ({:.1}x the plain argument's)",
        zk_phase1 + zk_phase2 - plain_committed,
        (zk_phase1 + zk_phase2) as f64 / plain_committed as f64
    );
}
