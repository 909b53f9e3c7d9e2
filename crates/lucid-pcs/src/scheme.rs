//! Commit a batch of tables under one WHIR root; prove and verify any number of evaluation
//! claims on them with a single WHIR opening.
//!
//! The tables are stacked into one multilinear polynomial by `p3-sumcheck`'s layout (largest
//! table first, each in its own slot addressed by Boolean selector variables), so that a claim
//! about one table is a claim about the stacked polynomial at a point whose selector
//! coordinates are Boolean. WHIR batches every claim with random powers and proves them all in
//! one run; the proof size and verifier cost grow only logarithmically with the data, and the
//! claim count adds one batching power each.

use std::sync::Arc;

use lucid_core::field::{EF, F};
use lucid_core::transcript::{Transcript, new_challenger};
use p3_commit::MultilinearPcs;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_multilinear_util::point::Point;
use p3_sumcheck::layout::{Layout as _, Table, Witness};
use p3_sumcheck::{OpeningBatch, OpeningProtocol, PrescribedPointPcs, TableShape, TableSpec};
use p3_whir::{PcsProof, WhirProof};

use crate::error::PcsError;
use crate::params::{
    Dft, Layout, Mmcs, PcsParams, SecurityReport, Whir, new_mmcs, stacked_shape, table_variables,
};
use crate::proof::{
    Commitment, EvalClaim, MerkleData, OpeningProof, ProofBody, ProverData, ProverMode,
    check_claims, check_commitment,
};
use crate::stack::{self, Stack, StackBatch};

/// The commitment scheme: parameters plus the Merkle hasher.
#[derive(Clone)]
pub struct CommitmentScheme {
    params: PcsParams,
    mmcs: Mmcs,
}

impl core::fmt::Debug for CommitmentScheme {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CommitmentScheme")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// The public part of an opening: which table each WHIR batch opens and at which point.
struct Schedule {
    protocol: OpeningProtocol,
    /// Stacked-frame points (padded tables get leading zero coordinates), in protocol order.
    points: Vec<Point<EF>>,
    /// `order[j]` = index in the caller's claim list of the `j`-th opened batch.
    order: Vec<usize>,
}

impl CommitmentScheme {
    /// A scheme with the given parameters.
    pub fn new(params: PcsParams) -> Self {
        Self {
            params,
            mmcs: new_mmcs(),
        }
    }

    /// The Merkle hasher.
    pub(crate) fn mmcs(&self) -> &Mmcs {
        &self.mmcs
    }

    /// The parameters.
    pub fn params(&self) -> &PcsParams {
        &self.params
    }

    /// Security of one opening of `num_claims` claims on tables of the given lengths.
    pub fn security(
        &self,
        table_lens: &[usize],
        num_claims: usize,
    ) -> Result<SecurityReport, PcsError> {
        self.params.security(table_lens, num_claims)
    }

    /// The WHIR instance for tables of the given variables, and the tables' committed arities.
    /// With `twiddles`, the encoder's twiddle factors for the committed codeword are computed
    /// up front (a commitment needs them at once); otherwise they are computed when a round
    /// first needs them (a restored commitment only encodes the smaller later rounds).
    fn whir_for(
        &self,
        table_vars: &[usize],
        twiddles: bool,
    ) -> Result<(Whir, Vec<usize>, usize), PcsError> {
        let (committed, num_variables) = stacked_shape(table_vars, self.params.first_folding())?;
        let (config, _) = self.params.whir_config(num_variables)?;
        let dft = if twiddles {
            Dft::new(1 << config.max_fft_size())
        } else {
            Dft::default()
        };
        Ok((
            Whir::new(config, dft, self.mmcs.clone()),
            committed,
            num_variables,
        ))
    }

    /// The WHIR instance for `tables` and their stacked witness (tables zero-padded to
    /// powers of two).
    pub(crate) fn stacked(&self, tables: Vec<Vec<F>>) -> Result<(Whir, Witness<F>), PcsError> {
        self.stacked_with(tables, true)
    }

    /// [`Self::stacked`] with the encoder's twiddles left to be computed on first use.
    pub(crate) fn stacked_lazy(&self, tables: Vec<Vec<F>>) -> Result<(Whir, Witness<F>), PcsError> {
        self.stacked_with(tables, false)
    }

