//! Fiat–Shamir transcript over `p3-challenger`'s duplex sponge (Poseidon2, width 8).
//!
//! A proof starts from a [`StatementTranscript`], which can only *observe*: it absorbs a protocol
//! label and the whole statement (verifying-key digest, public values, commitments, parameters).
//! Only [`StatementTranscript::finish`] yields a [`Transcript`] that can also sample challenges, so
//! no challenge can be drawn before the statement is bound. Every message is preceded by a
//! domain-separation label, so that messages of different kinds can never be confused.

use p3_challenger::{CanObserve, CanSample, DuplexChallenger, FieldChallenger};
use p3_field::PrimeCharacteristicRing;
use p3_goldilocks::{Poseidon2Goldilocks, default_goldilocks_poseidon2_8};

use crate::field::{EF, F};

/// The sponge permutation used for Fiat–Shamir.
pub type Perm = Poseidon2Goldilocks<8>;

/// The Plonky3 challenger underneath the transcript (rate 4, capacity 4 Goldilocks elements).
pub type Challenger = DuplexChallenger<F, Perm, 8, 4>;

/// A fresh challenger with Lucid's fixed Poseidon2 constants.
pub fn new_challenger() -> Challenger {
    Challenger::new(default_goldilocks_poseidon2_8())
}

/// Absorbs a byte label: its length, then its bytes packed 7 to a field element (always canonical).
fn absorb_label(challenger: &mut Challenger, label: &[u8]) {
    challenger.observe(F::from_u64(label.len() as u64));
    for chunk in label.chunks(7) {
        let mut word = 0u64;
        for (i, b) in chunk.iter().enumerate() {
            word |= (*b as u64) << (8 * i);
        }
        challenger.observe(F::from_u64(word));
    }
}

/// The observing-only phase of a transcript: the statement goes in here.
#[derive(Clone)]
pub struct StatementTranscript {
    challenger: Challenger,
}

impl StatementTranscript {
    /// Starts a transcript for `protocol` (e.g. `b"lucid/inference/v1"`).
    pub fn new(protocol: &[u8]) -> Self {
        let mut challenger = new_challenger();
        absorb_label(&mut challenger, b"lucid-transcript");
        absorb_label(&mut challenger, protocol);
        Self { challenger }
    }

    /// Absorbs a labelled run of base-field elements (length-prefixed).
    pub fn observe_base_slice(&mut self, label: &[u8], values: &[F]) {
        absorb_label(&mut self.challenger, label);
        self.challenger.observe(F::from_u64(values.len() as u64));
        self.challenger.observe_slice(values);
    }

    /// Absorbs a labelled run of extension-field elements (length-prefixed).
    pub fn observe_ext_slice(&mut self, label: &[u8], values: &[EF]) {
        absorb_label(&mut self.challenger, label);
        self.challenger.observe(F::from_u64(values.len() as u64));
        self.challenger.observe_algebra_slice(values);
    }

    /// Absorbs labelled unsigned integers (sizes, parameters), each as one field element.
    pub fn observe_u64s(&mut self, label: &[u8], values: &[u64]) {
        absorb_label(&mut self.challenger, label);
        self.challenger.observe(F::from_u64(values.len() as u64));
        for &v in values {
            // Split so that every u64 is absorbed injectively.
            self.challenger.observe(F::from_u64(v & 0xFFFF_FFFF));
            self.challenger.observe(F::from_u64(v >> 32));
        }
    }

    /// Absorbs labelled bytes (e.g. a digest), packed 7 to a field element.
    pub fn observe_bytes(&mut self, label: &[u8], bytes: &[u8]) {
        absorb_label(&mut self.challenger, label);
        absorb_label(&mut self.challenger, bytes);
    }

    /// Ends the statement phase: from here on challenges may be drawn.
    pub fn finish(mut self) -> Transcript {
        absorb_label(&mut self.challenger, b"end-of-statement");
        Transcript {
            challenger: self.challenger,
        }
    }
}

/// A transcript after the statement was bound: prover messages are observed, challenges sampled.
#[derive(Clone)]
pub struct Transcript {
    challenger: Challenger,
}

impl Transcript {
    /// Absorbs a domain-separation label for the next message or sub-protocol.
    pub fn label(&mut self, label: &[u8]) {
        absorb_label(&mut self.challenger, label);
    }

    /// Absorbs a labelled run of base-field elements (length-prefixed).
    pub fn observe_base_slice(&mut self, label: &[u8], values: &[F]) {
        self.label(label);
        self.challenger.observe(F::from_u64(values.len() as u64));
        self.challenger.observe_slice(values);
    }

    /// Absorbs a labelled run of extension-field elements (length-prefixed).
    pub fn observe_ext_slice(&mut self, label: &[u8], values: &[EF]) {
        self.label(label);
        self.challenger.observe(F::from_u64(values.len() as u64));
        self.challenger.observe_algebra_slice(values);
    }

