//! Prover of the batched LogUp-GKR lookup argument: builds one fraction tree per lookup and per
//! table, sends each tree's top layer, then runs, per group of equal-size trees, one GKR from the
//! root down with one batched degree-3 sumcheck per layer (`lucid_core::sumcheck`).

use lucid_core::field::{EF, F};
use lucid_core::mle::{eq_table, eval_mle_base};
use lucid_core::sumcheck::{self, SumOfProducts};
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use p3_maybe_rayon::prelude::*;

use crate::error::LookupError;
use crate::layout::{LookupInstance, TreeKind};
use crate::proof::{ColumnClaims, EvalClaim, GroupProof, LayerProof, LookupClaims, LookupProof};
use crate::witness::{FractionTree, build_trees, checked_layout};

/// `(p, q)` of a layer at `ρ ‖ τ`, from the next layer's `[p(ρ,0), q(ρ,0), p(ρ,1), q(ρ,1)]`.
pub(crate) fn fold_children(e: &[EF; 4], tau: EF) -> (EF, EF) {
    (e[0] + tau * (e[2] - e[0]), e[1] + tau * (e[3] - e[1]))
}

/// Flattens per-tree quadruples for the transcript.
pub(crate) fn flatten(quads: &[[EF; 4]]) -> Vec<EF> {
    quads.iter().flatten().copied().collect()
}

/// Proves that every entry (or `(input, output)` pair) of every lookup is a row of its table,
/// given the multiplicities ([`crate::multiplicities`], one vector per distinct table in
/// [`crate::LookupLayout::tables`] order).
///
/// The looked-up columns and the multiplicity vectors must already be committed, and the
/// commitments observed, before this is called: the challenges drawn here must not be known
/// when the prover fixes them. The returned [`LookupClaims`] are what the caller still has to
/// prove by opening those commitments.
///
/// The prover does not re-check the multiplicities: with wrong ones (or an entry outside its
/// table) it still produces a proof, which the verifier rejects.
///
/// # Transcript
/// 1. `label(b"lucid/lookup")`; `b"lookup/counts"` (number of lookups, number of distinct
///    tables); per distinct table `b"lookup/table"` (kind tag 0 = range / 1 = function,
///    `log_size`, offset) and, for a function table, `b"lookup/table_outputs"` (all outputs);
///    `b"lookup/instances"` (per lookup: table index, length).
/// 2. `sample_ext(b"lookup/beta")`, `sample_ext(b"lookup/gamma")`.
/// 3. `b"lookup/top"`: every tree's `[p(0), q(0), p(1), q(1)]` (lookups, then tables).
/// 4. Per group of equal-size trees (by increasing size): `label(b"lookup/group")`,
///    `sample_ext(b"lookup/layer_challenge")`; then per layer `ℓ = 1..n−1`:
///    `sample_ext(b"lookup/batch")`, the sumcheck's own transcript
///    ([`lucid_core::sumcheck::prove`]), `b"lookup/layer_evals"` (per tree, 4 values),
///    `sample_ext(b"lookup/layer_challenge")`; finally `b"lookup/leaf_evals"` (per tree its
///    column or multiplicity evaluations, concatenated).
pub fn prove_lookups(
    instances: &[LookupInstance],
    multiplicities: &[Vec<F>],
    transcript: &mut Transcript,
) -> Result<(LookupProof, LookupClaims), LookupError> {
    let layout = checked_layout(instances)?;
    if multiplicities.len() != layout.tables.len() {
        return Err(LookupError::Multiplicities {
            what: "number of multiplicity vectors",
            expected: layout.tables.len(),
            got: multiplicities.len(),
        });
    }
    for (table, m) in layout.tables.iter().zip(multiplicities) {
        if m.len() != table.size() {
            return Err(LookupError::Multiplicities {
                what: "multiplicity vector length",
                expected: table.size(),
                got: m.len(),
            });
        }
    }

    transcript.label(b"lucid/lookup");
    layout.observe(transcript);
    let beta = transcript.sample_ext(b"lookup/beta");
    let gamma = transcript.sample_ext(b"lookup/gamma");

    let mut trees = build_trees(&layout, instances, multiplicities, beta, gamma);
    let top: Vec<[EF; 4]> = trees.iter().map(FractionTree::top).collect();
    transcript.observe_ext_slice(b"lookup/top", &flatten(&top));

    let mut column_claims = vec![None; instances.len()];
    let mut multiplicity_claims = vec![None; layout.tables.len()];
    let mut groups = Vec::with_capacity(layout.groups.len());
    for (n, members) in &layout.groups {
        transcript.label(b"lookup/group");
        let tau = transcript.sample_ext(b"lookup/layer_challenge");
        let mut point = vec![tau];
        let mut claims: Vec<(EF, EF)> = members
            .iter()
            .map(|&t| fold_children(&top[t], tau))
            .collect();
        let mut layers = Vec::with_capacity(n - 1);
        for l in 1..*n {
            let alpha = transcript.sample_ext(b"lookup/batch");
            let (poly, claimed) = layer_poly(&mut trees, members, l, &point, &claims, alpha);
            let out = sumcheck::prove(poly, claimed, transcript);
            // Tables of tree j: p0, q0, q1, s = p1 + α·q1 (see `layer_poly`).
            let evals: Vec<[EF; 4]> = (0..members.len())
                .map(|j| {
                    let e = &out.table_evals[1 + 4 * j..5 + 4 * j];
                    [e[0], e[1], e[3] - alpha * e[2], e[2]]
                })
                .collect();
            transcript.observe_ext_slice(b"lookup/layer_evals", &flatten(&evals));
            let tau = transcript.sample_ext(b"lookup/layer_challenge");
            claims = evals.iter().map(|e| fold_children(e, tau)).collect();
            point = out.point;
            point.push(tau);
            layers.push(LayerProof {
                sumcheck: out.proof,
                evals,
            });
        }

        let leaf_evals: Vec<Vec<EF>> = members
            .iter()
            .map(|&t| match layout.trees[t].0 {
                TreeKind::Instance(i) => instances[i]
                    .columns
                    .iter()
                    .map(|c| eval_padded(c, &point))
                    .collect(),
                TreeKind::Table(j) => vec![eval_mle_base(&multiplicities[j], &point)],
            })
            .collect();
        transcript.observe_ext_slice(b"lookup/leaf_evals", &leaf_evals.concat());
        for (&t, evals) in members.iter().zip(&leaf_evals) {
            match layout.trees[t].0 {
                TreeKind::Instance(i) => {
                    column_claims[i] = Some(ColumnClaims {
                        point: point.clone(),
                        column_evals: evals.clone(),
                    });
                }
                TreeKind::Table(j) => {
                    multiplicity_claims[j] = Some(EvalClaim {
                        point: point.clone(),
                        value: evals[0],
                    });
                }
            }
        }
        groups.push(GroupProof { layers, leaf_evals });
    }

    let claims = LookupClaims {
        columns: column_claims
            .into_iter()
            .map(|c| c.expect("every lookup's tree belongs to exactly one group"))
            .collect(),
        multiplicities: multiplicity_claims
            .into_iter()
            .map(|c| c.expect("every table's tree belongs to exactly one group"))
            .collect(),
    };
    Ok((LookupProof { top, groups }, claims))
}

