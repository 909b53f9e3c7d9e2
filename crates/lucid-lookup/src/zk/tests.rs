//! Completeness and soundness tests of the zero-knowledge lookup argument. Commitments are
//! stand-ins (fixed transcript labels); claims are settled by evaluating the committed tables
//! directly, as a hiding opening would.

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::eval_mle_base;
use lucid_core::transcript::{StatementTranscript, Transcript};
use p3_field::PrimeCharacteristicRing;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::*;
use crate::layout::{InstanceShape, LookupInstance};
use crate::table::TableSpec;
use crate::witness::multiplicities;

/// The transcript after the statement and the (stand-in) phase-1 commitment.
pub(super) fn transcript() -> Transcript {
    let mut st = StatementTranscript::new(b"zk-lookup-test");
    st.observe_bytes(b"phase-1 commitment", b"stand-in for a hiding commitment");
    st.finish()
}

/// The (stand-in) phase-2 commitment.
pub(super) fn commit_phase2(t: &mut Transcript) {
    t.label(b"stand-in for the helper and mask commitment");
}

pub(super) fn v(xs: &[i64]) -> Vec<F> {
    xs.iter().map(|&x| from_i64(x)).collect()
}

pub(super) struct Run {
    pub shapes: Vec<InstanceShape>,
    pub witness: ZkWitness,
    pub helpers: HelperColumns,
    pub proof: ZkLookupProof,
    pub claims: Vec<ZkClaim>,
}

pub(super) fn run_with(witness: ZkWitness, rng: &mut SmallRng) -> Run {
    let mut t = transcript();
    let helpers = prove_phase2(&witness, &mut t, rng).expect("non-zero denominators");
    commit_phase2(&mut t);
    let (proof, claims) = prove(&witness, &helpers, &mut t).expect("consistent helpers");
    Run {
        shapes: witness.shapes().to_vec(),
        witness,
        helpers,
        proof,
        claims,
    }
}

pub(super) fn run(instances: &[LookupInstance], m: &[Vec<F>], seed: u64) -> Run {
    let mut rng = SmallRng::seed_from_u64(seed);
    let witness = ZkWitness::new(instances, m, &mut rng).expect("well-shaped");
    run_with(witness, &mut rng)
}

/// Recomputes the prover's claims after tampering with its committed tables.
fn reprove(r: &Run) -> (ZkLookupProof, Vec<ZkClaim>) {
    let mut t = transcript();
    let _ = verify_phase2(&r.shapes, &mut t).expect("valid shapes");
    commit_phase2(&mut t);
    prove(&r.witness, &r.helpers, &mut t).expect("consistent helpers")
}

/// Settles claims by evaluating the committed tables (the stand-in for hiding openings).
pub(super) fn settle(
    claims: &[ZkClaim],
    witness: &ZkWitness,
    helpers: &HelperColumns,
) -> Result<(), String> {
    for c in claims {
        let value = match c.table {
            ZkTableId::Mask { group } => helpers
                .masks()
                .get(group)
                .ok_or("no such mask")?
                .evaluate(&c.point)
                .map_err(|e| e.to_string())?,
            id => {
                let table = witness
                    .table(id)
                    .or_else(|| helpers.table(id))
                    .ok_or("no such table")?;
                if table.len() != 1 << c.point.len() {
                    return Err(format!("{id:?}: point of the wrong length"));
                }
                eval_mle_base(table, &c.point)
            }
        };
        if value != c.value {
            return Err(format!(
                "{:?}: opened {value:?}, claimed {:?}",
                c.table, c.value
            ));
        }
    }
    Ok(())
}

/// The verifier's side, then the openings against the committed tables.
pub(super) fn verify_all(
    shapes: &[InstanceShape],
    proof: &ZkLookupProof,
    witness: &ZkWitness,
    helpers: &HelperColumns,
) -> Result<Vec<ZkClaim>, String> {
    let mut t = transcript();
    let ch = verify_phase2(shapes, &mut t).map_err(|e| e.to_string())?;
    commit_phase2(&mut t);
    let claims = verify(shapes, &ch, proof, &mut t).map_err(|e| e.to_string())?;
    settle(&claims, witness, helpers)?;
    Ok(claims)
}

