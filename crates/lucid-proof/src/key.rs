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
//! | stored weights codeword (`model.weights`) | `LUCIDWC\0` | see [`crate::graph::weights`] |

use lucid_core::transcript::StatementTranscript;
use lucid_model::ir::replicate;
use lucid_model::quant::{QGraph, QOp};
use lucid_model::tensor::{Tensor, Value};
use lucid_pcs::{Commitment, CommitmentScheme, PcsParams, SecurityAssumption};
use p3_field::PrimeField64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ProofError;
use crate::graph::plan::{Plan, Role, Visibility};

/// Version of the key and proof formats. Bump on any change of the encoded structures.
///
/// 2: the verifying key gains [`WeightsParams`]; plain openings use explicit per-round rates
/// and the plain witness a lower rate (see [`ProofParams::witness_scheme`]); the stored weights
/// codeword (`model.weights`) is introduced; `lucid-pcs` commitments carry their mode.
///
/// 3: the plain proof gains `clamps` (ReLU and `max`/`min` with a constant proved by range
/// checks and a zero-check instead of a function table, `graph::clamp`).
///
/// 5: the plain proof's clamp zero-checks are one batched sumcheck with the `eq` factor split
/// off (`graph::zero_check`): `Proof::clamps` becomes a `ClampsProof`; the lookup instances are
/// packed per table (`graph::packing`) and the plain proof gains `lookup_parts`; weights of
/// 2^17–2^18 stacked elements are committed at rate 1/2; hiding openings
/// (zero-knowledge proofs) batch many claims with a zero-knowledge sumcheck before HVZK-WHIR,
/// hiding commitments may hold up to three stacks (one root each), and hiding stacks hold two
/// internal tables (`lucid_pcs::hiding`); the zero-knowledge proof gains the layer proofs
/// `Product` and `Concat`.
///
/// 6: every Merkle tree (commitment roots, WHIR round codewords, stored weights digests)
/// hashes with the Keccak-f[1600] sponge of `lucid_pcs::merkle_hash` instead of Poseidon2; the
/// zero-knowledge lookup argument reads a table's fractions from its committed multiplicities
/// and a public inverse (`lucid_lookup::zk`): no fraction helper columns, one evaluation per
/// table instead of four.
///
/// 7: the verifying key gains [`VerifyingKey::replicas`] (a model too small for
/// zero-knowledge masks is proved as stacked copies of itself); the plain proof's witness is a
/// stacked commitment (`lucid_pcs::stack`: its tables in one committed polynomial, the
/// opening's claims batched by a sumcheck before WHIR), so commitments carry a `stacked` flag
/// and openings a `Stacked` body.
///
/// 8: the openings at the end of a proof (plain: witness, weights; zero knowledge: witness,
/// lookup helpers, weights) each run on their own fork of the transcript
/// (`lucid_core::transcript::Transcript::fork`), so that the prover runs them side by side;
/// the encoding is unchanged, the challenges are not.
pub const FORMAT_VERSION: u16 = 8;

/// How much the plain witness commitment raises `log2(1/rate)` over
/// [`ProofParams::starting_log_inv_rate`] (rate 1/4 by default): it costs twice the hashing of
/// rate 1/2 at commit time, but its opening needs half the queries (a 2^18-element witness:
/// commit 14 → 26 ms, opening 19 → 21 ms, proof 80 → 55 KB).
pub const PLAIN_WITNESS_EXTRA_RATE: usize = 1;

/// Growth of `log2(1/rate)` per WHIR round in plain witness openings. WHIR's default
/// (`folding_factor − 1`) halves the evaluation domain per round, which makes the first round's
/// codeword as large as the committed one (in extension-field elements); a step of 1 divides
/// it by 8, at a few more queries in the later rounds (measured on 2^18 elements at rate 1/4:
/// opening 59 → 19 ms, proof 45 → 54 KB; at rate 1/2 with WHIR's step: 35 ms, 62 KB).
pub const WITNESS_ROUND_RATE_STEP: usize = 1;

/// How much the zero-knowledge mode's hiding commitments raise `log2(1/rate)` over the key's.
pub const ZK_EXTRA_RATE: usize = 0;

/// Growth of `log2(1/rate)` per round of the hiding commitments (`None`: WHIR's default).
pub const ZK_ROUND_RATE_STEP: Option<usize> = None;

/// Largest stored weights codeword, as `log2` of its elements: the weights' rate is lowered
/// (to at least 1/2) so that `model.weights` (9–12 bytes per codeword element) stays within
/// `2^24` elements where possible.
pub const MAX_WEIGHTS_CODEWORD_LOG: usize = 24;

/// `log2` of the stacked weights from which the weights are committed at rate 1/2 with a rate
/// step of 2 ([`WeightsParams::for_variables`]): loading a larger stored codeword costs more
/// than the opening's extra queries.
pub const LOW_RATE_WEIGHTS_LOG: usize = 21;

