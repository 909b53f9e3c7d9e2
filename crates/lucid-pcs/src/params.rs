//! Parameters of the commitment scheme, the WHIR configuration derived from them, and the
//! security level they achieve (WHIR's own conjectured analysis, composed by a union bound).
//!
//! WHIR's `security_level` is a target *per error term*; a whole opening has one term per
//! folding step, query phase and out-of-domain sample. [`PcsParams::security_bits`] is the target
//! for the *composed* level: the per-term target is raised by the smallest margin that brings
//! the union bound of all terms (as computed by `PrescribedPointPcs::prescribed_security`) to
//! at least `security_bits`. The margin depends only on the parameters and the stacked size,
//! so prover and verifier derive the same configuration.

use lucid_core::field::{EF, F};
use lucid_core::transcript::Challenger;
use p3_dft::Radix2DFTSmallBatch;
use p3_field::Field;
use p3_merkle_tree::MerkleTreeMmcs;
use p3_sumcheck::layout::SuffixProver;
use p3_sumcheck::{OpeningBatch, OpeningProtocol, PrescribedPointPcs, TableShape, TableSpec};
use p3_util::log2_ceil_usize;
use p3_whir::parameters::{FoldingFactor, ProtocolParameters, SecurityAssumption, WhirConfig};
use p3_whir::pcs::prover::WhirProver;

use crate::error::PcsError;
use crate::merkle_hash::{DIGEST_ELEMS, LeafHash, NodeCompress};

type PackedF = <F as Field>::Packing;
/// Leaf hash: a Keccak-f[1600] sponge absorbing 17 elements per permutation, 4-element
/// digest ([`crate::merkle_hash`]).
pub type MerkleHash = LeafHash;
/// Node compression: the same sponge, domain-separated, over the two child digests.
pub type MerkleCompress = NodeCompress;
/// Binary Merkle tree over Goldilocks rows with 4-element (~256-bit) digests.
pub type Mmcs = MerkleTreeMmcs<PackedF, PackedF, MerkleHash, MerkleCompress, 2, DIGEST_ELEMS>;
/// Reed–Solomon encoder.
pub(crate) type Dft = Radix2DFTSmallBatch<F>;
/// Stacking of many tables into one committed polynomial (selector bits after local bits).
pub(crate) type Layout = SuffixProver<F, EF>;
/// The underlying WHIR prover/verifier.
pub(crate) type Whir = WhirProver<EF, F, Dft, Mmcs, Challenger, Layout>;
/// WHIR's derived round-by-round configuration.
pub(crate) type Config = WhirConfig<EF, F, Challenger>;

/// Largest number of variables of the stacked polynomial (bounded by Goldilocks' 2-adicity
/// and by what a prover can hold in memory).
pub const MAX_VARIABLES: usize = 30;

/// Largest margin (bits) added to WHIR's per-term target when searching for the composed target.
const MAX_MARGIN: usize = 16;

/// User-facing parameters of the commitment scheme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PcsParams {
    /// Target for the composed (union-bound) soundness error of one opening, in bits.
    pub security_bits: usize,
    /// Grinding budget per proof-of-work phase, in bits. More grinding buys fewer queries
    /// (smaller proofs, faster verification) at the price of prover time.
    pub pow_bits: usize,
    /// Variables folded per WHIR round.
    pub folding_factor: usize,
    /// Variables folded by the first WHIR round of a plain opening (`None`: `folding_factor`).
    /// It is also the committed codeword's row width (`2^first`) and the smallest committed
    /// table. A larger first fold shrinks the first codeword the opening encodes and hashes
    /// (by `2^(first − folding_factor)`) at the price of wider opened rows. The hiding mode
    /// ignores it.
    pub first_folding_factor: Option<usize>,
    /// `log2(1/rate)` of the first Reed–Solomon code.
    pub starting_log_inv_rate: usize,
    /// How much `log2(1/rate)` grows per folding round (plain mode). `None` is WHIR's default,
    /// `folding_factor − 1` (each round's evaluation domain is half the previous one); a
    /// smaller step shrinks the later codewords (less hashing) at the price of more queries
    /// per later round. At most `folding_factor`.
    pub round_rate_step: Option<usize>,
    /// Proximity regime: `CapacityBound` is the conjectured (up-to-capacity) analysis,
    /// `JohnsonBound` the proven one (more queries).
    pub assumption: SecurityAssumption,
}