/// Lookups of five sizes into four tables: two range tables, a function table (tuple lookups)
/// and a table smaller than the ZK minimum, in four groups (3, 4, 6 and 7 variables).
pub(super) fn mixed_instances() -> Vec<LookupInstance> {
    let r4 = TableSpec::unsigned_range(4);
    let sq = TableSpec::function_from(3, -4, |x| x * x);
    let signed = TableSpec::range(6, -32);
    let tiny = TableSpec::unsigned_range(1);
    let xs: Vec<i64> = (0..9).map(|k| k % 8 - 4).collect();
    let ys: Vec<i64> = xs.iter().map(|x| x * x).collect();
    vec![
        LookupInstance::range(r4.clone(), v(&[0, 15, 7, 7, 3])),
        LookupInstance::function(sq, v(&xs), v(&ys)),
        LookupInstance::range(
            signed,
            v(&(0..100).map(|k| k % 64 - 32).collect::<Vec<_>>()),
        ),
        LookupInstance::range(r4, v(&(0..16).collect::<Vec<_>>())),
        LookupInstance::range(tiny, v(&[1, 0, 1])),
    ]
}

fn honest(instances: &[LookupInstance], seed: u64) -> Run {
    let m = multiplicities(instances).expect("entries in tables");
    run(instances, &m, seed)
}

#[test]
fn layout_groups_by_padded_size() {
    let shapes: Vec<InstanceShape> = mixed_instances().iter().map(|i| i.shape()).collect();
    let layout = ZkLayout::new(&shapes).expect("valid");
    let sizes: Vec<usize> = layout.groups.iter().map(|g| g.num_vars).collect();
    assert_eq!(sizes, vec![3, 4, 6, 7]);
    assert_eq!(layout.instance_group, vec![0, 1, 3, 1, 0]);
    // Tables in order of first use: r4 (4), square (3), signed (6), tiny (1 → 3).
    assert_eq!(layout.table_group, vec![1, 0, 2, 0]);
    assert_eq!(layout.groups[0].carry_in, None);
    assert_eq!(layout.groups[2].carry_in, Some(4));
    assert!(!layout.groups[3].carry_out);
    // Lookups 0 and 4 share an inverse column, as do 1 and 3; lookup 2 has its own.
    assert_eq!(layout.groups[0].slots, vec![0]);
    assert_eq!(layout.slots[0].second, Some(4));
    assert_eq!(layout.slots[1].second, Some(3));
    assert_eq!(layout.slots[2].second, None);
    assert_eq!(layout.num_helper_columns(), 3 + 3);
}

#[test]
fn completeness_mixed_sizes_and_tables() {
    let instances = mixed_instances();
    let r = honest(&instances, 1);
    let claims = verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).expect("honest proof");
    assert_eq!(claims, r.claims);
    // One claim per committed table per query: every phase-1 column and multiplicity once, every
    // helper limb once (carries twice), one mask claim per group.
    let expected = r.witness.committed_tables().len()
        + r.helpers.committed_tables().len()
        + 3 * (r.proof.groups.len() - 1)
        + r.proof.groups.len();
    assert_eq!(claims.len(), expected);
    // Every claim on a private table is at a point whose blinding coordinate is a challenge.
    for c in &claims {
        assert!(c.point[0] != EF::ZERO && c.point[0] != EF::ONE);
    }
}

#[test]
fn completeness_single_group_and_several_seeds() {
    let table = TableSpec::unsigned_range(8);
    let instances = vec![
        LookupInstance::range(
            table.clone(),
            v(&(0..256).map(|k| (k * 37) % 256).collect::<Vec<_>>()),
        ),
        LookupInstance::range(table, v(&[255; 200])),
    ];
    for seed in 0..3 {
        let r = honest(&instances, 10 + seed);
        assert_eq!(r.proof.groups.len(), 1);
        verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).expect("honest proof");
    }
}

