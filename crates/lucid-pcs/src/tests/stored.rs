//! Prover data stored and restored (`crate::stored`): a restored commitment opens like the
//! original, and bytes that do not belong to the commitment are refused without a panic.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{random_claims, random_tables, test_params, transcript};
use crate::{CommitmentScheme, PcsError, PcsParams};

const LENS: [usize; 3] = [300, 64, 17];

fn setup(seed: u64) -> (CommitmentScheme, Vec<Vec<lucid_core::field::F>>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    (
        CommitmentScheme::new(test_params()),
        random_tables(&mut rng, &LENS),
    )
}

#[test]
fn restored_data_opens_and_verifies() {
    let (scheme, tables) = setup(1);
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("plain data is storable");
    let restored = scheme
        .restore(&commitment, tables.clone(), &bytes)
        .expect("restore");
    let mut rng = SmallRng::seed_from_u64(2);
    let claims = random_claims(&mut rng, &tables, 2);
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme
        .open(restored, &claims, &mut t.clone())
        .expect("open");
    scheme
        .verify(&commitment, &claims, &proof, &mut t.clone())
        .expect("a restored commitment opens like a fresh one");
    // The original data still opens (restoring consumed nothing of it).
    let fresh = scheme.open(data, &claims, &mut t.clone()).expect("open");
    scheme
        .verify(&commitment, &claims, &fresh, &mut t)
        .expect("fresh opening verifies");
}

#[test]
fn bytes_of_another_commitment_are_refused() {
    let (scheme, tables) = setup(3);
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    // Other tables of the same shapes: same tree shape, other root.
    let (_, other_tables) = setup(4);
    let (other, _) = scheme.commit(other_tables.clone()).expect("commit");
    assert!(matches!(
        scheme.restore(&other, other_tables, &bytes),
        Err(PcsError::BadProverData { .. })
    ));
    // Other table lengths.
    let mut short = tables.clone();
    short[0].pop();
    assert!(matches!(
        scheme.restore(&commitment, short, &bytes),
        Err(PcsError::BadProverData { .. })
    ));
    // Another rate: another codeword shape.
    let wider = CommitmentScheme::new(PcsParams {
        starting_log_inv_rate: 2,
        ..test_params()
    });
    assert!(matches!(
        wider.restore(&commitment, tables, &bytes),
        Err(PcsError::BadProverData { .. })
    ));
}

#[test]
fn truncated_or_extended_bytes_are_refused() {
    let (scheme, tables) = setup(5);
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(
            scheme.restore(&commitment, tables.clone(), &bytes[..cut]),
            Err(PcsError::BadProverData { .. })
        ));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        scheme.restore(&commitment, tables, &longer),
        Err(PcsError::BadProverData { .. })
    ));
}

#[test]
fn corrupted_codeword_never_panics() {
    let (scheme, tables) = setup(6);
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    let mut rng = SmallRng::seed_from_u64(7);
    let claims = random_claims(&mut rng, &tables, 1);
    // Flip bytes across the encoding: each result is refused by `restore`, or restores to data
    // whose opening fails, is rejected, or (a changed value the opening never reads) verifies:
    // never a panic.
    let step = (bytes.len() / 97).max(1);
    let mut caught = 0;
    for at in (0..bytes.len()).step_by(step) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x5a;
        let Ok(restored) = scheme.restore(&commitment, tables.clone(), &bad) else {
            caught += 1;
            continue;
        };
        let mut t = transcript();
        commitment.observe(&mut t);
        match scheme.open(restored, &claims, &mut t.clone()) {
            Ok(proof) => {
                if scheme.verify(&commitment, &claims, &proof, &mut t).is_err() {
                    caught += 1;
                }
            }
            Err(_) => caught += 1,
        }
    }
    assert!(caught > 0, "no corruption was noticed");
}

/// Openings with an explicit per-round rate step (`PcsParams::round_rate_step`), as Lucid's
/// graph proofs use: they reach the target, verify, and are rejected under another step or by
/// a scheme with WHIR's default rates.
#[test]
fn round_rate_steps_verify_and_are_bound() {
    let mut rng = SmallRng::seed_from_u64(8);
    let lens = [1 << 12, 300, 17];
    let tables = random_tables(&mut rng, &lens);
    let claims = random_claims(&mut rng, &tables, 2);
    let with_step = |step, rate| {
        CommitmentScheme::new(PcsParams {
            round_rate_step: step,
            starting_log_inv_rate: rate,
            ..test_params()
        })
    };
    for (step, rate) in [(Some(1), 1), (Some(1), 2), (Some(2), 1), (Some(0), 2)] {
        let scheme = with_step(step, rate);
        let report = scheme.security(&lens, claims.len()).expect("report");
        assert!(report.bits >= 100.0, "{step:?}/{rate}: {report:?}");
        let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
        let mut t = transcript();
        commitment.observe(&mut t);
        let proof = scheme.open(data, &claims, &mut t.clone()).expect("open");
        scheme
            .verify(&commitment, &claims, &proof, &mut t.clone())
            .expect("verifies");
        for other in [with_step(None, rate), with_step(step.map(|s| s + 1), rate)] {
            assert!(
                other
                    .verify(&commitment, &claims, &proof, &mut t.clone())
                    .is_err(),
                "a proof made with step {step:?} verified under {:?}",
                other.params().round_rate_step
            );
        }
    }
}