/// Magic of a verifying key file.
pub const VK_MAGIC: &[u8; 8] = b"LUCIDVK\0";
/// Magic of a prover artifact file.
pub const PK_MAGIC: &[u8; 8] = b"LUCIDPK\0";
/// Magic of a proof file.
pub const PROOF_MAGIC: &[u8; 8] = b"LUCIDPF\0";
/// Magic of a zero-knowledge proof (`crate::zk::ZkProof`).
pub const ZK_PROOF_MAGIC: &[u8; 8] = b"LUCIDZK\0";
/// Magic of a stored weights codeword (`model.weights`).
pub const WEIGHTS_MAGIC: &[u8; 8] = b"LUCIDWC\0";

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
    /// `lucid-pcs`'s defaults: 100 bits, 12 grinding bits, folding 4, rate 1/2 (the plain
    /// witness commitment adds [`PLAIN_WITNESS_EXTRA_RATE`]).
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
    /// The parameters as the words a proof's statement transcript observes (`params`).
    pub fn statement_words(&self) -> [u64; 4] {
        let ProofParams {
            security_bits,
            pow_bits,
            folding_factor,
            starting_log_inv_rate,
        } = *self;
        [
            u64::from(security_bits),
            u64::from(pow_bits),
            u64::from(folding_factor),
            u64::from(starting_log_inv_rate),
        ]
    }

    fn pcs(&self) -> PcsParams {
        PcsParams {
            security_bits: self.security_bits as usize,
            pow_bits: self.pow_bits as usize,
            folding_factor: self.folding_factor as usize,
            starting_log_inv_rate: self.starting_log_inv_rate as usize,
            first_folding_factor: None,
            round_rate_step: None,
            assumption: SecurityAssumption::CapacityBound,
        }
    }

    /// The scheme of the zero-knowledge mode's hiding commitments: these parameters with
    /// `log2(1/rate)` raised by [`ZK_EXTRA_RATE`], growing by [`ZK_ROUND_RATE_STEP`] per round.
    pub fn zk_scheme(&self) -> CommitmentScheme {
        CommitmentScheme::new(PcsParams {
            starting_log_inv_rate: self.starting_log_inv_rate as usize + ZK_EXTRA_RATE,
            round_rate_step: ZK_ROUND_RATE_STEP,
            ..self.pcs()
        })
    }

    /// The scheme of the plain witness commitment: `log2(1/rate)` raised by
    /// [`PLAIN_WITNESS_EXTRA_RATE`], growing by [`WITNESS_ROUND_RATE_STEP`] per round.
    pub fn witness_scheme(&self) -> CommitmentScheme {
        CommitmentScheme::new(PcsParams {
            starting_log_inv_rate: self.starting_log_inv_rate as usize + PLAIN_WITNESS_EXTRA_RATE,
            round_rate_step: Some(WITNESS_ROUND_RATE_STEP),
            ..self.pcs()
        })
    }

    /// The commitment scheme of the weights: these parameters with the weights' own rates and
    /// first folding.
    pub fn weights_scheme(&self, weights: &WeightsParams) -> CommitmentScheme {
        CommitmentScheme::new(PcsParams {
            starting_log_inv_rate: weights.log_inv_rate as usize,
            round_rate_step: Some(weights.round_rate_step as usize),
            first_folding_factor: Some(weights.first_folding as usize),
            ..self.pcs()
        })
    }
}

/// The rates and first folding of the weights commitment. The weights are committed once, at
/// compile time, and their codeword is kept (`model.weights`), so a lower rate costs no
/// proving time: it buys fewer queries (a smaller, faster opening).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsParams {
    /// `log2(1/rate)` of the first Reed–Solomon code.
    pub log_inv_rate: u32,
    /// Growth of `log2(1/rate)` per WHIR round (1: each round's domain is 1/8 of the last with
    /// folding 4, the cheapest opening for these sizes; 2 from `2^21` stacked weights on, see
    /// [`WeightsParams::for_variables`]).
    pub round_rate_step: u32,
    /// Variables folded by the weights opening's first WHIR round (`lucid_pcs::PcsParams::
    /// first_folding_factor`); the stored codeword's rows hold `2^first_folding` elements.
    pub first_folding: u32,
}

