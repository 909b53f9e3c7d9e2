//! What prover and verifier derive identically: the statement's transcript, the layout of the
//! witness commitment, and where each claim on a tensor is settled.

use lucid_core::field::{EF, F, from_i64};
use lucid_core::mle::EvalClaim;
use lucid_core::transcript::{StatementTranscript, Transcript};
use lucid_model::quant::QGraph;
use lucid_model::tensor::Tensor;

use crate::error::ProofError;
use crate::graph::plan::{Plan, Role};
use crate::key::VerifyingKey;
use crate::layout::{PaddedShape, PaddedTensor};

/// Binds the whole statement — key digest, parameters, public inputs and outputs — and starts
/// the proof's transcript.
///
/// # Transcript
/// `StatementTranscript::new(b"lucid/inference/v1")`; u64s `vk/digest` (4 words), u64s
/// `params`; u64s `weights/params` (the weights' `log2(1/rate)` and round step); per public
/// input base slice `input` (its padded evaluations); per output base slice `output`;
/// `finish()`.
pub fn start_transcript(
    vk: &VerifyingKey,
    public_inputs: &[Tensor<i64>],
    outputs: &[Tensor<i64>],
) -> Result<Transcript, ProofError> {
    let mut st = StatementTranscript::new(b"lucid/inference/v1");
    st.observe_u64s(b"vk/digest", &vk.digest()?);
    st.observe_u64s(b"params", &vk.params.statement_words());
    st.observe_u64s(
        b"weights/params",
        &[
            vk.weights_params.log_inv_rate as u64,
            vk.weights_params.round_rate_step as u64,
        ],
    );
    for t in public_inputs {
        st.observe_base_slice(b"input", &flat(t));
    }
    for t in outputs {
        st.observe_base_slice(b"output", &flat(t));
    }
    Ok(st.finish())
}

/// The transcripts of the two openings (witness, then weights), forked from the proof's
/// transcript once every claim is fixed (labels `open/witness`, `open/weights`): independent
/// sub-proofs of claims already bound, which the prover runs side by side.
pub fn open_transcripts(t: &Transcript) -> (Transcript, Transcript) {
    (t.fork(b"open/witness"), t.fork(b"open/weights"))
}

fn flat(t: &Tensor<i64>) -> Vec<F> {
    t.data().iter().map(|&v| from_i64(v)).collect()
}

/// The tables of the witness commitment, in commitment order.
#[derive(Clone, Debug, PartialEq)]
pub struct WitnessLayout {
    /// Committed node tensors (private inputs first, then the plan's committed nodes).
    pub nodes: Vec<usize>,
    /// Remainder limbs `(node, limb)`.
    pub limbs: Vec<(usize, usize)>,
    /// Lengths of the low bytes of the split range checks (`graph::range`), in split order.
    pub low_bytes: Vec<usize>,
    /// Lengths of the multiplicity vectors (one per distinct lookup table).
    pub multiplicities: Vec<usize>,
}

