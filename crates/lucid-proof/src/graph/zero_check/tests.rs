//! The batched zero-check: honest instances of several sizes pass and leave correct claims; a
//! nonzero entry, any altered message or a wrong final value is rejected.

use lucid_core::field::{EF, F};
use lucid_core::mle::eval_mle_base;
use lucid_core::transcript::{StatementTranscript, Transcript};
use p3_field::PrimeCharacteristicRing;

use super::{Instance, ZeroCheckError, prove, verify};

fn transcript() -> Transcript {
    StatementTranscript::new(b"zero-check test").finish()
}

/// Honest clamp tables `y = max(x, c)` of `2^vars` entries.
fn clamp_tables(vars: usize, c: i64, seed: i64) -> (Vec<F>, Vec<F>, F) {
    let xs: Vec<i64> = (0..1i64 << vars)
        .map(|i| ((i * 37 + seed * 11) % 29) - 14)
        .collect();
    let ys: Vec<i64> = xs.iter().map(|&x| x.max(c)).collect();
    let f = |v: &[i64]| v.iter().map(|&v| lucid_core::field::from_i64(v)).collect();
    (f(&ys), f(&xs), lucid_core::field::from_i64(c))
}

/// Runs prover and verifier; returns the verifier's verdict on the final check.
fn run(tables: &[(Vec<F>, Vec<F>, F)], tamper: impl Fn(&mut super::ZeroCheckOutput)) -> bool {
    let instances: Vec<Instance<'_>> = tables
        .iter()
        .map(|(y, x, c)| Instance { y, x, c: *c })
        .collect();
    let mut out = prove(&instances, &mut transcript());
    // The prover's evaluations are the tables' at the prefixes of its point.
    for ((y, x, _), &(ye, xe)) in tables.iter().zip(&out.evals) {
        let nv = y.len().trailing_zeros() as usize;
        assert_eq!(eval_mle_base(y, &out.point[..nv]), ye);
        assert_eq!(eval_mle_base(x, &out.point[..nv]), xe);
    }
    tamper(&mut out);
    let vars: Vec<usize> = tables
        .iter()
        .map(|(y, _, _)| y.len().trailing_zeros() as usize)
        .collect();
    let Ok(sub) = verify(&vars, &out.proof, &mut transcript()) else {
        return false;
    };
    // The claimed evaluations must combine to the expected value, and (as the openings would
    // check) be the tables' evaluations at the verifier's point.
    let mut want = EF::ZERO;
    let mut opened = true;
    for ((&(y, x), (ty, tx, c)), w) in out.evals.iter().zip(tables).zip(sub.alpha.powers()) {
        want += w * (y - EF::from(*c)) * (y - x);
        let nv = ty.len().trailing_zeros() as usize;
        opened &=
            eval_mle_base(ty, &sub.point[..nv]) == y && eval_mle_base(tx, &sub.point[..nv]) == x;
    }
    want == sub.expected && opened
}

#[test]
fn honest_instances_of_several_sizes_pass() {
    let tables = vec![
        clamp_tables(5, 0, 1),
        clamp_tables(1, -3, 2),
        clamp_tables(3, 0, 3),
        clamp_tables(5, -2, 4),
    ];
    assert!(run(&tables, |_| {}));
    assert!(run(&tables[..1], |_| {}));
    assert!(run(&tables[1..2], |_| {}));
}

#[test]
fn a_nonzero_entry_is_rejected() {
    // y off by one at one entry of the smallest or the largest instance.
    for (which, entry) in [(0, 7), (1, 1), (2, 0)] {
        let mut tables = vec![
            clamp_tables(4, 0, 1),
            clamp_tables(1, -3, 2),
            clamp_tables(3, 0, 3),
        ];
        tables[which].0[entry] += F::ONE;
        assert!(!run(&tables, |_| {}), "instance {which} entry {entry}");
    }
}

#[test]
fn altered_messages_are_rejected() {
    let tables = vec![clamp_tables(4, 0, 1), clamp_tables(2, -1, 2)];
    for round in 0..4 {
        for slot in 0..2 {
            assert!(
                !run(&tables, |o| o.proof.rounds[round][slot] += EF::ONE),
                "round {round} slot {slot}"
            );
        }
    }
    // A wrong claimed evaluation.
    assert!(!run(&tables, |o| o.evals[1].0 += EF::ONE));
    assert!(!run(&tables, |o| o.evals[0].1 += EF::ONE));
}

#[test]
fn a_wrong_number_of_rounds_is_rejected() {
    let tables = [clamp_tables(3, 0, 1)];
    let instances: Vec<Instance<'_>> = tables
        .iter()
        .map(|(y, x, c)| Instance { y, x, c: *c })
        .collect();
    let mut out = prove(&instances, &mut transcript());
    out.proof.rounds.pop();
    assert_eq!(
        verify(&[3], &out.proof, &mut transcript()).map(|_| ()),
        Err(ZeroCheckError::Rounds {
            expected: 3,
            got: 2
        })
    );
}