impl WeightsParams {
    /// The rates for a stacked weights polynomial of `num_variables` variables: rate 1/4 and a
    /// step of 1, except as below. Measured on 2^22 elements: opening 2.4 → 0.39 s, proof
    /// 87 → 78 KB against rate 1/2 with WHIR's step. (Rate 1/8 would save another 11 KB on
    /// 2^19 elements but doubles the opening, 47 → 85 ms, and the stored codeword.)
    ///
    /// Weights of `2^17`–`2^18` stacked elements use rate 1/2: there reading `model.weights`
    /// (10 MB at rate 1/4) and encoding the opening's first folded codeword cost as much as the
    /// rest of a small model's proof, and rate 1/2 halves both (784-128-64-10 MLP: whole
    /// `lucid prove` 54–62 → 46–51 ms, weights loading 13 → 7 ms, proof 98.5 → 129 KiB;
    /// LeNet-5's proof 131 → 150 KiB).
    ///
    /// From `2^21` stacked elements on ([`LOW_RATE_WEIGHTS_LOG`]), rate 1/2 with a step of 2:
    /// loading `model.weights` is then bound by the page faults of the restored tree's fresh
    /// memory (about 0.5 ms per MB, `lucid_pcs::stored`), so halving the stored codeword halves
    /// it, and the step of 2 keeps the opening's first folded codeword (and so its time) as at
    /// rate 1/4 with a step of 1, for fewer queries in the later rounds than a step of 1. The
    /// 1024-1024-1024-10 MLP (`2^22`, Keccak Merkle trees, streamed loading): weights loading
    /// 73–76 → 39–43 ms, opening unchanged (62–77 ms), stored 151 → 75 MB, proof 147 → 179 KiB
    /// (rate 1/2 with a step of 1: opening 53 ms but proof 196 KiB; rate 1/4 with a first
    /// folding of 7: loading 74 ms, opening 55 ms, proof 167 KiB). One `2^21·7/8`-element
    /// table, 6 claims: stored 75 → 38 MB, restoring 37–43 → 20 ms, opening proof 84 → 116 KB.
    ///
    /// The first round folds 6 variables from `2^20` weights on, 5 from `2^17`: the opening
    /// then encodes and hashes a first-round codeword 4 (2) times smaller. One table, 4 claims,
    /// restored data (`cargo bench -p lucid-pcs --bench stored`, `LUCID_PCS_BENCH_SWEEP`):
    /// `2^22`: opening 726 → 259 ms, proof 78.7 → 87.4 KB, stored codeword 201 → 151 MB;
    /// `2^18` with 5: opening 28 → 18 ms, proof 54.2 → 56.1 KB, stored 12.6 → 10.5 MB.
    pub fn for_variables(num_variables: usize) -> Self {
        let low_rate = num_variables >= LOW_RATE_WEIGHTS_LOG;
        let log_inv_rate = if low_rate
            || (17..=18).contains(&num_variables)
            || num_variables + 2 > MAX_WEIGHTS_CODEWORD_LOG
        {
            1
        } else {
            2
        };
        let first_folding = match num_variables {
            20.. => 6,
            17..=19 => 5,
            _ => ProofParams::default().folding_factor,
        };
        Self {
            log_inv_rate,
            round_rate_step: if low_rate { 2 } else { 1 },
            first_folding,
        }
    }
}

