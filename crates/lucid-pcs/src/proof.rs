//! What the commitment scheme exchanges: the commitment (root and table lengths), evaluation
//! claims, the opening proof (serde-serializable), and the prover's retained data.

use lucid_core::field::{EF, F};
use lucid_core::transcript::{StatementTranscript, Transcript};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_whir::WhirProof;
use serde::{Deserialize, Serialize};

use crate::error::PcsError;
use crate::hiding::{HidingProof, HidingStack};
use crate::params::{Layout, Mmcs, Whir};

/// The Merkle cap of the stacked codeword (one 4-element Goldilocks root, [`crate::merkle_hash`]).
pub type Root = <Mmcs as p3_commit::Mmcs<F>>::Commitment;

/// The Merkle tree over the codeword (its leaves are the codeword's rows).
pub(crate) type MerkleData = <Mmcs as p3_commit::Mmcs<F>>::ProverData<RowMajorMatrix<F>>;

/// A binding commitment to a batch of base-field tables.
///
/// It holds the Merkle root and the original length of every table; the verifier derives
/// the stacked layout and the WHIR configuration from the lengths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub(crate) root: Root,
    /// The roots of a hiding commitment's further stacks (empty otherwise; see
    /// [`crate::hiding`]).
    pub(crate) extra_roots: Vec<Root>,
    pub(crate) table_lens: Vec<u64>,
    /// Whether the commitment was made by `commit_hiding` (HVZK-WHIR) rather than `commit`.
    pub(crate) hiding: bool,
    /// Whether the commitment was made by `commit_stacked`: the tables in one committed
    /// polynomial ([`crate::stack`]), claims batched before WHIR.
    pub(crate) stacked: bool,
}

impl Commitment {
    /// A plain (non-hiding) commitment of one root: made by `commit`, or by `commit_stacked`
    /// when `stacked`.
    pub(crate) fn plain(root: Root, table_lens: Vec<u64>, stacked: bool) -> Self {
        Self {
            root,
            extra_roots: Vec::new(),
            table_lens,
            hiding: false,
            stacked,
        }
    }

    /// Original lengths of the committed tables, in commit order.
    pub fn table_lens(&self) -> &[u64] {
        &self.table_lens
    }

    /// Whether this is a hiding (zero-knowledge) commitment, made by
    /// [`crate::CommitmentScheme::commit_hiding`].
    pub fn is_hiding(&self) -> bool {
        self.hiding
    }

    /// Whether this commitment holds its tables in one committed polynomial, made by
    /// [`crate::CommitmentScheme::commit_stacked`].
    pub fn is_stacked(&self) -> bool {
        self.stacked
    }

    /// Number of committed tables.
    pub fn num_tables(&self) -> usize {
        self.table_lens.len()
    }

    /// Variables of table `table` (its length rounded up to a power of two), if it exists.
    pub fn table_variables(&self, table: usize) -> Option<usize> {
        self.table_lens
            .get(table)
            .map(|&len| 64 - len.max(1).saturating_sub(1).leading_zeros() as usize)
    }

    /// The Merkle roots as field elements (the first stack's, then any further stack's).
    pub fn root_elements(&self) -> Vec<F> {
        self.roots()
            .into_iter()
            .flat_map(|r| r.roots().iter().flatten().copied().collect::<Vec<_>>())
            .collect()
    }

    /// Every stack's root, the first stack's first.
    pub(crate) fn roots(&self) -> Vec<&Root> {
        std::iter::once(&self.root)
            .chain(&self.extra_roots)
            .collect()
    }

    fn lens_as_field(&self) -> Vec<F> {
        // Each length is absorbed as two 32-bit limbs so that every u64 is bound injectively.
        self.table_lens
            .iter()
            .flat_map(|&l| [F::from_u64(l & 0xFFFF_FFFF), F::from_u64(l >> 32)])
            .collect()
    }

