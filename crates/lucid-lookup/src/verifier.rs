//! Verifier of the batched LogUp-GKR lookup argument. It checks, per table, that the witness-side
//! fraction sum equals the table-side one, reduces every tree's root claim layer by layer to a
//! claim on its leaves, checks the leaves against the claimed column and multiplicity
//! evaluations and its own evaluation of the public table, and returns the column and
//! multiplicity claims for the caller to open. It never panics on a malformed proof.

use lucid_core::field::EF;
use lucid_core::mle::eq_eval;
use lucid_core::sumcheck;
use lucid_core::transcript::Transcript;
use p3_field::{Field, PrimeCharacteristicRing};

use crate::error::LookupError;
use crate::layout::{InstanceShape, LookupLayout, TreeKind};
use crate::proof::{ColumnClaims, EvalClaim, LookupClaims, LookupProof};
use crate::prover::{flatten, fold_children};

/// Degree of every layer sumcheck: `eq · p · q`.
const LAYER_DEGREE: usize = 3;

/// Verifies a lookup proof for lookups of the given shapes (tables and lengths), returning the
/// claims on the looked-up columns and on the multiplicity vectors that the caller must settle
/// by opening its commitments. As for the prover, those commitments must be in the transcript
/// before this is called.
///
/// # Transcript
/// Exactly as [`crate::prove_lookups`]: the shapes and table specs, `β`, `γ`, every tree's top
/// layer, then per group the layer challenges, sumchecks, layer evaluations and leaf evaluations.
pub fn verify_lookups(
    shapes: &[InstanceShape],
    proof: &LookupProof,
    transcript: &mut Transcript,
) -> Result<LookupClaims, LookupError> {
    let layout = LookupLayout::new(shapes)?;
    expect_len("top layers", layout.trees.len(), proof.top.len())?;
    expect_len("groups", layout.groups.len(), proof.groups.len())?;

    transcript.label(b"lucid/lookup");
    layout.observe(transcript);
    let beta = transcript.sample_ext(b"lookup/beta");
    let gamma = transcript.sample_ext(b"lookup/gamma");
    transcript.observe_ext_slice(b"lookup/top", &flatten(&proof.top));
    check_roots(&layout, &proof.top)?;

    let mut column_claims = vec![None; shapes.len()];
    let mut multiplicity_claims = vec![None; layout.tables.len()];
    for (g, ((n, members), group)) in layout.groups.iter().zip(&proof.groups).enumerate() {
        expect_len("layers in a group", n - 1, group.layers.len())?;
        expect_len(
            "leaf evaluation lists",
            members.len(),
            group.leaf_evals.len(),
        )?;
        transcript.label(b"lookup/group");
        let tau = transcript.sample_ext(b"lookup/layer_challenge");
        let mut point = vec![tau];
        let mut claims: Vec<(EF, EF)> = members
            .iter()
            .map(|&t| fold_children(&proof.top[t], tau))
            .collect();

        for (l, layer) in (1..*n).zip(&group.layers) {
            expect_len("layer evaluations", members.len(), layer.evals.len())?;
            let alpha = transcript.sample_ext(b"lookup/batch");
            let mut claimed = EF::ZERO;
            let mut coeff = EF::ONE;
            for &(p, q) in &claims {
                claimed += coeff * p + coeff * alpha * q;
                coeff *= alpha.square();
            }
            let sub = sumcheck::verify(l, LAYER_DEGREE, claimed, &layer.sumcheck, transcript)
                .map_err(|source| LookupError::Sumcheck {
                    group: g,
                    num_vars: *n,
                    layer: l,
                    source,
                })?;
            let mut combined = EF::ZERO;
            let mut coeff = EF::ONE;
            for [p0, q0, p1, q1] in &layer.evals {
                combined += coeff * (*p0 * *q1 + *p1 * *q0) + coeff * alpha * (*q0 * *q1);
                coeff *= alpha.square();
            }
            let got = eq_eval(&point, &sub.point) * combined;
            if got != sub.expected_eval {
                return Err(LookupError::LayerMismatch {
                    group: g,
                    layer: l,
                    expected: sub.expected_eval,
                    got,
                });
            }
            transcript.observe_ext_slice(b"lookup/layer_evals", &flatten(&layer.evals));
            let tau = transcript.sample_ext(b"lookup/layer_challenge");
            claims = layer.evals.iter().map(|e| fold_children(e, tau)).collect();
            point = sub.point;
            point.push(tau);
        }

        for ((&t, evals), &(p, q)) in members.iter().zip(&group.leaf_evals).zip(&claims) {
            match layout.trees[t].0 {
                TreeKind::Instance(i) => {
                    let shape = &shapes[i];
                    expect_len("column evaluations", shape.table.num_columns(), evals.len())?;
                    check_leaf(t, "numerator", prefix_indicator(shape.len, &point), p)?;
                    check_leaf(t, "denominator", gamma - fingerprint(evals, beta), q)?;
                    column_claims[i] = Some(ColumnClaims {
                        point: point.clone(),
                        column_evals: evals.clone(),
                    });
                }
                TreeKind::Table(j) => {
                    expect_len("multiplicity evaluations", 1, evals.len())?;
                    let table_evals = layout.tables[j].column_evals(&point);
                    check_leaf(t, "numerator", evals[0], p)?;
                    check_leaf(t, "denominator", gamma - fingerprint(&table_evals, beta), q)?;
                    multiplicity_claims[j] = Some(EvalClaim {
                        point: point.clone(),
                        value: evals[0],
                    });
                }
            }
        }
        transcript.observe_ext_slice(b"lookup/leaf_evals", &group.leaf_evals.concat());
    }

    // Every tree lies in exactly one group, so every claim was set; stay panic-free regardless.
    let columns = column_claims.into_iter().collect::<Option<Vec<_>>>();
    let multiplicities = multiplicity_claims.into_iter().collect::<Option<Vec<_>>>();
    match (columns, multiplicities) {
        (Some(columns), Some(multiplicities)) => Ok(LookupClaims {
            columns,
            multiplicities,
        }),
        _ => Err(LookupError::ProofShape {
            what: "trees covered by groups",
            expected: layout.trees.len(),
            got: 0,
        }),
    }
}