impl Default for PcsParams {
    /// 100 bits (conjectured), 12 grinding bits, folding 4, rate 1/2.
    ///
    /// Grinding is cheap up to ~12 bits and dominates the opening beyond ~16 (see the
    /// benchmark); each grinding bit saves about one query per round.
    fn default() -> Self {
        Self {
            security_bits: 100,
            pow_bits: 12,
            folding_factor: 4,
            first_folding_factor: None,
            starting_log_inv_rate: 1,
            round_rate_step: None,
            assumption: SecurityAssumption::CapacityBound,
        }
    }
}

/// What one opening achieves, as computed by WHIR's own analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecurityReport {
    /// Composed soundness of the opening (union bound over every WHIR error term), in bits.
    pub bits: f64,
    /// Per-term target handed to WHIR (the requested level plus the composition margin).
    pub per_term_bits: usize,
    /// `log2` of the list size the commitment leaves open under the chosen assumption. A
    /// reduction (sumcheck) drawn before the opening must charge its error over this many
    /// candidate polynomials.
    pub list_size_bits: f64,
    /// Largest proof-of-work difficulty of any phase (bits).
    pub max_pow_bits: usize,
    /// Variables of the stacked committed polynomial.
    pub num_variables: usize,
    /// Number of evaluation claims the report is for.
    pub num_claims: usize,
}

/// Number of variables of a table of `len` entries (padded to a power of two).
pub(crate) fn table_variables(len: usize) -> usize {
    log2_ceil_usize(len)
}

/// The variables each table occupies in the stacked polynomial, and the stacked total.
///
/// Tables below the first folding factor are padded up to it (WHIR folds that many variables
/// before any table is consumed).
pub(crate) fn stacked_shape(
    table_vars: &[usize],
    folding: usize,
) -> Result<(Vec<usize>, usize), PcsError> {
    if folding > MAX_VARIABLES {
        return Err(PcsError::TooLarge {
            num_variables: folding,
            max: MAX_VARIABLES,
        });
    }
    let mut committed = Vec::with_capacity(table_vars.len());
    let mut total: u64 = 0;
    for &vars in table_vars {
        if vars > MAX_VARIABLES {
            return Err(PcsError::TooLarge {
                num_variables: vars,
                max: MAX_VARIABLES,
            });
        }
        let vars = vars.max(folding);
        committed.push(vars);
        total = total.saturating_add(1u64 << vars);
    }
    // `total` ≤ (number of tables) · 2^30; more than 2^MAX_VARIABLES is rejected below.
    let num_variables = 64 - (total.max(1) - 1).leading_zeros() as usize;
    if num_variables > MAX_VARIABLES {
        return Err(PcsError::TooLarge {
            num_variables,
            max: MAX_VARIABLES,
        });
    }
    Ok((committed, num_variables))
}

/// The Merkle commitment scheme (Keccak leaves and nodes, the root alone as the cap).
pub(crate) fn new_mmcs() -> Mmcs {
    Mmcs::new(LeafHash, new_compress(), 0)
}

/// The Merkle tree's node compression.
pub(crate) fn new_compress() -> MerkleCompress {
    NodeCompress
}

impl PcsParams {
    /// Variables folded by the first round of a plain opening.
    pub fn first_folding(&self) -> usize {
        self.first_folding_factor.unwrap_or(self.folding_factor)
    }

