//! The verifying key (the model's public identity) and the prover's artifact, and how they are
//! written to bytes.
//!
//! # File formats
//!
//! Every artifact is an 8-byte magic, a little-endian `u16` format version, then the `postcard`
//! encoding (compact, varint integers) of the structure below. A file with another magic or
//! version, trailing bytes, or an undecodable body is refused with an error naming the artifact.
//!
//! | artifact | magic | body |
//! |---|---|---|
//! | verifying key (`model.vk`) | `LUCIDVK\0` | [`VerifyingKey`] |
//! | prover artifact (`model.lucid`) | `LUCIDPK\0` | [`ProverKey`] |
//! | proof | `LUCIDPF\0` | [`crate::Proof`] |

use lucid_core::transcript::StatementTranscript;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::Tensor;
use lucid_pcs::{Commitment, CommitmentScheme, PcsParams, SecurityAssumption};
use p3_field::PrimeField64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ProofError;
use crate::graph::plan::{Plan, Role, Visibility};

/// Version of the key and proof formats. Bump on any change of the encoded structures.
pub const FORMAT_VERSION: u16 = 1;

/// Magic of a verifying key file.
pub const VK_MAGIC: &[u8; 8] = b"LUCIDVK\0";
/// Magic of a prover artifact file.
pub const PK_MAGIC: &[u8; 8] = b"LUCIDPK\0";
/// Magic of a proof file.
pub const PROOF_MAGIC: &[u8; 8] = b"LUCIDPF\0";

/// The commitment scheme's parameters as stored in a key (the conjectured, capacity-bound
/// analysis is always used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofParams {
    /// Target soundness of each commitment opening, in bits.
    pub security_bits: u32,
    /// Proof-of-work bits per grinding phase.
    pub pow_bits: u32,
    /// Variables folded per WHIR round.
    pub folding_factor: u32,
    /// `log2(1/rate)` of the first Reed–Solomon code.
    pub starting_log_inv_rate: u32,
}

impl Default for ProofParams {
    fn default() -> Self {
        let p = PcsParams::default();
        Self {
            security_bits: p.security_bits as u32,
            pow_bits: p.pow_bits as u32,
            folding_factor: p.folding_factor as u32,
            starting_log_inv_rate: p.starting_log_inv_rate as u32,
        }
    }
}

impl ProofParams {
    /// The commitment scheme these parameters describe.
    pub fn scheme(&self) -> CommitmentScheme {
        CommitmentScheme::new(PcsParams {
            security_bits: self.security_bits as usize,
            pow_bits: self.pow_bits as usize,
            folding_factor: self.folding_factor as usize,
            starting_log_inv_rate: self.starting_log_inv_rate as usize,
            assumption: SecurityAssumption::CapacityBound,
        })
    }
}

/// What a verifier needs: the quantized graph's structure without the weights' values, the
/// weights commitment, the visibilities and the proof-system parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyingKey {
    /// The graph; every weight constant is replaced by an empty tensor (its node keeps its
    /// shape). Index constants keep their values.
    pub graph: QGraph,
    /// Visibility of the inputs (outputs are public).
    pub input_visibility: Visibility,
    /// Commitment to the weights, absent when the model has none.
    pub weights: Option<Commitment>,
    /// Commitment-scheme parameters.
    pub params: ProofParams,
}

/// The prover's artifact: the verifying key and the full quantized graph (with weights).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProverKey {
    /// The verifying key.
    pub vk: VerifyingKey,
    /// The quantized graph with every constant.
    pub graph: QGraph,
}

impl VerifyingKey {
    /// The plan both sides derive from this key.
    pub fn plan(&self) -> Result<Plan, ProofError> {
        Plan::new(&self.graph, self.input_visibility)
    }

    /// The model's identity: a Poseidon2 digest of the encoded key, as 64 hex digits.
    pub fn digest_hex(&self) -> Result<String, ProofError> {
        let words = self.digest()?;
        Ok(words.iter().map(|w| format!("{w:016x}")).collect())
    }

    /// The digest as four Goldilocks words.
    pub fn digest(&self) -> Result<[u64; 4], ProofError> {
        let bytes = encode(VK_MAGIC, self)?;
        let mut t = StatementTranscript::new(b"lucid/vk-digest");
        t.observe_bytes(b"vk", &bytes);
        let mut t = t.finish();
        let mut out = [0u64; 4];
        for (i, w) in out.iter_mut().enumerate() {
            let label = [b'd', b'0' + i as u8];
            *w = t.sample_base(&label).as_canonical_u64();
        }
        Ok(out)
    }
}

/// The weights (constants with role [`Role::Weight`]) in weights-commitment order.
pub fn weight_tensors<'a>(graph: &'a QGraph, plan: &Plan) -> Vec<(usize, &'a Tensor<i64>)> {
    let mut out = Vec::with_capacity(plan.num_weights);
    for (id, role) in plan.roles.iter().enumerate() {
        if let (Role::Weight { .. }, QOp::Const(t)) = (role, &graph.nodes[id].op) {
            out.push((id, t));
        }
    }
    out
}

/// The graph as stored in a verifying key: weight values removed.
pub fn strip_weights(graph: &QGraph, plan: &Plan) -> QGraph {
    let mut g = graph.clone();
    for (id, role) in plan.roles.iter().enumerate() {
        if matches!(role, Role::Weight { .. }) {
            g.nodes[id].op = QOp::Const(Tensor::from_vec(Vec::new()));
        }
    }
    g
}

/// Encodes `value` behind `magic` and the format version.
pub fn encode<T: Serialize>(magic: &[u8; 8], value: &T) -> Result<Vec<u8>, ProofError> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(magic);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let body = postcard::to_allocvec(value).map_err(|e| ProofError::Format {
        what: artifact_name(magic),
        reason: format!("cannot encode: {e}"),
    })?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes bytes written by [`encode`] with the same magic.
pub fn decode<T: DeserializeOwned>(magic: &[u8; 8], bytes: &[u8]) -> Result<T, ProofError> {
    let what = artifact_name(magic);
    let err = |reason: String| ProofError::Format { what, reason };
    if bytes.len() < 10 {
        return Err(err(format!("file too short ({} bytes)", bytes.len())));
    }
    if &bytes[..8] != magic {
        let other = [VK_MAGIC, PK_MAGIC, PROOF_MAGIC]
            .into_iter()
            .find(|m| &bytes[..8] == *m)
            .map(|m| format!(" (this is a {})", artifact_name(m)))
            .unwrap_or_default();
        return Err(err(format!("not a Lucid {what}{other}")));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        return Err(err(format!(
            "format version {version}, this build reads version {FORMAT_VERSION}"
        )));
    }
    let (value, rest) =
        postcard::take_from_bytes(&bytes[10..]).map_err(|e| err(format!("corrupted: {e}")))?;
    if !rest.is_empty() {
        return Err(err(format!("corrupted: {} trailing bytes", rest.len())));
    }
    Ok(value)
}

fn artifact_name(magic: &[u8; 8]) -> &'static str {
    match magic {
        m if m == VK_MAGIC => "verifying key",
        m if m == PK_MAGIC => "prover artifact",
        _ => "proof",
    }
}
