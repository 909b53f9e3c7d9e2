//! Where an opening proof's bytes go: its serialized size per WHIR component (a diagnostic for
//! proof-size work; the figures are the `postcard` encodings of each part).

use p3_whir::pcs::proof::QueryOpenings;
use serde::Serialize;

use crate::proof::{OpeningProof, ProofBody};

fn bytes<T: Serialize>(value: &T) -> usize {
    postcard::to_allocvec(value).map_or(0, |v| v.len())
}

impl OpeningProof {
    /// The serialized size of each part of the proof, as `(part, bytes)`: out-of-domain answers,
    /// the initial sumcheck, then per WHIR round its commitment, out-of-domain answers, opened
    /// rows, Merkle multiproof and sumcheck, then the final polynomial, final openings and final
    /// sumcheck. A hiding proof is reported as one part.
    pub fn size_breakdown(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        let w = match &self.body {
            ProofBody::Plain(w) => w,
            ProofBody::Stacked { batch, whir } => {
                out.push(("claim batch".to_string(), bytes(batch)));
                whir
            }
            ProofBody::Hiding(z) => return vec![("hiding proof".into(), bytes(z))],
        };
        out.extend([
            ("initial ood".to_string(), bytes(&w.initial_ood_answers)),
            ("initial sumcheck".to_string(), bytes(&w.initial_sumcheck)),
        ]);
        let openings = |o: &QueryOpenings<_, _, _>| match o {
            QueryOpenings::Base(s) => (s.rows.len(), bytes(&s.rows), bytes(&s.proof)),
            QueryOpenings::Extension(s) => (s.rows.len(), bytes(&s.rows), bytes(&s.proof)),
        };
        for (i, r) in w.rounds.iter().enumerate() {
            let (queries, rows, proof) = openings(&r.openings);
            out.push((format!("round {i} commitment"), bytes(&r.commitment)));
            out.push((format!("round {i} ood"), bytes(&r.ood_answers)));
            out.push((format!("round {i} rows ({queries} queries)"), rows));
            out.push((format!("round {i} merkle"), proof));
            out.push((format!("round {i} sumcheck"), bytes(&r.sumcheck)));
        }
        let (queries, rows, proof) = openings(&w.final_openings);
        out.push(("final poly".into(), bytes(&w.final_poly)));
        out.push((format!("final rows ({queries} queries)"), rows));
        out.push(("final merkle".into(), proof));
        out.push(("final sumcheck".into(), bytes(&w.final_sumcheck)));
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::PcsParams;

    /// Diagnostic: the grinding of each phase of a witness-like opening.
    #[test]
    #[ignore = "diagnostic: prints WHIR's grinding per phase"]
    fn print_grinding_per_phase() {
        for rate in [1, 2] {
            for pow in [0, 8, 12] {
                let p = PcsParams {
                    starting_log_inv_rate: rate,
                    round_rate_step: Some(1),
                    pow_bits: pow,
                    ..PcsParams::default()
                };
                for nv in [10, 12, 14, 18] {
                    let (c, per_term) = p.whir_config(nv).expect("config");
                    let rounds: Vec<(usize, usize, usize)> = c
                        .round_parameters()
                        .iter()
                        .map(|r| (r.num_queries, r.pow_bits, r.folding_pow_bits))
                        .collect();
                    println!(
                        "rate {rate} pow {pow} nv {nv}: per-term {per_term} start fold pow {} rounds (q, pow, fold pow) {rounds:?} final q {} pow {} final fold pow {}",
                        c.starting_folding_pow_bits(),
                        c.terminal().num_queries,
                        c.terminal().pow_bits,
                        c.final_folding_pow_bits()
                    );
                }
            }
        }
    }
}
