//! The honest-verifier simulator of the zero-knowledge lookup argument: from the public shapes
//! alone it produces a proof and claims with the distribution of [`super::prove`]'s (see the
//! module documentation), drawing the Fiat–Shamir challenges as the verifier will.

use lucid_core::field::EF;
use lucid_core::sumcheck::try_combine_terms;
use lucid_core::sumcheck::zk::simulate_zk;
use lucid_core::transcript::Transcript;
use p3_field::PrimeCharacteristicRing;
use rand::{Rng, RngExt};

use crate::error::LookupError;
use crate::layout::InstanceShape;

use super::layout::{GroupTables, ZkLayout, group_claimed_sum, group_terms, public_evals};
use super::proof::{ZkChallenges, ZkClaim, ZkGroupProof, ZkLookupProof, ZkTableId};
use super::verifier::{draw_group_challenges, num_private_evals, observe_evals, private_evals};

/// Simulates step 3 for the given shapes and challenges (draw them with
/// [`super::verify_phase2`], absorbing simulated commitments where the caller would absorb real
/// ones). Every private evaluation is uniform; the mask evaluation is the one the sumcheck's
/// final check then requires. The returned claims are what the simulated hiding openings must
/// open to; [`super::verify`] accepts the proof and returns exactly these claims.
///
/// Fails only on invalid shapes, or (probability `≈ 2^{-190}`) if a group's `ρ` is zero.
pub fn simulate<R: Rng + ?Sized>(
    shapes: &[InstanceShape],
    challenges: &ZkChallenges,
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(ZkLookupProof, Vec<ZkClaim>), LookupError> {
    let layout = ZkLayout::new(shapes)?;
    let mut groups = Vec::with_capacity(layout.groups.len());
    let mut claims = Vec::new();
    for (k, group) in layout.groups.iter().enumerate() {
        let n = group.num_vars;
        let (tau, lambda) = draw_group_challenges(n, transcript);
        let idx = GroupTables::new(&layout, group);
        let terms = group_terms(&layout, group, &idx, lambda);
        let claimed = group_claimed_sum(&layout, group, lambda, &tau);
        let sim = simulate_zk(n + 1, layout.group_degree(k), claimed, transcript, rng);
        let evals: Vec<EF> = (0..num_private_evals(&layout, group))
            .map(|_| rng.random())
            .collect();
        let mut table_evals = vec![EF::ZERO; idx.count];
        public_evals(
            &layout,
            group,
            &idx,
            challenges,
            &tau,
            &sim.point,
            &mut table_evals,
        )?;
        let group_claims = private_evals(
            &layout,
            k,
            &idx,
            challenges,
            &sim.point,
            &evals,
            &mut table_evals,
        )?;
        let wrap = |source| LookupError::Sumcheck {
            group: k,
            num_vars: n,
            layer: 0,
            source,
        };
        let f_eval = try_combine_terms(&terms, &table_evals).map_err(wrap)?;
        let mask_eval = sim.mask_eval_for(f_eval).ok_or(LookupError::ProofShape {
            what: "non-zero rho",
            expected: 1,
            got: 0,
        })?;
        observe_evals(transcript, &evals, mask_eval);
        claims.extend(group_claims);
        claims.push(ZkClaim {
            table: ZkTableId::Mask { group: k },
            point: sim.point.clone(),
            value: mask_eval,
        });
        groups.push(ZkGroupProof {
            sumcheck: sim.proof,
            evals,
            mask_eval,
        });
    }
    Ok((ZkLookupProof { groups }, claims))
}
