//! Restoring from a reader ([`CommitmentScheme::restore_from`]): any split of the bytes into
//! reads gives the same data, a failing reader is an error (never a panic), and the source is
//! read to its end also when decoding stops early.

use std::io::{self, Read};

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::stream::CHUNK;
use crate::tests::{random_claims, random_tables, test_params, transcript};
use crate::{CommitmentScheme, PcsError};

/// Hands out at most `step` bytes per read (cycling through `steps`), counting them; fails
/// after `fail_at` bytes when set.
struct Trickle<'a> {
    bytes: &'a [u8],
    at: usize,
    steps: &'a [usize],
    reads: usize,
    fail_at: Option<usize>,
}

impl<'a> Trickle<'a> {
    fn new(bytes: &'a [u8], steps: &'a [usize]) -> Self {
        Self {
            bytes,
            at: 0,
            steps,
            reads: 0,
            fail_at: None,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fail_at.is_some_and(|f| self.at >= f) {
            return Err(io::Error::other("disk on fire"));
        }
        let step = self.steps[self.reads % self.steps.len()];
        self.reads += 1;
        if self.reads.is_multiple_of(3) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = step.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn any_split_of_the_reads_restores_the_same_data() {
    let mut rng = SmallRng::seed_from_u64(21);
    // Large enough for several chunks and stored layers.
    let tables = random_tables(&mut rng, &[1 << 15, 300]);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    assert!(bytes.len() > 2 * CHUNK, "{} bytes", bytes.len());
    let claims = random_claims(&mut rng, &tables, 2);
    let mut t = transcript();
    commitment.observe(&mut t);
    for steps in [&[1usize, 7, 8, 13][..], &[CHUNK - 3, 5], &[usize::MAX]] {
        let t2 = tables.clone();
        let mut source = Trickle::new(&bytes, steps);
        let restored = scheme
            .restore_from(&commitment, move || t2, &mut source)
            .expect("restore");
        assert_eq!(source.at, bytes.len());
        assert_eq!(restored.codeword_bytes().expect("storable"), bytes);
        let proof = scheme
            .open(restored, &claims, &mut t.clone())
            .expect("open");
        scheme
            .verify(&commitment, &claims, &proof, &mut t.clone())
            .expect("a restored commitment opens like a fresh one");
    }
}

#[test]
fn a_failing_reader_is_an_error() {
    let mut rng = SmallRng::seed_from_u64(22);
    let tables = random_tables(&mut rng, &[1 << 14]);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    for fail_at in [0, 20, CHUNK + 1, bytes.len() - 1] {
        let t2 = tables.clone();
        let mut source = Trickle::new(&bytes, &[4096]);
        source.fail_at = Some(fail_at);
        match scheme.restore_from(&commitment, move || t2, &mut source) {
            Err(PcsError::BadProverData { reason }) => {
                assert!(reason.contains("disk on fire"), "{reason}")
            }
            other => panic!("failing at {fail_at}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn the_source_is_read_to_its_end_when_decoding_stops() {
    let mut rng = SmallRng::seed_from_u64(23);
    let tables = random_tables(&mut rng, &[1 << 14]);
    let scheme = CommitmentScheme::new(test_params());
    let (commitment, data) = scheme.commit(tables.clone()).expect("commit");
    let bytes = data.codeword_bytes().expect("storable");
    // A wrong header (stops at once), a non-canonical first element, trailing bytes.
    let mut header = bytes.clone();
    header[8] ^= 1;
    let mut element = bytes.clone();
    element[24..32].copy_from_slice(&[0xff; 8]);
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 3 * CHUNK]);
    for bad in [header, element, longer] {
        let t2 = tables.clone();
        let mut source = Trickle::new(&bad, &[1000, 4096]);
        assert!(matches!(
            scheme.restore_from(&commitment, move || t2, &mut source),
            Err(PcsError::BadProverData { .. })
        ));
        assert_eq!(source.at, bad.len(), "the source was not read to its end");
    }
}