impl Default for WeightsParams {
    fn default() -> Self {
        Self {
            log_inv_rate: 2,
            round_rate_step: 1,
            first_folding: ProofParams::default().folding_factor,
        }
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
    /// The rates of the weights commitment.
    pub weights_params: WeightsParams,
    /// Commitment-scheme parameters.
    pub params: ProofParams,
    /// How many stacked copies of the model the graph is (1: the model itself). With `k > 1`
    /// the graph is the model run on its inputs tiled `k` times along axis 0
    /// (`lucid_model::ir::replicate`, which refuses graphs that mix the copies), so that every
    /// tensor is large enough for zero-knowledge masks; the statement's public inputs and
    /// outputs must then be `k` equal copies ([`check_public_values`]), and the model's input
    /// and output are one copy ([`VerifyingKey::tile_inputs`], [`VerifyingKey::first_copy`]).
    pub replicas: usize,
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
    /// The commitment scheme of the weights.
    pub fn weights_scheme(&self) -> CommitmentScheme {
        self.params.weights_scheme(&self.weights_params)
    }

    /// The plan both sides derive from this key.
    pub fn plan(&self) -> Result<Plan, ProofError> {
        Plan::new(&self.graph, self.input_visibility)
    }

    /// The model's inputs tiled [`Self::replicas`] times along axis 0: the graph's inputs.
    /// Errors when an input does not have the model's shape (the graph's with axis 0 divided
    /// by `replicas`).
    pub fn tile_inputs(&self, inputs: &[Value]) -> Result<Vec<Value>, ProofError> {
        let copies = self.checked_replicas()?;
        if inputs.len() != self.graph.inputs.len() {
            return Err(ProofError::Statement(format!(
                "{} inputs for a model of {}",
                inputs.len(),
                self.graph.inputs.len()
            )));
        }
        if copies == 1 {
            return Ok(inputs.to_vec());
        }
        inputs
            .iter()
            .zip(&self.graph.inputs)
            .map(|(v, input)| {
                let want = model_shape(&input.shape, copies);
                if v.shape() != want.as_slice() {
                    return Err(ProofError::Statement(format!(
                        "input '{}' has shape {:?}, the model takes {want:?}",
                        input.name,
                        v.shape()
                    )));
                }
                replicate::tile(v, copies)
                    .map_err(|e| ProofError::Statement(format!("input '{}': {e}", input.name)))
            })
            .collect()
    }

    /// The first of the [`Self::replicas`] copies of each tensor (the model's outputs from the
    /// graph's); the tensors themselves when the graph is the model. The tensors must have
    /// passed [`check_public_values`].
    pub fn first_copy(&self, tensors: &[Tensor<i64>]) -> Result<Vec<Tensor<i64>>, ProofError> {
        let copies = self.checked_replicas()?;
        tensors
            .iter()
            .map(|t| {
                replicate::first_block(t, copies)
                    .map_err(|e| ProofError::Statement(format!("cannot split a copy: {e}")))
            })
            .collect()
    }

    /// [`Self::replicas`], checked: at least 1 and dividing axis 0 of every input and output.
    pub(crate) fn checked_replicas(&self) -> Result<usize, ProofError> {
        let copies = self.replicas;
        let divides =
            |shape: &[usize]| copies == 1 || shape.first().is_some_and(|&d| d % copies == 0);
        let inputs = self.graph.inputs.iter().map(|i| i.shape.as_slice());
        let outputs = self.graph.outputs.iter().map(|o| {
            self.graph
                .nodes
                .get(o.node)
                .map_or(&[][..], |n| n.shape.as_slice())
        });
        if copies == 0 || !inputs.chain(outputs).all(divides) {
            return Err(ProofError::Statement(format!(
                "the key's {copies} replicas do not divide axis 0 of its inputs and outputs"
            )));
        }
        Ok(copies)
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

/// The model's shape of a graph input or output of shape `shape` in a key of `copies` replicas.
fn model_shape(shape: &[usize], copies: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    if let Some(d) = s.first_mut() {
        *d /= copies.max(1);
    }
    s
}

/// Checks a proof's public values against the key: one tensor per public input (none with
/// private inputs) and per output, each of its node's shape, and — in a key of several
/// [`VerifyingKey::replicas`] — each made of that many equal copies along axis 0, so that the
/// statement is about one run of the model.
pub fn check_public_values(
    vk: &VerifyingKey,
    public_inputs: &[Tensor<i64>],
    outputs: &[Tensor<i64>],
) -> Result<(), ProofError> {
    let graph = &vk.graph;
    let copies = vk.checked_replicas()?;
    let want_inputs = match vk.input_visibility {
        Visibility::Public => graph.inputs.len(),
        Visibility::Private => 0,
    };
    if public_inputs.len() != want_inputs {
        return Err(ProofError::Statement(format!(
            "expected {want_inputs} public inputs, the proof has {}",
            public_inputs.len()
        )));
    }
    if outputs.len() != graph.outputs.len() {
        return Err(ProofError::Statement(format!(
            "expected {} outputs, the proof has {}",
            graph.outputs.len(),
            outputs.len()
        )));
    }
    let named = graph
        .inputs
        .iter()
        .map(|i| ("input", i.name.as_str(), i.node))
        .zip(public_inputs)
        .chain(
            graph
                .outputs
                .iter()
                .map(|o| ("output", o.name.as_str(), o.node))
                .zip(outputs),
        );
    for ((kind, name, node), t) in named {
        let want = graph.nodes.get(node).map(|n| n.shape.as_slice());
        if Some(t.shape()) != want {
            return Err(ProofError::Statement(format!(
                "{kind} '{name}' has shape {:?}, the key says {want:?}",
                t.shape()
            )));
        }
        if copies > 1 && !replicate::blocks_equal(t, copies) {
            return Err(ProofError::Statement(format!(
                "{kind} '{name}' is not {copies} equal copies along axis 0, as the key's replicas require"
            )));
        }
    }
    Ok(())
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
        let other = [VK_MAGIC, PK_MAGIC, PROOF_MAGIC, ZK_PROOF_MAGIC]
            .into_iter()
            .find(|m| &bytes[..8] == *m)
            .map(|m| format!(" (this is a {})", artifact_name(m)))
            .unwrap_or_default();
        return Err(err(format!("not a Lucid {what}{other}")));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        let remedy = if magic == VK_MAGIC || magic == PK_MAGIC {
            "compile the model again with this build (`lucid compile`)"
        } else {
            "prove again with this build and a key it compiled"
        };
        return Err(err(format!(
            "format version {version}, this build reads version {FORMAT_VERSION}: {remedy}"
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
        m if m == ZK_PROOF_MAGIC => "zero-knowledge proof",
        _ => "proof",
    }
}