/// The batched layer-`l` sumcheck polynomial of a group and its claimed sum:
/// `Σ_j eq(r, x)·(α^{2j}·(p0·q1 + p1·q0) + α^{2j+1}·q0·q1)` over the group's trees, where
/// `p0, q0, p1, q1` are layer `l + 1` split by its last variable. It is arranged as
/// `α^{2j}·eq·(p0·q1 + q0·s)` with `s = p1 + α·q1`: two products per tree instead of three.
/// Table 0 is `eq`; tree `j` owns tables `1 + 4j .. 5 + 4j` in the order `p0, q0, q1, s`.
/// Consumes layer `l + 1` of each tree.
fn layer_poly(
    trees: &mut [FractionTree],
    members: &[usize],
    l: usize,
    point: &[EF],
    claims: &[(EF, EF)],
    alpha: EF,
) -> (SumOfProducts, EF) {
    let mut poly = SumOfProducts::new(l);
    let eq = poly.add_table(eq_table(point));
    let mut claimed = EF::ZERO;
    let mut coeff = EF::ONE;
    for (&t, &(p, q)) in members.iter().zip(claims) {
        let layer = trees[t].take_child_layer(l);
        let mut s = layer.p_odd;
        s.par_iter_mut()
            .zip(layer.q_odd.par_iter())
            .for_each(|(s, &q1)| *s += alpha * q1);
        let p0 = poly.add_table(layer.p_even);
        let q0 = poly.add_table(layer.q_even);
        let q1 = poly.add_table(layer.q_odd);
        let s = poly.add_table(s);
        poly.add_term(coeff, vec![eq, p0, q1]);
        poly.add_term(coeff, vec![eq, q0, s]);
        claimed += coeff * (p + alpha * q);
        coeff *= alpha.square();
    }
    (poly, claimed)
}

/// The MLE at `point` of a column zero-padded to `2^point.len()` entries.
fn eval_padded(column: &[F], point: &[EF]) -> EF {
    let size = 1usize << point.len();
    if column.len() == size {
        return eval_mle_base(column, point);
    }
    let mut padded = column.to_vec();
    padded.resize(size, F::ZERO);
    eval_mle_base(&padded, point)
}