    /// WHIR's parameters for a stacked polynomial of `num_variables` variables (`None`: the
    /// hiding mode, which keeps WHIR's default round rates).
    pub(crate) fn protocol_parameters(
        &self,
        num_variables: Option<usize>,
        per_term_bits: usize,
    ) -> ProtocolParameters {
        let folding = match num_variables {
            Some(_) if self.first_folding() != self.folding_factor => {
                FoldingFactor::ConstantFromSecondRound(self.first_folding(), self.folding_factor)
            }
            _ => FoldingFactor::Constant(self.folding_factor),
        };
        let round_log_inv_rates = match (self.round_rate_step, num_variables) {
            (Some(step), Some(nv)) => {
                let rounds = folding
                    .compute_folding_schedule(nv)
                    .map_or(0, |s| s.len().saturating_sub(1));
                (1..=rounds)
                    .map(|i| self.starting_log_inv_rate + i * step)
                    .collect()
            }
            _ => Vec::new(),
        };
        ProtocolParameters {
            starting_log_inv_rate: self.starting_log_inv_rate,
            round_log_inv_rates,
            folding_factor: folding,
            soundness_type: self.assumption,
            security_level: per_term_bits,
            pow_bits: self.pow_bits,
        }
    }

    /// Derives the WHIR configuration for a stacked polynomial of `num_variables` variables:
    /// the smallest per-term target whose composed level, for one claim, reaches the target.
    pub(crate) fn whir_config(&self, num_variables: usize) -> Result<(Config, usize), PcsError> {
        let mut last_error = None;
        for margin in 0..=MAX_MARGIN {
            let per_term = self.security_bits + margin;
            let config = match Config::new(
                num_variables,
                self.protocol_parameters(Some(num_variables), per_term),
            ) {
                Ok(config) => config,
                Err(e) => {
                    // A larger margin only demands more grinding: stop at the first failure.
                    last_error = Some(PcsError::Config(e));
                    break;
                }
            };
            let bits = composed_bits(&config, num_variables, 1);
            if bits >= self.security_bits as f64 {
                return Ok((config, per_term));
            }
            last_error = Some(PcsError::InsufficientSecurity {
                target: self.security_bits,
                achieved: bits,
            });
        }
        Err(last_error.unwrap_or(PcsError::InsufficientSecurity {
            target: self.security_bits,
            achieved: 0.0,
        }))
    }

    /// The security one opening of `num_claims` claims achieves on tables of the given
    /// lengths (the function to print the level with).
    pub fn security(
        &self,
        table_lens: &[usize],
        num_claims: usize,
    ) -> Result<SecurityReport, PcsError> {
        let vars: Vec<usize> = table_lens.iter().map(|&l| table_variables(l)).collect();
        let (_, num_variables) = stacked_shape(&vars, self.first_folding())?;
        let (config, per_term_bits) = self.whir_config(num_variables)?;
        report(&config, per_term_bits, num_variables, num_claims)
    }
}

/// A one-table protocol with `num_claims` claims, used to ask WHIR for its composed bound
/// (the bound depends on the total size and the claim count only).
fn reference_protocol(num_variables: usize, num_claims: usize) -> OpeningProtocol {
    OpeningProtocol::new(vec![TableSpec::new(
        TableShape::new(num_variables, 1),
        (0..num_claims)
            .map(|_| OpeningBatch::new(vec![0], Vec::new()))
            .collect(),
    )])
}

/// Composed security (bits) of one opening; 0 when WHIR cannot give a bound.
pub(crate) fn composed_bits(config: &Config, num_variables: usize, num_claims: usize) -> f64 {
    let whir = Whir::new(config.clone(), Dft::default(), new_mmcs());
    whir.prescribed_security(&reference_protocol(num_variables, num_claims))
        .map_or(0.0, |s| s.error().bits())
}

pub(crate) fn report(
    config: &Config,
    per_term_bits: usize,
    num_variables: usize,
    num_claims: usize,
) -> Result<SecurityReport, PcsError> {
    let whir = Whir::new(config.clone(), Dft::default(), new_mmcs());
    let evidence = whir.prescribed_security(&reference_protocol(num_variables, num_claims));
    let (bits, list_size_bits) = evidence.map_or((0.0, f64::INFINITY), |s| {
        (s.error().bits(), s.log2_max_candidates)
    });
    Ok(SecurityReport {
        bits,
        per_term_bits,
        list_size_bits,
        max_pow_bits: config.max_pow_bits(),
        num_variables,
        num_claims,
    })
}