    fn stacked_with(
        &self,
        tables: Vec<Vec<F>>,
        twiddles: bool,
    ) -> Result<(Whir, Witness<F>), PcsError> {
        let table_vars: Vec<usize> = tables.iter().map(|t| table_variables(t.len())).collect();
        let (whir, _, num_variables) = self.whir_for(&table_vars, twiddles)?;
        let tables: Vec<Table<F>> = tables
            .into_iter()
            .zip(&table_vars)
            .map(|(mut values, &vars)| {
                values.resize(1 << vars, F::ZERO);
                Table::new(RowMajorMatrix::new(values, 1 << vars))
            })
            .collect();
        let witness = Layout::new_witness(tables, self.params.first_folding());
        if witness.num_variables() != num_variables {
            // Our planner and the layout's disagree: a bug, not an input error.
            return Err(PcsError::ParameterMismatch);
        }
        Ok((whir, witness))
    }

    /// Commits to `tables` (any lengths ≥ 1; each is zero-padded to a power of two).
    ///
    /// Nothing enters a transcript here: bind the returned commitment with
    /// [`Commitment::observe`] or [`Commitment::observe_statement`] before drawing any
    /// challenge that a later claim on it depends on.
    pub fn commit(&self, tables: Vec<Vec<F>>) -> Result<(Commitment, ProverData), PcsError> {
        let table_lens = checked_lens(&tables)?;
        let (whir, witness) = self.stacked(tables)?;
        // WHIR's commit binds the root into the challenger it is given; ours binds it through
        // `Commitment::observe`, so a scratch challenger receives WHIR's binding.
        let (root, data) = whir.commit(witness, &mut new_challenger())?;
        let commitment = Commitment::plain(root, table_lens, false);
        Ok((
            commitment.clone(),
            ProverData {
                mode: ProverMode::Plain {
                    whir: Arc::new(whir),
                    layout: data.layout,
                    merkle: data.merkle_data,
                },
                commitment,
            },
        ))
    }

    /// Commits to `tables` (any lengths ≥ 1) placed in one polynomial ([`crate::stack`]):
    /// the same claims as [`Self::commit`]'s, but an opening of many claims first batches them
    /// into one (a sumcheck over the stack), so that WHIR pays for one claim instead of each.
    pub fn commit_stacked(
        &self,
        tables: Vec<Vec<F>>,
    ) -> Result<(Commitment, ProverData), PcsError> {
        let table_lens = checked_lens(&tables)?;
        let stack = Stack::new(&table_lens, self.params.first_folding())?;
        let values = stack.values(&tables);
        drop(tables);
        let (whir, witness) = self.stacked(vec![values])?;
        let (root, data) = whir.commit(witness, &mut new_challenger())?;
        let commitment = Commitment::plain(root, table_lens, true);
        Ok((
            commitment.clone(),
            ProverData {
                mode: ProverMode::Stacked {
                    whir: Arc::new(whir),
                    layout: data.layout,
                    merkle: data.merkle_data,
                    stack,
                },
                commitment,
            },
        ))
    }

    /// The one-table commitment WHIR sees behind a stacked commitment.
    fn inner(commitment: &Commitment, stack: &Stack) -> Commitment {
        Commitment::plain(
            commitment.root.clone(),
            vec![1u64 << stack.num_variables],
            false,
        )
    }

    /// A stacked commitment's claims as the claims WHIR proves on its one table: the batched
    /// claim (prover side: with the batch proof), or each claim at its lifted point.
    fn inner_claims_prove(
        stack: &Stack,
        values: &[F],
        claims: &[EvalClaim],
        transcript: &mut Transcript,
    ) -> Result<(Option<StackBatch>, Vec<EvalClaim>), PcsError> {
        if stack::batches(claims.len()) {
            let (batch, point, value) = stack::prove_batch(stack, values, claims, transcript)?;
            let claim = EvalClaim {
                table: 0,
                point,
                value,
            };
            return Ok((Some(batch), vec![claim]));
        }
        Ok((None, lifted_claims(stack, claims)))
    }

