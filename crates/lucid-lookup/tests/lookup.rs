//! End-to-end tests of the batched LogUp-GKR lookup argument: completeness over several tables,
//! lengths and a tuple lookup; rejection of entries outside a table, wrong multiplicities,
//! every tampered proof element, malformed proofs and wrong table specs.

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_base;
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_lookup::{
    InstanceShape, LookupClaims, LookupError, LookupInstance, LookupLayout, LookupProof, TableSpec,
    multiplicities, prove_lookups, verify_lookups,
};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn transcript() -> Transcript {
    let mut st = StatementTranscript::new(b"lookup-test");
    st.observe_base_slice(b"commitments", &[F::from_u64(42)]);
    st.finish()
}

fn shapes(instances: &[LookupInstance]) -> Vec<InstanceShape> {
    instances.iter().map(LookupInstance::shape).collect()
}

fn prove(instances: &[LookupInstance], m: &[Vec<F>]) -> (LookupProof, LookupClaims) {
    prove_lookups(instances, m, &mut transcript()).expect("well-shaped instances")
}

fn verify(shapes: &[InstanceShape], proof: &LookupProof) -> Result<LookupClaims, LookupError> {
    verify_lookups(shapes, proof, &mut transcript())
}

fn relu_table() -> TableSpec {
    TableSpec::function_from(5, -16, |x| x.max(0))
}

fn random_in(rng: &mut SmallRng, table: &TableSpec, len: usize) -> Vec<F> {
    (0..len)
        .map(|_| table.input(rng.random_range(0..table.size())))
        .collect()
}

fn tuple_lookup(rng: &mut SmallRng, table: &TableSpec, len: usize) -> LookupInstance {
    let inputs = random_in(rng, table, len);
    let outputs = inputs
        .iter()
        .map(|&x| {
            let j = (0..table.size())
                .find(|&j| table.input(j) == x)
                .expect("input is in the table");
            table.columns()[1][j]
        })
        .collect();
    LookupInstance::function(table.clone(), inputs, outputs)
}

/// Several tables, several lookups each, lengths that are not powers of two (and of one entry),
/// equal-size trees sharing a group, and a tuple lookup into a function table.
fn mixed_instances() -> Vec<LookupInstance> {
    let mut rng = SmallRng::seed_from_u64(1);
    let r8 = TableSpec::unsigned_range(8);
    let signed = TableSpec::range(4, -8);
    let relu = relu_table();
    vec![
        LookupInstance::range(r8.clone(), random_in(&mut rng, &r8, 100)),
        LookupInstance::range(signed.clone(), random_in(&mut rng, &signed, 7)),
        tuple_lookup(&mut rng, &relu, 50),
        LookupInstance::range(r8.clone(), random_in(&mut rng, &r8, 256)),
        LookupInstance::range(signed.clone(), random_in(&mut rng, &signed, 1)),
        LookupInstance::range(r8.clone(), random_in(&mut rng, &r8, 3)),
        tuple_lookup(&mut rng, &relu, 32),
    ]
}

/// The claims must be true of the actual columns (zero-padded) and multiplicities.
fn assert_claims_true(instances: &[LookupInstance], m: &[Vec<F>], claims: &LookupClaims) {
    for (inst, claim) in instances.iter().zip(&claims.columns) {
        assert_eq!(claim.point.len(), inst.shape().num_vars());
        for (col, &value) in inst.columns.iter().zip(&claim.column_evals) {
            let mut padded = col.clone();
            padded.resize(1 << claim.point.len(), F::ZERO);
            assert_eq!(eval_mle_base(&padded, &claim.point), value);
        }
    }
    for (mult, claim) in m.iter().zip(&claims.multiplicities) {
        assert_eq!(eval_mle_base(mult, &claim.point), claim.value);
    }
}

#[test]
fn honest_lookups_verify_and_claims_are_true() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("all entries are in their tables");
    let (proof, claims) = prove(&instances, &m);
    let verified = verify(&shapes(&instances), &proof).expect("honest proof verifies");
    assert_eq!(verified, claims);
    assert_eq!(claims.columns.len(), instances.len());
    assert_eq!(claims.multiplicities.len(), 3);
    assert_claims_true(&instances, &m, &claims);
}

#[test]
fn single_lookup_and_serialization_round_trip() {
    let mut rng = SmallRng::seed_from_u64(2);
    let t = TableSpec::unsigned_range(4);
    let instances = vec![LookupInstance::range(
        t.clone(),
        random_in(&mut rng, &t, 16),
    )];
    let m = multiplicities(&instances).expect("in table");
    let (proof, _) = prove(&instances, &m);
    let bytes = bincode::serialize(&proof).expect("serializable");
    let back: LookupProof = bincode::deserialize(&bytes).expect("deserializable");
    assert_eq!(back, proof);
    assert!(proof.size_bytes() > 0 && proof.size_bytes() <= bytes.len());
    verify(&shapes(&instances), &back).expect("round-tripped proof verifies");
}