    /// Binds the commitment into a statement (e.g. the committed weights of a verifying key).
    ///
    /// # Transcript
    ///
    /// Base slices `lucid-pcs/lens` (two 32-bit limbs per table length), then
    /// `lucid-pcs/root` (the Merkle roots, 4 elements per stack); a hiding commitment then adds
    /// the base slice `lucid-pcs/hiding` (`[1]`), a stacked one `lucid-pcs/stacked` (`[1]`).
    /// Both methods absorb the same sequence.
    pub fn observe_statement(&self, transcript: &mut StatementTranscript) {
        transcript.observe_base_slice(b"lucid-pcs/lens", &self.lens_as_field());
        transcript.observe_base_slice(b"lucid-pcs/root", &self.root_elements());
        if self.hiding {
            transcript.observe_base_slice(b"lucid-pcs/hiding", &[F::ONE]);
        }
        if self.stacked {
            transcript.observe_base_slice(b"lucid-pcs/stacked", &[F::ONE]);
        }
    }

    /// Binds the commitment into a running transcript (a commitment made during a proof,
    /// before any challenge that depends on it).
    ///
    /// # Transcript
    ///
    /// Base slices `lucid-pcs/lens` (two 32-bit limbs per table length), then
    /// `lucid-pcs/root` (the Merkle roots, 4 elements per stack); a hiding commitment then adds
    /// the base slice `lucid-pcs/hiding` (`[1]`), a stacked one `lucid-pcs/stacked` (`[1]`).
    /// Both methods absorb the same sequence.
    pub fn observe(&self, transcript: &mut Transcript) {
        transcript.observe_base_slice(b"lucid-pcs/lens", &self.lens_as_field());
        transcript.observe_base_slice(b"lucid-pcs/root", &self.root_elements());
        if self.hiding {
            transcript.observe_base_slice(b"lucid-pcs/hiding", &[F::ONE]);
        }
        if self.stacked {
            transcript.observe_base_slice(b"lucid-pcs/stacked", &[F::ONE]);
        }
    }
}

/// A claim `table(point) = value` about the multilinear extension of a committed table.
///
/// `point` has one coordinate per variable of the table (its length rounded up to a power of
/// two, padded with zeros); `point[0]` is the most significant bit of the entry index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalClaim {
    /// Index of the table in commit order.
    pub table: usize,
    /// Evaluation point, most significant variable first.
    pub point: Vec<EF>,
    /// Claimed value of the table's multilinear extension at `point`.
    pub value: EF,
}

/// Proof that every claim of one `open` call holds for the committed tables.
///
/// The claimed values are not repeated in it: the verifier takes them from its claims.
#[derive(Clone, Serialize, Deserialize)]
pub struct OpeningProof {
    pub(crate) body: ProofBody,
}

/// The proof of each commitment mode.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) enum ProofBody {
    /// Plain (non-hiding) WHIR over the stacked tables.
    Plain(Box<WhirProof<F, EF, Mmcs>>),
    /// Plain WHIR over a stacked commitment's one polynomial, after an optional claim batch
    /// (see [`crate::stack`]).
    Stacked {
        /// The claim batch, present exactly when [`crate::stack::batches`] says so.
        batch: Option<crate::stack::StackBatch>,
        /// The WHIR proof of the (batched or lifted) claims.
        whir: Box<WhirProof<F, EF, Mmcs>>,
    },
    /// Hiding HVZK-WHIR, one proof per stack holding a claimed table, each after an optional
    /// claim batch (see [`crate::hiding`]).
    Hiding(Vec<HidingProof>),
}