    /// Checks the claims against the commitment's shapes and orders them by table.
    fn schedule(
        &self,
        commitment: &Commitment,
        claims: &[EvalClaim],
    ) -> Result<Schedule, PcsError> {
        let num_tables = commitment.num_tables();
        let folding = self.params.first_folding();
        check_claims(commitment, claims)?;
        let mut per_table: Vec<Vec<usize>> = vec![Vec::new(); num_tables];
        for (i, claim) in claims.iter().enumerate() {
            per_table[claim.table].push(i);
        }
        let mut specs = Vec::with_capacity(num_tables);
        let mut points = Vec::with_capacity(claims.len());
        let mut order = Vec::with_capacity(claims.len());
        for (table, claim_ids) in per_table.into_iter().enumerate() {
            let vars = commitment.table_variables(table).unwrap_or(0);
            let committed_vars = vars.max(folding);
            specs.push(TableSpec::new(
                TableShape::new(committed_vars, 1),
                claim_ids
                    .iter()
                    .map(|_| OpeningBatch::new(vec![0], Vec::new()))
                    .collect(),
            ));
            for &i in &claim_ids {
                // Padding appends zeros after the table, i.e. adds leading (most significant)
                // variables that are 0 on the table's entries.
                let mut coords = vec![EF::ZERO; committed_vars - vars];
                coords.extend_from_slice(&claims[i].point);
                points.push(Point::new(coords));
            }
            order.extend(claim_ids);
        }
        Ok(Schedule {
            protocol: OpeningProtocol::new(specs),
            points,
            order,
        })
    }

    /// Checks that this opening reaches the security target.
    fn check_security(&self, whir: &Whir, protocol: &OpeningProtocol) -> Result<(), PcsError> {
        let achieved = whir
            .prescribed_security(protocol)
            .map_or(0.0, |s| s.error().bits());
        if achieved < self.params.security_bits as f64 {
            return Err(PcsError::InsufficientSecurity {
                target: self.params.security_bits,
                achieved,
            });
        }
        Ok(())
    }

    /// Proves every claim in `claims` about the tables behind `data`, in one WHIR opening.
    ///
    /// The claims' points must already be fixed by the transcript (drawn after the commitment
    /// was bound); the values are the prover's messages.
    ///
    /// # Transcript
    ///
    /// 1. label `lucid-pcs/open`; base slice `lucid-pcs/claims`: the claim count, then each
    ///    claim's table index;
    /// 2. for each claim in the caller's order: ext slices `lucid-pcs/point` and
    ///    `lucid-pcs/value`;
    /// 3. WHIR's own messages (opened values in table order, out-of-domain answers, sumcheck
    ///    rounds, Merkle roots, proof-of-work witnesses, queries), driven on
    ///    [`Transcript::challenger_mut`].
    pub fn open(
        &self,
        data: ProverData,
        claims: &[EvalClaim],
        transcript: &mut Transcript,
    ) -> Result<OpeningProof, PcsError> {
        let ProverData { mode, commitment } = data;
        let (whir, layout, merkle) = match mode {
            ProverMode::Plain {
                whir,
                layout,
                merkle,
            } => (whir, layout, merkle),
            ProverMode::Hiding(stacks) => {
                return crate::hiding::open(self, stacks, &commitment, claims, transcript);
            }
            ProverMode::Stacked {
                whir,
                layout,
                merkle,
                stack,
            } => {
                check_claims(&commitment, claims)?;
                bind_claims(claims, transcript);
                // The layout's one table is the stacked polynomial.
                let values = layout
                    .table(0)
                    .iter_polys()
                    .next()
                    .ok_or(PcsError::ParameterMismatch)?;
                let (batch, inner_claims) =
                    Self::inner_claims_prove(&stack, values, claims, transcript)?;
                let inner = Self::inner(&commitment, &stack);
                let run =
                    || self.open_plain(whir, layout, merkle, &inner, &inner_claims, transcript);
                let proof = if stack.num_variables <= SEQUENTIAL_MAX_VARIABLES {
                    on_one_thread(run)?
                } else {
                    run()?
                };
                let ProofBody::Plain(whir) = proof.body else {
                    return Err(PcsError::ParameterMismatch);
                };
                return Ok(OpeningProof {
                    body: ProofBody::Stacked { batch, whir },
                });
            }
        };
        if whir.num_variables() <= SEQUENTIAL_MAX_VARIABLES {
            return on_one_thread(|| {
                self.open_plain(whir, layout, merkle, &commitment, claims, transcript)
            });
        }
        self.open_plain(whir, layout, merkle, &commitment, claims, transcript)
    }