/// A tree tall enough to store several digest layers (and recompute the top ones): restoring
/// and storing again gives the same bytes, and the restored data opens.
#[test]
fn several_stored_layers_round_trip() {
    let mut rng = SmallRng::seed_from_u64(9);
    let lens = [1 << 13, 100];
    let tables = random_tables(&mut rng, &lens);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    let word = |i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    let log_height = word(1) as usize;
    assert!(
        log_height > crate::stored::RECOMPUTED_LOG + 1,
        "{log_height}"
    );
    assert_eq!(
        word(2) as usize,
        log_height - crate::stored::RECOMPUTED_LOG,
        "stored layers"
    );
    let restored = scheme
        .restore(&commitment, tables.clone(), &bytes)
        .expect("restore");
    assert_eq!(restored.codeword_bytes().expect("storable"), bytes);
    let claims = random_claims(&mut rng, &tables, 2);
    let mut t = transcript();
    commitment.observe(&mut t);
    let proof = scheme
        .open(restored, &claims, &mut t.clone())
        .expect("open");
    scheme
        .verify(&commitment, &claims, &proof, &mut t)
        .expect("verifies");
}

/// The top stored digest layer is checked through the recomputed root; a non-canonical
/// element anywhere and a header of another shape are refused.
#[test]
fn damaged_stored_layers_and_elements_are_refused() {
    let mut rng = SmallRng::seed_from_u64(10);
    let tables = random_tables(&mut rng, &[1 << 13]);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    let refused = |bad: &[u8]| {
        matches!(
            scheme.restore(&commitment, tables.clone(), bad),
            Err(PcsError::BadProverData { .. })
        )
    };
    // The top stored layer ends the bytes: every one of its digests feeds the root.
    let top_layer_bytes = 32 << (crate::stored::RECOMPUTED_LOG + 1);
    for at in [bytes.len() - 1, bytes.len() - top_layer_bytes] {
        let mut bad = bytes.clone();
        bad[at] ^= 1;
        assert!(
            refused(&bad),
            "a changed top-layer byte at {at} was accepted"
        );
    }
    // A codeword element ≥ p (all ones) in the first row, and one in a digest layer.
    for at in [24, bytes.len() - top_layer_bytes - 64] {
        let mut bad = bytes.clone();
        bad[at..at + 8].copy_from_slice(&[0xff; 8]);
        assert!(
            refused(&bad),
            "a non-canonical element at {at} was accepted"
        );
    }
    // Each header word changed.
    for i in 0..3 {
        let mut bad = bytes.clone();
        bad[8 * i] ^= 1;
        assert!(refused(&bad), "header word {i} changed was accepted");
    }
}

/// A larger first folding (`PcsParams::first_folding_factor`): openings reach the target and
/// verify (also from restored data), and are rejected by a scheme with another first folding;
/// stored data of one first folding is refused by a scheme of another (other row width).
#[test]
fn first_folding_verifies_and_is_bound() {
    let mut rng = SmallRng::seed_from_u64(11);
    let lens = [1 << 12, 300, 17];
    let tables = random_tables(&mut rng, &lens);
    let claims = random_claims(&mut rng, &tables, 2);
    let with_first = |first| {
        CommitmentScheme::new(PcsParams {
            first_folding_factor: first,
            starting_log_inv_rate: 2,
            round_rate_step: Some(1),
            ..test_params()
        })
    };
    for first in [5, 6] {
        let scheme = with_first(Some(first));
        let report = scheme.security(&lens, claims.len()).expect("report");
        assert!(report.bits >= 100.0, "first folding {first}: {report:?}");
        let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
        let bytes = data.codeword_bytes().expect("storable");
        assert_eq!(bytes[..8], (1u64 << first).to_le_bytes(), "row width");
        let restored = scheme
            .restore(&commitment, tables.clone(), &bytes)
            .expect("restore");
        let mut t = transcript();
        commitment.observe(&mut t);
        for data in [data, restored] {
            let proof = scheme.open(data, &claims, &mut t.clone()).expect("open");
            scheme
                .verify(&commitment, &claims, &proof, &mut t.clone())
                .expect("verifies");
            for other in [with_first(None), with_first(Some(first + 1))] {
                assert!(
                    other
                        .verify(&commitment, &claims, &proof, &mut t.clone())
                        .is_err(),
                    "a proof with first folding {first} verified under {:?}",
                    other.params().first_folding_factor
                );
            }
        }
        assert!(matches!(
            with_first(None).restore(&commitment, tables.clone(), &bytes),
            Err(PcsError::BadProverData { .. })
        ));
    }
}