impl core::fmt::Debug for OpeningProof {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.body {
            ProofBody::Plain(w) => f
                .debug_struct("OpeningProof::Plain")
                .field("rounds", &w.rounds.len())
                .field("initial_ood_answers", &w.initial_ood_answers.len())
                .finish_non_exhaustive(),
            ProofBody::Stacked { batch, whir } => f
                .debug_struct("OpeningProof::Stacked")
                .field("batched", &batch.is_some())
                .field("rounds", &whir.rounds.len())
                .finish_non_exhaustive(),
            ProofBody::Hiding(z) => f
                .debug_struct("OpeningProof::Hiding")
                .field("stacks", &z.len())
                .field(
                    "batched",
                    &z.iter().map(|s| s.batch.is_some()).collect::<Vec<_>>(),
                )
                .field(
                    "evals",
                    &z.iter().map(|s| s.whir.evals.len()).sum::<usize>(),
                )
                .finish_non_exhaustive(),
        }
    }
}

/// Prover-side data kept between `commit` and `open`: the tables, the codeword and its
/// Merkle tree. An opening consumes it; clone it to open the same commitment again.
///
/// Hiding data can be opened once only: a clone shares it, and only the last holder can open
/// (a second opening of the same masked codeword would reveal more positions than its
/// randomness hides).
#[derive(Clone)]
pub struct ProverData {
    pub(crate) mode: ProverMode,
    pub(crate) commitment: Commitment,
}

/// The prover data of each commitment mode.
#[derive(Clone)]
pub(crate) enum ProverMode {
    /// Plain WHIR: the instance, the stacked tables and the codeword's Merkle tree.
    Plain {
        whir: std::sync::Arc<Whir>,
        layout: Layout,
        merkle: MerkleData,
    },
    /// HVZK-WHIR: per stack, the instance (with its prover randomness), the plan, the masked
    /// data, and the committed mask of the claim-batching sumcheck.
    Hiding(Vec<HidingStack>),
    /// Plain WHIR over one stacked polynomial: the instance, its one-table layout (which holds
    /// the stacked values the claim batching reads) and Merkle tree, and where each caller
    /// table sits.
    Stacked {
        whir: std::sync::Arc<Whir>,
        layout: Layout,
        merkle: MerkleData,
        stack: crate::stack::Stack,
    },
}

impl ProverData {
    /// The commitment this data opens.
    pub fn commitment(&self) -> &Commitment {
        &self.commitment
    }
}

impl core::fmt::Debug for ProverData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProverData")
            .field("commitment", &self.commitment)
            .finish_non_exhaustive()
    }
}

/// Checks what a verifier can check about a commitment before using it.
pub(crate) fn check_commitment(commitment: &Commitment) -> Result<(), PcsError> {
    for root in commitment.roots() {
        let caps = root.roots().len();
        if caps != 1 {
            return Err(PcsError::MalformedCommitment {
                expected: 1,
                got: caps,
            });
        }
    }
    if !commitment.hiding && !commitment.extra_roots.is_empty() {
        return Err(PcsError::MalformedCommitment {
            expected: 1,
            got: 1 + commitment.extra_roots.len(),
        });
    }
    if commitment.hiding && commitment.stacked {
        return Err(PcsError::ModeMismatch {
            expected: "hiding or stacked",
            got: "both",
        });
    }
    if commitment.table_lens.is_empty() {
        return Err(PcsError::NoTables);
    }
    if let Some(table) = commitment.table_lens.iter().position(|&l| l == 0) {
        return Err(PcsError::EmptyTable { table });
    }
    Ok(())
}

/// Checks each claim's table and arity against the commitment's tables.
pub(crate) fn check_claims(commitment: &Commitment, claims: &[EvalClaim]) -> Result<(), PcsError> {
    let num_tables = commitment.num_tables();
    for (i, claim) in claims.iter().enumerate() {
        let vars = commitment
            .table_variables(claim.table)
            .ok_or(PcsError::NoSuchTable {
                claim: i,
                table: claim.table,
                num_tables,
            })?;
        if claim.point.len() != vars {
            return Err(PcsError::PointArity {
                claim: i,
                table: claim.table,
                expected: vars,
                got: claim.point.len(),
            });
        }
    }
    Ok(())
}