    /// [`CommitmentScheme::open`] of plain prover data.
    fn open_plain(
        &self,
        whir: Arc<Whir>,
        mut layout: Layout,
        merkle: MerkleData,
        commitment: &Commitment,
        claims: &[EvalClaim],
        transcript: &mut Transcript,
    ) -> Result<OpeningProof, PcsError> {
        if whir.params().folding_factor.at_round(0) != self.params.first_folding()
            || whir.params().pow_bits != self.params.pow_bits
            || whir.params().starting_log_inv_rate != self.params.starting_log_inv_rate
            || whir.params().soundness_type != self.params.assumption
        {
            return Err(PcsError::ParameterMismatch);
        }
        let schedule = self.schedule(commitment, claims)?;
        self.check_security(&whir, &schedule.protocol)?;
        bind_claims(claims, transcript);
        // WHIR's `open_at`, on the layout and tree kept apart (so that stored prover data can
        // be restored without re-committing): the out-of-domain answers, then every batch at
        // its prescribed point, then the WHIR run.
        let protocol = &schedule.protocol;
        let ood_samples = whir.commitment_ood_samples();
        whir.validate_initial_claims(
            protocol
                .checked_num_claims()
                .and_then(|n| n.checked_add(ood_samples))
                .ok_or(p3_whir::WhirConfigError::InitialClaimCountOverflow)?,
        )?;
        let challenger = transcript.challenger_mut();
        let initial_ood_answers: Vec<EF> = (0..ood_samples)
            .map(|_| layout.add_virtual_eval(challenger))
            .collect();
        let evals: Vec<_> = protocol
            .iter_openings()
            .zip(&schedule.points)
            .map(|((table, batch), point)| layout.eval_at(table, batch, point, challenger))
            .collect();
        for (evals, &i) in evals.iter().zip(&schedule.order) {
            if evals.current().first() != Some(&claims[i].value) {
                return Err(PcsError::WrongClaimedValue {
                    claim: i,
                    table: claims[i].table,
                });
            }
        }
        let proof = whir.prove(
            initial_ood_answers,
            challenger,
            layout,
            merkle,
            protocol.num_openings(),
        )?;
        Ok(OpeningProof {
            body: ProofBody::Plain(Box::new(proof)),
        })
    }

    /// Verifies that every claim holds for the tables behind `commitment`.
    ///
    /// # Transcript
    ///
    /// The same as [`CommitmentScheme::open`].
    pub fn verify(
        &self,
        commitment: &Commitment,
        claims: &[EvalClaim],
        proof: &OpeningProof,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        check_commitment(commitment)?;
        if commitment.hiding {
            return crate::hiding::verify(self, commitment, claims, proof, transcript);
        }
        if commitment.stacked {
            let ProofBody::Stacked { batch, whir } = &proof.body else {
                return Err(PcsError::ModeMismatch {
                    expected: "stacked",
                    got: "plain or hiding",
                });
            };
            check_claims(commitment, claims)?;
            let stack = Stack::new(&commitment.table_lens, self.params.first_folding())?;
            bind_claims(claims, transcript);
            let inner_claims = match (batch, stack::batches(claims.len())) {
                (Some(b), true) => {
                    let (point, value) = stack::verify_batch(&stack, claims, b, transcript)?;
                    vec![EvalClaim {
                        table: 0,
                        point,
                        value,
                    }]
                }
                (None, false) => lifted_claims(&stack, claims),
                (Some(_), false) => {
                    return Err(PcsError::BatchRejected("a batch that is not due".into()));
                }
                (None, true) => {
                    return Err(PcsError::BatchRejected("the claim batch is missing".into()));
                }
            };
            return self.verify_plain(
                &Self::inner(commitment, &stack),
                &inner_claims,
                whir,
                transcript,
            );
        }
        let ProofBody::Plain(whir_proof) = &proof.body else {
            return Err(PcsError::ModeMismatch {
                expected: "plain",
                got: "hiding or stacked",
            });
        };
        self.verify_plain(commitment, claims, whir_proof, transcript)
    }