#[test]
fn padding_content_is_irrelevant() {
    // Padding of looked-up columns and of a padded table's multiplicities is not constrained.
    let instances = mixed_instances();
    let mut r = honest(&instances, 2);
    r.witness.columns[0][0][6] = F::from_u64(1234); // lookup 0 has 5 entries, 8 slots
    r.witness.multiplicities[3][5] = F::from_u64(9); // tiny table: 2 rows, 8 slots
    let mut rng = SmallRng::seed_from_u64(3);
    let r = run_with(r.witness, &mut rng);
    verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).expect("padding is ignored");
}

#[test]
fn entry_outside_its_table_is_rejected() {
    let table = TableSpec::unsigned_range(3);
    // 9 is not in [0, 8); its multiplicity is claimed on row 1 instead.
    let instances = vec![LookupInstance::range(table.clone(), v(&[1, 2, 9, 2]))];
    let m = vec![v(&[0, 2, 2, 0, 0, 0, 0, 0])];
    let r = run(&instances, &m, 4);
    assert!(verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).is_err());
    // The same value, correct but in another table of the batch, does not pay either: the
    // table tag separates tables.
    let big = TableSpec::unsigned_range(4);
    let instances = vec![
        LookupInstance::range(table, v(&[1, 2, 9, 2])),
        LookupInstance::range(big, v(&[3])),
    ];
    let mut big_m = vec![F::ZERO; 16];
    big_m[3] = F::ONE;
    big_m[9] = F::ONE;
    let m = vec![v(&[0, 1, 2, 0, 0, 0, 0, 0]), big_m];
    let r = run(&instances, &m, 5);
    assert!(verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).is_err());
    // A function lookup with a wrong output.
    let sq = TableSpec::function_from(3, 0, |x| x * x);
    let instances = vec![LookupInstance::function(sq, v(&[2, 3]), v(&[4, 10]))];
    let m = vec![v(&[0, 0, 1, 1, 0, 0, 0, 0])];
    let r = run(&instances, &m, 6);
    assert!(verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).is_err());
    // Two lookups sharing one inverse column: a bad entry in either one is caught, with the
    // multiplicities claiming it on a row of its table.
    let table = TableSpec::unsigned_range(3);
    for bad in 0..2 {
        let mut lists = [v(&[1, 2, 3, 2]), v(&[4, 4, 5])];
        lists[bad][1] = F::from_u64(9);
        let instances: Vec<LookupInstance> = lists
            .iter()
            .map(|l| LookupInstance::range(table.clone(), l.clone()))
            .collect();
        let layout =
            ZkLayout::new(&instances.iter().map(|i| i.shape()).collect::<Vec<_>>()).expect("valid");
        assert_eq!(layout.slots.len(), 1, "the two lookups share a column");
        let mut m = multiplicities(&[
            LookupInstance::range(table.clone(), v(&[1, 2, 3, 2])),
            LookupInstance::range(table.clone(), v(&[4, 4, 5])),
        ])
        .expect("in table");
        // The honest counts, with the replaced value's count moved to the bad value's slot.
        let replaced = if bad == 0 { 2 } else { 4 };
        m[0][replaced] -= F::ONE;
        m[0][7] += F::ONE;
        let r = run(&instances, &m, 20 + bad as u64);
        assert!(
            verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).is_err(),
            "bad entry in lookup {bad} of the pair"
        );
    }
    // A paired function lookup with a wrong output.
    let sq = TableSpec::function_from(3, 0, |x| x * x);
    let instances = vec![
        LookupInstance::function(sq.clone(), v(&[2, 3]), v(&[4, 9])),
        LookupInstance::function(sq, v(&[1, 3]), v(&[1, 10])),
    ];
    let m = vec![v(&[0, 1, 1, 2, 0, 0, 0, 0])];
    let r = run(&instances, &m, 22);
    assert!(verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).is_err());
}

#[test]
fn wrong_multiplicities_are_rejected() {
    let instances = mixed_instances();
    let mut m = multiplicities(&instances).expect("in tables");
    // Moving one count to another row keeps the total.
    m[0][0] += F::ONE;
    m[0][15] -= F::ONE;
    let r = run(&instances, &m, 7);
    assert!(verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).is_err());
}

