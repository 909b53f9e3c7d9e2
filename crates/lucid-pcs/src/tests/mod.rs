//! Completeness and soundness tests of the commitment scheme.

mod hiding;
mod stacked;
mod stored;
mod tamper;

use lucid_core::field::{EF, F};
use lucid_core::transcript::{StatementTranscript, Transcript};
use p3_field::PrimeCharacteristicRing;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::{
    Commitment, CommitmentScheme, EvalClaim, OpeningProof, PcsError, PcsParams, ProverData,
};

/// Test parameters: the 100-bit target, with little grinding so that tests stay fast.
pub(crate) fn test_params() -> PcsParams {
    PcsParams {
        pow_bits: 8,
        ..PcsParams::default()
    }
}

/// The multilinear extension of `table` (zero-padded) at `point`, `point[0]` most significant.
pub(crate) fn mle(table: &[F], point: &[EF]) -> EF {
    let mut values: Vec<EF> = table.iter().map(|&x| EF::from(x)).collect();
    values.resize(1 << point.len(), EF::ZERO);
    for &r in point {
        let half = values.len() / 2;
        let (lo, hi) = values.split_at(half);
        values = lo.iter().zip(hi).map(|(&a, &b)| a + r * (b - a)).collect();
    }
    values[0]
}

pub(crate) fn transcript() -> Transcript {
    StatementTranscript::new(b"lucid-pcs/test").finish()
}

pub(crate) fn random_tables(rng: &mut SmallRng, lens: &[usize]) -> Vec<Vec<F>> {
    lens.iter()
        .map(|&n| (0..n).map(|_| rng.random::<F>()).collect())
        .collect()
}

/// `per_table` random claims on every table, with their true values.
pub(crate) fn random_claims(
    rng: &mut SmallRng,
    tables: &[Vec<F>],
    per_table: usize,
) -> Vec<EvalClaim> {
    let mut claims = Vec::new();
    for _ in 0..per_table {
        for (t, table) in tables.iter().enumerate() {
            let vars = crate::params::table_variables(table.len());
            let point: Vec<EF> = (0..vars).map(|_| rng.random::<EF>()).collect();
            let value = mle(table, &point);
            claims.push(EvalClaim {
                table: t,
                point,
                value,
            });
        }
    }
    // Interleave tables in a non-sorted order, so the scheme's reordering is exercised.
    claims.reverse();
    claims
}

pub(crate) struct Fixture {
    pub scheme: CommitmentScheme,
    pub commitment: Commitment,
    pub claims: Vec<EvalClaim>,
    pub proof: OpeningProof,
}

/// Commits, binds the commitment, then opens; returns what the verifier sees.
pub(crate) fn prove(lens: &[usize], per_table: usize, seed: u64) -> Fixture {
    let mut rng = SmallRng::seed_from_u64(seed);
    let tables = random_tables(&mut rng, lens);
    let claims = random_claims(&mut rng, &tables, per_table);
    prove_with(tables, claims, |s, t| s.commit(t))
}

/// Commits `tables` with `commit`, binds the commitment, then opens `claims`.
pub(crate) fn prove_with(
    tables: Vec<Vec<F>>,
    claims: Vec<EvalClaim>,
    commit: impl FnOnce(&CommitmentScheme, Vec<Vec<F>>) -> Result<(Commitment, ProverData), PcsError>,
) -> Fixture {
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = commit(&scheme, tables).expect("commit");
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme.open(data, &claims, &mut t).expect("open");
    Fixture {
        scheme,
        commitment,
        claims,
        proof,
    }
}

impl Fixture {
    pub fn verify_with(
        &self,
        commitment: &Commitment,
        claims: &[EvalClaim],
        proof: &OpeningProof,
    ) -> Result<(), PcsError> {
        let mut t = transcript();
        commitment.observe(&mut t);
        self.scheme.verify(commitment, claims, proof, &mut t)
    }

    pub fn verify(&self) -> Result<(), PcsError> {
        self.verify_with(&self.commitment, &self.claims, &self.proof)
    }
}

#[test]
fn mixed_sizes_many_claims_verify() {
    // Non-power-of-two lengths, a table below the folding factor, one of length 1.
    let f = prove(&[1000, 256, 37, 4096, 1, 3], 3, 1);
    assert_eq!(f.claims.len(), 18);
    f.verify().expect("honest proof verifies");
}

#[test]
fn single_table_single_claim_verifies() {
    let f = prove(&[1 << 10], 1, 2);
    f.verify().expect("honest proof verifies");
}