impl WitnessLayout {
    /// The layout for a plan, the lengths of its split checks' low bytes and the lookup
    /// argument's distinct table sizes.
    pub fn new(plan: &Plan, low_byte_lens: Vec<usize>, multiplicity_lens: Vec<usize>) -> Self {
        let mut nodes: Vec<usize> = plan
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Role::PrivateInput))
            .map(|(i, _)| i)
            .collect();
        nodes.extend(plan.committed.iter().copied());
        let limbs = plan
            .roles
            .iter()
            .enumerate()
            .flat_map(|(i, r)| match r {
                Role::Requant { limbs, .. } => (0..*limbs).map(|l| (i, l)).collect(),
                _ => Vec::new(),
            })
            .collect();
        Self {
            nodes,
            limbs,
            low_bytes: low_byte_lens,
            multiplicities: multiplicity_lens,
        }
    }

    /// Table lengths, in commitment order (each a power of two).
    pub fn table_lens(&self, graph: &QGraph) -> Vec<usize> {
        let len = |n: usize| 1usize << PaddedShape::new(&graph.nodes[n].shape).num_vars();
        self.nodes
            .iter()
            .map(|&n| len(n))
            .chain(self.limbs.iter().map(|&(n, _)| len(n)))
            .chain(self.low_bytes.iter().copied())
            .chain(self.multiplicities.iter().copied())
            .collect()
    }

    /// Number of tables.
    pub fn num_tables(&self) -> usize {
        self.nodes.len() + self.limbs.len() + self.low_bytes.len() + self.multiplicities.len()
    }

    /// Table index of node `n`'s tensor, if committed.
    pub fn node_table(&self, n: usize) -> Option<usize> {
        self.nodes.iter().position(|&x| x == n)
    }

    /// Table index of a remainder limb.
    pub fn limb_table(&self, n: usize, limb: usize) -> Option<usize> {
        self.limbs
            .iter()
            .position(|&x| x == (n, limb))
            .map(|i| self.nodes.len() + i)
    }

    /// Table index of the low byte of split check `s`.
    pub fn low_byte_table(&self, s: usize) -> usize {
        self.nodes.len() + self.limbs.len() + s
    }

    /// Table index of multiplicity vector `j`.
    pub fn multiplicity_table(&self, j: usize) -> usize {
        self.nodes.len() + self.limbs.len() + self.low_bytes.len() + j
    }
}

/// Claims settled by each commitment, and claims the verifier checks from public values.
#[derive(Clone, Debug, Default)]
pub struct Settlement {
    /// Claims on the witness commitment.
    pub witness: Vec<lucid_pcs::EvalClaim>,
    /// Claims on the weights commitment.
    pub weights: Vec<lucid_pcs::EvalClaim>,
    /// Claims on public tensors (public inputs, index constants): `(node, claim)`.
    pub public: Vec<(usize, EvalClaim)>,
}

impl Settlement {
    /// Routes a claim on node `n`'s tensor to where it is settled. Claims on layer-proved nodes
    /// that are not committed are not settled here (the layer protocol reduces them).
    pub fn route(&mut self, plan: &Plan, layout: &WitnessLayout, n: usize, claim: &EvalClaim) {
        if let Some(table) = layout.node_table(n) {
            self.witness.push(pcs_claim(table, claim));
        }
        match plan.roles[n] {
            Role::Weight { index } => self.weights.push(pcs_claim(index, claim)),
            Role::PublicInput | Role::PublicConst => self.public.push((n, claim.clone())),
            _ => {}
        }
    }
}

/// A claim on table `table` of a commitment.
pub fn pcs_claim(table: usize, claim: &EvalClaim) -> lucid_pcs::EvalClaim {
    lucid_pcs::EvalClaim {
        table,
        point: claim.point.clone(),
        value: claim.value,
    }
}

/// The MLE of a public tensor (padded layout) at a point; an error (never a panic) when the
/// tensor does not have `shape`'s size or the point has the wrong length.
pub fn public_eval(shape: &[usize], t: &Tensor<i64>, point: &[EF]) -> Result<EF, ProofError> {
    let padded = crate::layout::PaddedTensor::from_i64(shape, t.data())
        .map_err(|e| ProofError::Malformed(format!("public tensor: {e}")))?;
    if point.len() != padded.shape.num_vars() {
        return Err(ProofError::Malformed(format!(
            "a claim on a public tensor has {} coordinates, expected {}",
            point.len(),
            padded.shape.num_vars()
        )));
    }
    Ok(padded.eval(point))
}

/// Which padded entries of a tensor of shape `shape` are real.
pub fn real_mask(shape: &PaddedShape) -> Vec<bool> {
    let mut mask = vec![false; shape.padded_len()];
    for off in shape.real_to_padded() {
        mask[off] = true;
    }
    mask
}

/// A tensor in the padded layout whose padding entries hold `pad` instead of zero.
pub fn padded_with(shape: &[usize], data: &[i64], pad: i64) -> PaddedTensor {
    let ps = PaddedShape::new(shape);
    let mut evals = vec![from_i64(pad); ps.padded_len()];
    for (off, &v) in ps.real_to_padded().into_iter().zip(data) {
        evals[off] = from_i64(v);
    }
    PaddedTensor { shape: ps, evals }
}