    /// Verifies a plain WHIR proof of `claims` on the tables behind `commitment`.
    fn verify_plain(
        &self,
        commitment: &Commitment,
        claims: &[EvalClaim],
        whir_proof: &WhirProof<F, EF, Mmcs>,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        let table_vars: Vec<usize> = (0..commitment.num_tables())
            .map(|t| commitment.table_variables(t).unwrap_or(0))
            .collect();
        let (committed, num_variables) = stacked_shape(&table_vars, self.params.first_folding())?;
        let (config, _) = self.params.whir_config(num_variables)?;
        let whir = Whir::new(config, Dft::default(), self.mmcs.clone());
        debug_assert_eq!(committed.len(), commitment.num_tables());

        let schedule = self.schedule(commitment, claims)?;
        self.check_security(&whir, &schedule.protocol)?;
        bind_claims(claims, transcript);
        let pcs_proof = PcsProof {
            whir: whir_proof.clone(),
            evals: schedule
                .order
                .iter()
                .map(|&i| OpeningBatch::new(vec![claims[i].value], Vec::new()))
                .collect(),
        };
        whir.verify_at(
            &commitment.root,
            &pcs_proof,
            &schedule.protocol,
            &schedule.points,
            transcript.challenger_mut(),
        )?;
        Ok(())
    }
}

/// The lengths of tables to commit: at least one table, none empty.
pub(crate) fn checked_lens(tables: &[Vec<F>]) -> Result<Vec<u64>, PcsError> {
    if tables.is_empty() {
        return Err(PcsError::NoTables);
    }
    if let Some(table) = tables.iter().position(Vec::is_empty) {
        return Err(PcsError::EmptyTable { table });
    }
    Ok(tables.iter().map(|t| t.len() as u64).collect())
}

/// Each claim of a stacked commitment at its lifted point on the one table.
fn lifted_claims(stack: &Stack, claims: &[EvalClaim]) -> Vec<EvalClaim> {
    claims
        .iter()
        .map(|c| EvalClaim {
            table: 0,
            point: stack.lift(c),
            value: c.value,
        })
        .collect()
}

/// Binds the claims (tables, points, values) before WHIR starts.
pub(crate) fn bind_claims(claims: &[EvalClaim], transcript: &mut Transcript) {
    transcript.label(b"lucid-pcs/open");
    let mut header = Vec::with_capacity(claims.len() + 1);
    header.push(F::from_u64(claims.len() as u64));
    header.extend(claims.iter().map(|c| F::from_u64(c.table as u64)));
    transcript.observe_base_slice(b"lucid-pcs/claims", &header);
    for claim in claims {
        transcript.observe_ext_slice(b"lucid-pcs/point", &claim.point);
        transcript.observe_ext(b"lucid-pcs/value", claim.value);
    }
}

/// Largest stacked polynomial (variables) whose plain opening runs on one thread: WHIR's
/// parallel passes over a few thousand elements cost more in thread hand-offs than they save
/// (a `2^12`-element witness opening with 67 claims: 12–20 ms on two threads, 10 ms on one,
/// on a loaded 2-core machine).
pub const SEQUENTIAL_MAX_VARIABLES: usize = 14;

/// Runs `f` on a one-thread pool of its own, so that the parallel loops inside run
/// sequentially while openings started concurrently still run side by side: an idle pool is
/// taken from a process-wide list (a new one is built when all are busy) and given back after.
/// Runs `f` directly without the `parallel` feature or when no pool can be made.
pub(crate) fn on_one_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "parallel")]
    {
        use std::sync::Mutex;
        static IDLE: Mutex<Vec<rayon::ThreadPool>> = Mutex::new(Vec::new());
        let idle = IDLE.lock().ok().and_then(|mut pools| pools.pop());
        if let Some(pool) =
            idle.or_else(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok())
        {
            let out = pool.install(f);
            if let Ok(mut pools) = IDLE.lock() {
                pools.push(pool);
            }
            return out;
        }
    }
    f()
}