#[test]
fn tampered_helper_columns_are_rejected() {
    let base = honest(&mixed_instances(), 8);
    type Tamper = Box<dyn Fn(&mut HelperColumns)>;
    let tampers: Vec<(&str, Tamper)> = vec![
        ("h of a pair", Box::new(|h| h.inverses[1][0][2] += F::ONE)),
        ("h limb 2", Box::new(|h| h.inverses[0][2][0] += F::ONE)),
        (
            "h of a single lookup",
            Box::new(|h| h.inverses[2][1][3] += F::ONE),
        ),
        ("carry", Box::new(|h| h.carries[1][0][5] += F::ONE)),
        // h moved from a real entry of lookup 0 to its padding (same LogUp sum).
        (
            "h on padding",
            Box::new(|h| {
                let moved = h.inverses[0][0][0];
                h.inverses[0][0][0] = F::ZERO;
                h.inverses[0][0][7] += moved;
            }),
        ),
    ];
    for (what, tamper) in tampers {
        let mut r = Run {
            shapes: base.shapes.clone(),
            witness: base.witness.clone(),
            helpers: base.helpers.clone(),
            proof: base.proof.clone(),
            claims: base.claims.clone(),
        };
        tamper(&mut r.helpers);
        let (proof, _) = reprove(&r);
        assert!(
            verify_all(&r.shapes, &proof, &r.witness, &r.helpers).is_err(),
            "{what}"
        );
        // The honest proof against the tampered commitment fails too.
        assert!(
            verify_all(&r.shapes, &base.proof, &r.witness, &r.helpers).is_err(),
            "{what}"
        );
    }
}

/// Every extension-field element of a proof, mutably, in a fixed order.
pub(super) fn proof_fields(proof: &mut ZkLookupProof) -> Vec<&mut EF> {
    let mut out = Vec::new();
    for g in &mut proof.groups {
        out.push(&mut g.sumcheck.mask_sum);
        for p in &mut g.sumcheck.round_polys {
            out.extend(p.iter_mut());
        }
        out.extend(g.evals.iter_mut());
        out.push(&mut g.mask_eval);
    }
    out
}

#[test]
fn every_tampered_proof_field_is_rejected() {
    let r = honest(&mixed_instances(), 9);
    let count = proof_fields(&mut r.proof.clone()).len();
    assert_eq!(count, r.proof.num_elements());
    for k in 0..count {
        let mut proof = r.proof.clone();
        *proof_fields(&mut proof)[k] += EF::ONE;
        assert!(
            verify_all(&r.shapes, &proof, &r.witness, &r.helpers).is_err(),
            "field {k}"
        );
    }
}

#[test]
fn every_wrong_claim_value_is_rejected() {
    let r = honest(&mixed_instances(), 10);
    settle(&r.claims, &r.witness, &r.helpers).expect("honest claims");
    for k in 0..r.claims.len() {
        let mut claims = r.claims.clone();
        claims[k].value += EF::ONE;
        assert!(
            settle(&claims, &r.witness, &r.helpers).is_err(),
            "claim {k}"
        );
        let mut claims = r.claims.clone();
        claims[k].point[0] += EF::ONE;
        assert!(
            settle(&claims, &r.witness, &r.helpers).is_err(),
            "claim {k}"
        );
    }
}

#[test]
fn malformed_proofs_are_rejected_without_panics() {
    let r = honest(&mixed_instances(), 11);
    let check = |proof: &ZkLookupProof| verify_all(&r.shapes, proof, &r.witness, &r.helpers);
    let mut p = r.proof.clone();
    p.groups.pop();
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups.push(r.proof.groups[0].clone());
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups[1].evals.pop();
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups[2].evals.push(EF::ONE);
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups[0].sumcheck.round_polys.pop();
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups[3].sumcheck.round_polys[2].push(EF::ONE);
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups[1].sumcheck.round_polys[0].clear();
    assert!(check(&p).is_err());
    let mut p = r.proof.clone();
    p.groups.swap(0, 1);
    assert!(check(&p).is_err());
    // Other shapes than the proved ones.
    let mut shapes = r.shapes.clone();
    shapes[0].len += 1;
    assert!(verify_all(&shapes, &r.proof, &r.witness, &r.helpers).is_err());
    shapes.pop();
    assert!(verify_all(&shapes, &r.proof, &r.witness, &r.helpers).is_err());
    let mut t = transcript();
    assert!(verify_phase2(&[], &mut t).is_ok());
    let bad = InstanceShape {
        table: TableSpec::unsigned_range(0),
        len: 3,
    };
    assert!(verify_phase2(&[bad], &mut t).is_err());
}