#[test]
fn proof_is_bound_to_the_transcript() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("in table");
    let (proof, _) = prove(&instances, &m);
    let mut other = StatementTranscript::new(b"lookup-test");
    other.observe_base_slice(b"commitments", &[F::from_u64(43)]);
    assert!(verify_lookups(&shapes(&instances), &proof, &mut other.finish()).is_err());
}

/// One entry outside its table: there are no honest multiplicities, and whatever the prover
/// uses instead, the proof fails.
#[test]
fn entry_outside_the_table_is_rejected() {
    let mut instances = mixed_instances();
    instances[0].columns[0][17] = F::from_u64(256); // r8 holds 0..=255
    assert_eq!(
        multiplicities(&instances),
        Err(LookupError::NotInTable {
            instance: 0,
            index: 17
        })
    );
    // Multiplicities of every other entry (the bad one simply not counted).
    let mut without_bad = instances.clone();
    without_bad[0].columns[0][17] = F::ZERO;
    let mut m = multiplicities(&without_bad).expect("in table");
    let (proof, _) = prove(&instances, &m);
    assert!(matches!(
        verify(&shapes(&instances), &proof),
        Err(LookupError::RootMismatch { table: 0, .. })
    ));
    // Counting it at the nearest row does not help either.
    m[0][255] += F::ONE;
    let (proof, _) = prove(&instances, &m);
    assert!(matches!(
        verify(&shapes(&instances), &proof),
        Err(LookupError::RootMismatch { table: 0, .. })
    ));
    // A tuple whose output is wrong for its input.
    let mut instances = mixed_instances();
    instances[2].columns[1][3] += F::ONE;
    assert!(multiplicities(&instances).is_err());
    let mut fixed = instances.clone();
    fixed[2].columns[1][3] -= F::ONE;
    let m = multiplicities(&fixed).expect("in table");
    let (proof, _) = prove(&instances, &m);
    assert!(matches!(
        verify(&shapes(&instances), &proof),
        Err(LookupError::RootMismatch { table: 2, .. })
    ));
}

/// A prover that proves an in-table column but holds (committed) a column with one value outside
/// the table: the proof verifies, but its column claim is false of the committed column, so the
/// caller's opening rejects it.
#[test]
fn lying_about_a_witness_value_breaks_the_claims() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("in table");
    let (proof, claims) = prove(&instances, &m);
    let verified = verify(&shapes(&instances), &proof).expect("the proved column is honest");
    let mut committed = instances[0].columns[0].clone();
    committed[5] = F::from_u64(1000);
    committed.resize(1 << verified.columns[0].point.len(), F::ZERO);
    assert_ne!(
        eval_mle_base(&committed, &verified.columns[0].point),
        claims.columns[0].column_evals[0]
    );
}

#[test]
fn wrong_multiplicities_are_rejected() {
    let instances = mixed_instances();
    let honest = multiplicities(&instances).expect("in table");
    for t in 0..honest.len() {
        // Move one count to another row.
        let mut m = honest.clone();
        let from = m[t].iter().position(|&c| c != F::ZERO).expect("table used");
        m[t][from] -= F::ONE;
        let to = (from + 1) % m[t].len();
        m[t][to] += F::ONE;
        let (proof, _) = prove(&instances, &m);
        assert!(
            matches!(
                verify(&shapes(&instances), &proof),
                Err(LookupError::RootMismatch { table, .. }) if table == t
            ),
            "table {t}"
        );
        // One count too many.
        let mut m = honest.clone();
        m[t][0] += F::ONE;
        let (proof, _) = prove(&instances, &m);
        assert!(verify(&shapes(&instances), &proof).is_err(), "table {t}");
    }
    // Wrong shapes of the multiplicities are prover errors, not panics.
    let mut short = honest.clone();
    short[1].pop();
    assert!(matches!(
        prove_lookups(&instances, &short, &mut transcript()),
        Err(LookupError::Multiplicities { .. })
    ));
    assert!(matches!(
        prove_lookups(&instances, &honest[..2], &mut transcript()),
        Err(LookupError::Multiplicities { .. })
    ));
}

/// Every extension-field element of the proof, in a fixed order.
fn elements_mut(proof: &mut LookupProof) -> Vec<&mut EF> {
    let mut out: Vec<&mut EF> = proof.top.iter_mut().flat_map(|q| q.iter_mut()).collect();
    for g in &mut proof.groups {
        for layer in &mut g.layers {
            for round in &mut layer.sumcheck.round_polys {
                out.extend(round.iter_mut());
            }
            out.extend(layer.evals.iter_mut().flat_map(|q| q.iter_mut()));
        }
        out.extend(g.leaf_evals.iter_mut().flat_map(|v| v.iter_mut()));
    }
    out
}