fn expect_len(what: &'static str, expected: usize, got: usize) -> Result<(), LookupError> {
    if expected != got {
        return Err(LookupError::ProofShape {
            what,
            expected,
            got,
        });
    }
    Ok(())
}

fn check_leaf(tree: usize, what: &'static str, expected: EF, got: EF) -> Result<(), LookupError> {
    if expected != got {
        return Err(LookupError::LeafMismatch {
            tree,
            what,
            expected,
            got,
        });
    }
    Ok(())
}

/// `a + β·b + β²·c + …` over column evaluations.
fn fingerprint(evals: &[EF], beta: EF) -> EF {
    evals.iter().rev().fold(EF::ZERO, |acc, &v| acc * beta + v)
}

/// Checks every root denominator is non-zero and, per table, that the lookups' fractions sum to
/// the table's: `Σ_{lookups i into T} P_i/Q_i = P_T/Q_T`.
fn check_roots(layout: &LookupLayout, top: &[[EF; 4]]) -> Result<(), LookupError> {
    let mut roots = Vec::with_capacity(top.len());
    for (t, [p0, q0, p1, q1]) in top.iter().enumerate() {
        let q = *q0 * *q1;
        let q_inv = q
            .try_inverse()
            .ok_or(LookupError::ZeroDenominator { tree: t })?;
        roots.push((*p0 * *q1 + *p1 * *q0) * q_inv);
    }
    let mut witness = vec![EF::ZERO; layout.tables.len()];
    let mut table_side = vec![EF::ZERO; layout.tables.len()];
    for (t, &(kind, _)) in layout.trees.iter().enumerate() {
        match kind {
            TreeKind::Instance(i) => witness[layout.instance_table[i]] += roots[t],
            TreeKind::Table(j) => table_side[j] += roots[t],
        }
    }
    for (j, (&w, &s)) in witness.iter().zip(&table_side).enumerate() {
        if w != s {
            return Err(LookupError::RootMismatch {
                table: j,
                witness: w,
                table_side: s,
            });
        }
    }
    Ok(())
}

/// The MLE at `point` of the indicator of `[0, len)` in `{0,1}^point.len()` (`point[0]` the most
/// significant bit), in `O(point.len())`: `Σ_{i < len} eq(point, i)`.
pub(crate) fn prefix_indicator(len: usize, point: &[EF]) -> EF {
    let Some((&r, rest)) = point.split_first() else {
        return if len >= 1 { EF::ONE } else { EF::ZERO };
    };
    let half = 1usize << rest.len();
    if len >= 2 * half {
        EF::ONE
    } else if len >= half {
        (EF::ONE - r) + r * prefix_indicator(len - half, rest)
    } else {
        (EF::ONE - r) * prefix_indicator(len, rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lucid_core::field::F;
    use lucid_core::mle::eval_mle_base;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn prefix_indicator_matches_its_table() {
        let mut rng = SmallRng::seed_from_u64(11);
        for n in 0..6 {
            let point: Vec<EF> = (0..n).map(|_| rng.random()).collect();
            for len in 0..=(1 << n) {
                let table: Vec<F> = (0..1 << n).map(|i| F::from_bool(i < len)).collect();
                assert_eq!(prefix_indicator(len, &point), eval_mle_base(&table, &point));
            }
        }
    }
}