#[test]
fn witness_shapes_are_checked() {
    let table = TableSpec::unsigned_range(3);
    let inst = vec![LookupInstance::range(table.clone(), v(&[1, 2]))];
    let mut rng = SmallRng::seed_from_u64(12);
    assert!(ZkWitness::new(&inst, &[], &mut rng).is_err());
    assert!(ZkWitness::new(&inst, &[vec![F::ZERO; 7]], &mut rng).is_err());
    let two = vec![LookupInstance::function(
        TableSpec::function_from(3, 0, |x| x),
        v(&[1, 2]),
        v(&[1]),
    )];
    assert!(ZkWitness::new(&two, &[vec![F::ZERO; 8]], &mut rng).is_err());
    let shapes = vec![inst[0].shape()];
    let col = blind_column(&v(&[1, 2]), 3, &mut rng);
    let m = blind_column(&v(&[0, 1, 1]), 3, &mut rng);
    let w = ZkWitness::from_blinded(&shapes, vec![vec![col.clone()]], vec![m.clone()])
        .expect("right lengths");
    let r = run_with(w, &mut rng);
    verify_all(&r.shapes, &r.proof, &r.witness, &r.helpers).expect("caller-blinded witness");
    assert!(
        ZkWitness::from_blinded(&shapes, vec![vec![col[..8].to_vec()]], vec![m.clone()]).is_err()
    );
    assert!(
        ZkWitness::from_blinded(&shapes, vec![vec![col.clone()]], vec![m[..8].to_vec()]).is_err()
    );
    assert!(ZkWitness::from_blinded(&shapes, vec![], vec![m]).is_err());
    // Helpers of another witness are refused, not a panic.
    let other = honest(&mixed_instances(), 13);
    let mut t = transcript();
    assert!(prove(&r.witness, &other.helpers, &mut t).is_err());
    let mut helpers = r.helpers.clone();
    helpers.inverses[0][1].pop();
    assert!(prove(&r.witness, &helpers, &mut t).is_err());
    let mut helpers = r.helpers.clone();
    helpers.masks[0] = ZkMask::random(3, GROUP_DEGREE, &mut rng);
    assert!(prove(&r.witness, &helpers, &mut t).is_err());
}

#[test]
fn random_malformed_proofs_are_rejected_without_panics() {
    use rand::RngExt;
    let r = honest(&mixed_instances(), 14);
    let mut rng = SmallRng::seed_from_u64(15);
    for _ in 0..200 {
        let mut p = r.proof.clone();
        let g = rng.random_range(0..p.groups.len());
        match rng.random_range(0..5) {
            0 => {
                let len = rng.random_range(0..30);
                p.groups[g].evals.resize(len, rng.random());
            }
            1 => {
                let k = rng.random_range(0..p.groups[g].sumcheck.round_polys.len());
                let len = rng.random_range(0..8);
                p.groups[g].sumcheck.round_polys[k].resize(len, rng.random());
            }
            2 => {
                let len = rng.random_range(0..12);
                p.groups[g]
                    .sumcheck
                    .round_polys
                    .resize(len, vec![EF::ONE; 4]);
            }
            3 => p.groups.truncate(g),
            _ => {
                for e in proof_fields(&mut p) {
                    if rng.random_bool(0.05) {
                        *e = rng.random();
                    }
                }
            }
        }
        if p != r.proof {
            assert!(verify_all(&r.shapes, &p, &r.witness, &r.helpers).is_err());
        }
    }
}