#[test]
fn every_tampered_proof_element_is_rejected() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("in table");
    let (proof, _) = prove(&instances, &m);
    let shapes = shapes(&instances);
    let n = elements_mut(&mut proof.clone()).len();
    assert_eq!(n, proof.num_elements());
    for k in 0..n {
        let mut bad = proof.clone();
        *elements_mut(&mut bad)[k] += EF::ONE;
        assert!(verify(&shapes, &bad).is_err(), "element {k} of {n}");
    }
}

#[test]
fn each_check_fires() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("in table");
    let (proof, _) = prove(&instances, &m);
    let shapes = shapes(&instances);
    let last = proof.groups.len() - 1;

    let mut bad = proof.clone();
    bad.top[0][0] += EF::ONE;
    assert!(matches!(
        verify(&shapes, &bad),
        Err(LookupError::RootMismatch { table: 0, .. })
    ));

    let mut bad = proof.clone();
    bad.top[1][1] = EF::ZERO;
    assert!(matches!(
        verify(&shapes, &bad),
        Err(LookupError::ZeroDenominator { tree: 1 })
    ));

    let mut bad = proof.clone();
    bad.groups[last].layers[2].sumcheck.round_polys[1][0] += EF::ONE;
    assert!(matches!(
        verify(&shapes, &bad),
        Err(LookupError::Sumcheck { layer: 3, .. })
    ));

    let mut bad = proof.clone();
    bad.groups[last].layers[2].evals[0][3] += EF::ONE;
    assert!(matches!(
        verify(&shapes, &bad),
        Err(LookupError::LayerMismatch { layer: 3, .. })
    ));

    let mut bad = proof.clone();
    bad.groups[last].leaf_evals[0][0] += EF::ONE;
    assert!(matches!(
        verify(&shapes, &bad),
        Err(LookupError::LeafMismatch {
            what: "denominator",
            ..
        })
    ));
}

#[test]
fn malformed_proofs_are_errors_not_panics() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("in table");
    let (proof, _) = prove(&instances, &m);
    let shapes = shapes(&instances);
    let last = proof.groups.len() - 1;
    let mut cases: Vec<LookupProof> = Vec::new();
    let mut bad = proof.clone();
    bad.top.pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups.pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups[last].layers.pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups[last].layers[1].evals.pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups[last].layers[1].sumcheck.round_polys.pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups[last].layers[1].sumcheck.round_polys[0].pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups[last].leaf_evals[0].push(EF::ZERO);
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups[last].leaf_evals.pop();
    cases.push(bad);
    let mut bad = proof.clone();
    bad.groups.swap(0, 1);
    cases.push(bad);
    for (k, bad) in cases.iter().enumerate() {
        assert!(verify(&shapes, bad).is_err(), "case {k}");
    }
}

#[test]
fn wrong_table_spec_is_rejected() {
    let instances = mixed_instances();
    let m = multiplicities(&instances).expect("in table");
    let (proof, _) = prove(&instances, &m);
    let honest = shapes(&instances);
    let relu = relu_table();
    let mut changed_outputs = relu.columns()[1].clone();
    changed_outputs[20] += F::ONE;
    let variants = [
        // Same size, different offset.
        (0, TableSpec::range(8, 1)),
        // A function table with one output changed.
        (2, TableSpec::function(5, -16, changed_outputs)),
        // Another function of the same domain.
        (2, TableSpec::function_from(5, -16, |x| x.abs())),
        // A range table where a function table was used (different column count).
        (1, TableSpec::range(5, -16)),
        // A smaller range table.
        (0, TableSpec::unsigned_range(7)),
    ];
    for (k, (instance, spec)) in variants.into_iter().enumerate() {
        let mut shapes = honest.clone();
        let old = shapes[instance].table.clone();
        for s in shapes.iter_mut().filter(|s| s.table == old) {
            s.table = spec.clone();
        }
        assert!(verify(&shapes, &proof).is_err(), "variant {k}");
    }
    // A wrong length is a wrong statement too.
    let mut shapes = honest.clone();
    shapes[0].len -= 1;
    assert!(verify(&shapes, &proof).is_err());
    // An invalid spec is an error.
    let mut shapes = honest;
    shapes[0].table = TableSpec::unsigned_range(0);
    assert!(matches!(
        verify(&shapes, &proof),
        Err(LookupError::TableSize { .. })
    ));
}

#[test]
fn layout_orders_multiplicities_by_first_use() {
    let instances = mixed_instances();
    let layout = LookupLayout::new(&shapes(&instances)).expect("valid");
    assert_eq!(
        layout.tables,
        vec![
            TableSpec::unsigned_range(8),
            TableSpec::range(4, -8),
            relu_table()
        ]
    );
    let m = multiplicities(&instances).expect("in table");
    let total: Vec<u64> = m
        .iter()
        .map(|v| {
            v.iter()
                .map(|c| lucid_lookup::table::to_signed(*c) as u64)
                .sum()
        })
        .collect();
    assert_eq!(total, vec![100 + 256 + 3, 7 + 1, 50 + 32]);
}