    /// Absorbs one labelled extension-field element.
    pub fn observe_ext(&mut self, label: &[u8], value: EF) {
        self.observe_ext_slice(label, &[value]);
    }

    /// Samples one extension-field challenge, after absorbing `label`.
    pub fn sample_ext(&mut self, label: &[u8]) -> EF {
        self.label(label);
        self.challenger.sample_algebra_element()
    }

    /// Samples `n` extension-field challenges, after absorbing `label`.
    pub fn sample_ext_vec(&mut self, label: &[u8], n: usize) -> Vec<EF> {
        self.label(label);
        (0..n)
            .map(|_| self.challenger.sample_algebra_element())
            .collect()
    }

    /// Samples one base-field element, after absorbing `label`.
    pub fn sample_base(&mut self, label: &[u8]) -> F {
        self.label(label);
        self.challenger.sample()
    }

    /// A transcript for an independent sub-proof: a copy of this one that has absorbed `label`
    /// (each fork of one transcript needs its own label). Forks let sub-proofs whose
    /// statements are already bound — e.g. the openings of several commitments, once every
    /// claim on them is fixed — run concurrently: each one's challenges depend on everything
    /// this transcript has absorbed, its label and its own messages, which is what its
    /// soundness needs; nothing a fork absorbs flows back here.
    pub fn fork(&self, label: &[u8]) -> Transcript {
        let mut fork = self.clone();
        fork.label(b"fork");
        fork.label(label);
        fork
    }

    /// The underlying Plonky3 challenger, for sub-protocols (WHIR) that drive it directly.
    /// Label the sub-protocol with [`Transcript::label`] before handing it over.
    pub fn challenger_mut(&mut self) -> &mut Challenger {
        &mut self.challenger
    }
}

// The SIMD Poseidon2 layers have no `Debug`; show the sponge state instead.
impl core::fmt::Debug for StatementTranscript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatementTranscript")
            .field("sponge_state", &self.challenger.sponge_state)
            .finish()
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transcript")
            .field("sponge_state", &self.challenger.sponge_state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript_with(statement: &[F]) -> Transcript {
        let mut st = StatementTranscript::new(b"test");
        st.observe_base_slice(b"public", statement);
        st.finish()
    }

    #[test]
    fn same_statement_same_challenges() {
        let s = [F::ONE, F::TWO];
        let a = transcript_with(&s).sample_ext(b"r");
        let b = transcript_with(&s).sample_ext(b"r");
        assert_eq!(a, b);
    }

    #[test]
    fn statement_changes_challenges() {
        let a = transcript_with(&[F::ONE, F::TWO]).sample_ext(b"r");
        let b = transcript_with(&[F::ONE, F::ONE]).sample_ext(b"r");
        assert_ne!(a, b);
    }

    #[test]
    fn forks_are_independent_and_deterministic() {
        let base = transcript_with(&[F::ONE]);
        let a1 = base.fork(b"a").sample_ext(b"r");
        let a2 = base.fork(b"a").sample_ext(b"r");
        let b = base.fork(b"b").sample_ext(b"r");
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        // A fork differs from the parent going on, and from a fork of another statement.
        assert_ne!(a1, base.clone().sample_ext(b"r"));
        assert_ne!(a1, transcript_with(&[F::TWO]).fork(b"a").sample_ext(b"r"));
        // What a fork absorbs does not reach its parent.
        let mut parent = base.clone();
        let mut fork = parent.fork(b"a");
        fork.observe_ext(b"m", EF::ONE);
        assert_eq!(parent.sample_ext(b"r"), base.clone().sample_ext(b"r"));
    }

    #[test]
    fn labels_separate_domains() {
        let mut t1 = transcript_with(&[]);
        let mut t2 = transcript_with(&[]);
        assert_ne!(t1.sample_ext(b"alpha"), t2.sample_ext(b"beta"));
        // Length prefixes: [1,2]+[] differs from [1]+[2].
        let mut t3 = transcript_with(&[]);
        let mut t4 = transcript_with(&[]);
        t3.observe_base_slice(b"m", &[F::ONE, F::TWO]);
        t3.observe_base_slice(b"m", &[]);
        t4.observe_base_slice(b"m", &[F::ONE]);
        t4.observe_base_slice(b"m", &[F::TWO]);
        assert_ne!(t3.sample_ext(b"r"), t4.sample_ext(b"r"));
    }

    #[test]
    fn protocol_label_binds() {
        let a = StatementTranscript::new(b"p1").finish().sample_ext(b"r");
        let b = StatementTranscript::new(b"p2").finish().sample_ext(b"r");
        assert_ne!(a, b);
    }
}