#[test]
fn several_claims_at_the_same_point_verify() {
    let mut rng = SmallRng::seed_from_u64(3);
    let tables = random_tables(&mut rng, &[64, 64]);
    let point: Vec<EF> = (0..6).map(|_| rng.random::<EF>()).collect();
    let claims: Vec<EvalClaim> = [0, 1, 0]
        .iter()
        .map(|&t| EvalClaim {
            table: t,
            point: point.clone(),
            value: mle(&tables[t], &point),
        })
        .collect();
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables).expect("commit");
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme.open(data, &claims, &mut t).expect("open");
    let mut t = transcript();
    commitment.observe(&mut t);
    scheme
        .verify(&commitment, &claims, &proof, &mut t)
        .expect("verifies");
}

#[test]
fn boolean_points_open_table_entries() {
    // The convention check: at a Boolean point the claim is the entry whose index has
    // point[0] as its most significant bit.
    let mut rng = SmallRng::seed_from_u64(4);
    let tables = random_tables(&mut rng, &[16, 5]);
    let claims = vec![
        EvalClaim {
            table: 0,
            point: vec![EF::ONE, EF::ZERO, EF::ZERO, EF::ONE],
            value: EF::from(tables[0][9]),
        },
        EvalClaim {
            table: 1,
            // Index 4 = 0b100 in 3 variables.
            point: vec![EF::ONE, EF::ZERO, EF::ZERO],
            value: EF::from(tables[1][4]),
        },
    ];
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables).expect("commit");
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme.open(data, &claims, &mut t).expect("open");
    let mut t = transcript();
    commitment.observe(&mut t);
    scheme
        .verify(&commitment, &claims, &proof, &mut t)
        .expect("verifies");
}

#[test]
fn prover_refuses_a_wrong_claimed_value() {
    let mut rng = SmallRng::seed_from_u64(5);
    let tables = random_tables(&mut rng, &[128, 32]);
    let mut claims = random_claims(&mut rng, &tables, 2);
    claims[1].value += EF::ONE;
    let scheme = CommitmentScheme::new(test_params());
    let (_, data) = scheme.commit(tables).expect("commit");
    let err = scheme.open(data, &claims, &mut transcript()).unwrap_err();
    assert!(
        matches!(err, PcsError::WrongClaimedValue { claim: 1, .. }),
        "{err}"
    );
}

#[test]
fn changed_claimed_value_is_rejected() {
    let f = prove(&[300, 64], 2, 6);
    for i in 0..f.claims.len() {
        let mut claims = f.claims.clone();
        claims[i].value += EF::ONE;
        assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
    }
}

#[test]
fn changed_point_is_rejected() {
    let f = prove(&[300, 64], 2, 7);
    for i in 0..f.claims.len() {
        for c in 0..f.claims[i].point.len() {
            let mut claims = f.claims.clone();
            claims[i].point[c] += EF::ONE;
            assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
        }
    }
}

#[test]
fn swapped_or_dropped_claims_are_rejected() {
    let f = prove(&[64, 64], 2, 8);
    let mut claims = f.claims.clone();
    claims.swap(0, 1);
    assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
    // Moving a claim to another table of the same size.
    let mut claims = f.claims.clone();
    claims[0].table = 1 - claims[0].table;
    assert!(f.verify_with(&f.commitment, &claims, &f.proof).is_err());
    let claims = &f.claims[1..];
    assert!(f.verify_with(&f.commitment, claims, &f.proof).is_err());
}

#[test]
fn changed_commitment_is_rejected() {
    let f = prove(&[300, 64], 2, 9);
    // Every root element.
    for i in 0..4 {
        let mut json = serde_json::to_value(&f.commitment).expect("serialize");
        let x = &mut json["root"]["cap"][0][i];
        *x = serde_json::Value::from(x.as_u64().expect("u64") ^ 1);
        let commitment: Commitment = serde_json::from_value(json).expect("still canonical");
        assert!(f.verify_with(&commitment, &f.claims, &f.proof).is_err());
    }
    // A different table length with the same number of variables.
    let mut commitment = f.commitment.clone();
    commitment.table_lens[0] = 290;
    assert!(f.verify_with(&commitment, &f.claims, &f.proof).is_err());
    // A different table length with a different number of variables.
    let mut commitment = f.commitment.clone();
    commitment.table_lens[1] = 65;
    assert!(f.verify_with(&commitment, &f.claims, &f.proof).is_err());
    // Malformed commitments.
    let mut commitment = f.commitment.clone();
    commitment.table_lens.clear();
    assert!(matches!(
        f.verify_with(&commitment, &[], &f.proof),
        Err(PcsError::NoTables)
    ));
    let mut commitment = f.commitment.clone();
    commitment.table_lens[0] = 0;
    assert!(matches!(
        f.verify_with(&commitment, &f.claims, &f.proof),
        Err(PcsError::EmptyTable { table: 0 })
    ));
    let mut commitment = f.commitment.clone();
    commitment.table_lens[0] = u64::MAX;
    assert!(matches!(
        f.verify_with(&commitment, &f.claims, &f.proof),
        Err(PcsError::TooLarge { .. })
    ));
}

#[test]
fn different_transcript_is_rejected() {
    let f = prove(&[300, 64], 1, 10);
    let mut t = StatementTranscript::new(b"another protocol").finish();
    f.commitment.observe(&mut t);
    assert!(
        f.scheme
            .verify(&f.commitment, &f.claims, &f.proof, &mut t)
            .is_err()
    );
    // The commitment not bound.
    let mut t = transcript();
    assert!(
        f.scheme
            .verify(&f.commitment, &f.claims, &f.proof, &mut t)
            .is_err()
    );
}

#[test]
fn claim_on_missing_table_is_an_error() {
    let f = prove(&[300, 64], 1, 11);
    let mut claims = f.claims.clone();
    claims[0].table = 2;
    let err = f.verify_with(&f.commitment, &claims, &f.proof).unwrap_err();
    assert!(
        matches!(
            err,
            PcsError::NoSuchTable {
                claim: 0,
                table: 2,
                num_tables: 2
            }
        ),
        "{err}"
    );
    // The prover refuses it too.
    let mut rng = SmallRng::seed_from_u64(11);
    let tables = random_tables(&mut rng, &[8]);
    let (_, data) = f.scheme.commit(tables).expect("commit");
    let bad = EvalClaim {
        table: 1,
        point: vec![EF::ZERO; 3],
        value: EF::ZERO,
    };
    assert!(matches!(
        f.scheme.open(data, &[bad], &mut transcript()),
        Err(PcsError::NoSuchTable { .. })
    ));
}

#[test]
fn point_of_wrong_arity_is_an_error() {
    let f = prove(&[300, 64], 1, 12);
    for delta in [-1i64, 1] {
        let mut claims = f.claims.clone();
        if delta < 0 {
            claims[0].point.pop();
        } else {
            claims[0].point.push(EF::ZERO);
        }
        let err = f.verify_with(&f.commitment, &claims, &f.proof).unwrap_err();
        assert!(
            matches!(err, PcsError::PointArity { claim: 0, .. }),
            "{err}"
        );
    }
}

#[test]
fn empty_inputs_are_errors() {
    let scheme = CommitmentScheme::new(test_params());
    assert!(matches!(scheme.commit(vec![]), Err(PcsError::NoTables)));
    assert!(matches!(
        scheme.commit(vec![vec![F::ONE], vec![]]),
        Err(PcsError::EmptyTable { table: 1 })
    ));
}

#[test]
fn default_parameters_reach_100_bits() {
    let scheme = CommitmentScheme::new(PcsParams::default());
    for (lens, claims) in [(vec![1 << 10], 1), (vec![1 << 16, 1 << 12, 100], 50)] {
        let report = scheme.security(&lens, claims).expect("report");
        assert!(report.bits >= 100.0, "{report:?}");
        assert!(report.max_pow_bits <= scheme.params().pow_bits);
    }
}

#[test]
fn zero_claims_still_prove_proximity() {
    let f = prove(&[100, 20], 0, 13);
    assert!(f.claims.is_empty());
    f.verify().expect("an opening of no claims verifies");
    let g = prove(&[100, 20], 0, 14);
    assert!(f.verify_with(&g.commitment, &[], &f.proof).is_err());
}

#[test]
fn proof_under_other_parameters_is_rejected() {
    let f = prove(&[300, 64], 1, 15);
    let other = CommitmentScheme::new(PcsParams {
        pow_bits: 16,
        ..test_params()
    });
    let mut t = transcript();
    f.commitment.observe(&mut t);
    assert!(
        other
            .verify(&f.commitment, &f.claims, &f.proof, &mut t)
            .is_err()
    );
}

#[test]
fn prover_data_can_be_reused_by_cloning() {
    let mut rng = SmallRng::seed_from_u64(16);
    let tables = random_tables(&mut rng, &[256, 40]);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    for seed in 0..2 {
        let mut rng = SmallRng::seed_from_u64(100 + seed);
        let claims = random_claims(&mut rng, &tables, 1);
        let mut t = transcript();
        commitment.observe(&mut t);
        let proof = scheme.open(data.clone(), &claims, &mut t).expect("open");
        let mut t = transcript();
        commitment.observe(&mut t);
        scheme
            .verify(&commitment, &claims, &proof, &mut t)
            .expect("verifies");
    }
}
