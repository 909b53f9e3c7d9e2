//! Where the tables of a hiding commitment go: the partition of the caller's tables into one to
//! three HVZK-WHIR stacks, and each stack's layout (aligned slots, largest first, then the
//! internal `MASK` and `BLIND` tables) and configuration.
//!
//! # Why several stacks
//!
//! A stack has `2^n` entries, so tables that fill just over half of one pay for twice their
//! size in every commitment and opening step. The tables (largest first) are therefore split
//! when it pays: the first stack takes the tables that fit in half the single stack's size, the
//! rest is planned again, up to [`MAX_STACKS`] stacks; a split is kept only if the stacks'
//! sizes plus [`STACK_PENALTY`] per extra stack (the fixed cost of another opening, in entries)
//! stay below the single stack's. Both sides derive the partition from the table lengths alone.

use lucid_core::field::EF;
use lucid_core::sumcheck::zk_pack::packed_len;
use p3_multilinear_util::point::Point;
use p3_whir::ZkConfigError;

use super::{ZK_PARAMS, ZkConfig, batch};
use crate::error::PcsError;
use crate::params::{MAX_VARIABLES, PcsParams, table_variables};

/// Most stacks one hiding commitment is split into.
pub(crate) const MAX_STACKS: usize = 3;

/// What another stack costs beyond its size, in stacked entries: its opening's fixed work
/// (about that of a `2^15` stack) and its proof (an HVZK-WHIR opening adds 100–170 KiB), so a
/// split must save at least `2^17` stacked entries.
const STACK_PENALTY: usize = 1 << 17;

/// Rows the internal `MASK` table is packed for: a mask of up to this many variables (every
/// stack, since stacks have at most [`MAX_VARIABLES`] variables).
pub(crate) const MASK_ROWS: usize = MAX_VARIABLES;

/// Entries of the internal `BLIND` table.
pub(crate) const BLIND_LEN: usize = 16;

/// Variables of the two internal tables, `MASK` then `BLIND`.
fn internal_table_vars() -> [usize; 2] {
    [
        table_variables(packed_len(MASK_ROWS, batch::DEGREE)),
        table_variables(BLIND_LEN),
    ]
}

/// Where each table sits in the stacked polynomial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HidingLayout {
    /// Variables of the stacked polynomial.
    pub num_variables: usize,
    /// Variables of each table (its length rounded up to a power of two): the caller's tables,
    /// then `MASK` and `BLIND`.
    pub table_vars: Vec<usize>,
    /// First stacked index of each table (a multiple of its padded size).
    pub offsets: Vec<usize>,
}

impl HidingLayout {
    /// Index of the internal `MASK` table.
    pub(crate) fn mask_table(&self) -> usize {
        self.table_vars.len() - 2
    }

    /// Index of the internal `BLIND` table.
    pub(crate) fn blind_table(&self) -> usize {
        self.table_vars.len() - 1
    }

    /// The claim's point in the stacked frame: the slot's selector bits, then the point.
    pub(crate) fn lift(&self, table: usize, point: &[EF]) -> Point<EF> {
        Point::new(crate::stack::lift(
            self.num_variables,
            self.table_vars[table],
            self.offsets[table],
            point,
        ))
    }
}

/// Places the caller's tables and the internal ones (largest first, aligned slots) and
/// derives the HVZK configuration.
///
/// Returns the layout, the configuration and the per-term target.
pub(crate) fn plan(
    user_table_vars: &[usize],
    params: &PcsParams,
) -> Result<(HidingLayout, ZkConfig, usize), PcsError> {
    let mut table_vars = user_table_vars.to_vec();
    table_vars.extend(internal_table_vars());
    let table_vars = table_vars.as_slice();
    let (offsets, next) = crate::stack::place(table_vars)?;
    let min_vars = (64 - (next.max(2) - 1).leading_zeros() as usize).max(params.folding_factor);
    let mut last_error = None;
    // The hiding mode keeps WHIR's default round rates.
    let plain = PcsParams {
        round_rate_step: None,
        first_folding_factor: None,
        ..*params
    };
    for num_variables in min_vars..=MAX_VARIABLES {
        let (_, per_term) = match plain.whir_config(num_variables) {
            Ok(c) => c,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        match ZkConfig::new(
            num_variables,
            params.protocol_parameters(None, per_term),
            ZK_PARAMS,
        ) {
            Ok(config) => {
                let layout = HidingLayout {
                    num_variables,
                    table_vars: table_vars.to_vec(),
                    offsets,
                };
                return Ok((layout, config, per_term));
            }
            // Too small for the encoding randomness: stack into a larger polynomial.
            Err(e @ ZkConfigError::RandomnessExceedsSlack { .. }) => last_error = Some(e.into()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_error.unwrap_or(PcsError::TooLarge {
        num_variables: min_vars,
        max: MAX_VARIABLES,
    }))
}

/// One stack of a hiding commitment: which of the caller's tables it holds (in the caller's
/// order), and its layout and configuration.
#[derive(Clone)]
pub(crate) struct StackPlan {
    /// The caller's table indices held by this stack; local table `i` is `tables[i]`.
    pub tables: Vec<usize>,
    /// The stack's layout (local table indices, then the internal tables).
    pub layout: HidingLayout,
    /// The HVZK-WHIR configuration of the stack.
    pub config: ZkConfig,
    /// The per-term security target.
    pub per_term: usize,
}

impl StackPlan {
    fn new(tables: Vec<usize>, vars: &[usize], params: &PcsParams) -> Result<Self, PcsError> {
        let local: Vec<usize> = tables.iter().map(|&t| vars[t]).collect();
        let (layout, config, per_term) = plan(&local, params)?;
        Ok(Self {
            tables,
            layout,
            config,
            per_term,
        })
    }

    fn size(&self) -> usize {
        1 << self.layout.num_variables
    }
}

/// Partitions the caller's tables (of `vars` variables each) into stacks; see the module
/// documentation.
pub(crate) fn plan_stacks(vars: &[usize], params: &PcsParams) -> Result<Vec<StackPlan>, PcsError> {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    // Largest first; ties in the caller's order (a stable sort).
    order.sort_by_key(|&t| std::cmp::Reverse(vars[t]));
    let mut stacks = Vec::new();
    let mut remaining = order;
    loop {
        let mut sorted = remaining.clone();
        sorted.sort_unstable();
        let single = StackPlan::new(sorted, vars, params)?;
        if stacks.len() + 1 == MAX_STACKS || single.layout.num_variables == 0 {
            stacks.push(single);
            break;
        }
        // The first stack takes what fits in half the single stack (beside its internal
        // tables); sizes are non-increasing powers of two, so first fit fills it exactly.
        let internal: usize = internal_table_vars().iter().map(|&v| 1usize << v).sum();
        let capacity = (single.size() / 2).saturating_sub(internal);
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        let mut used = 0usize;
        for &t in &remaining {
            let size = 1usize << vars[t];
            if used + size <= capacity {
                used += size;
                first.push(t);
            } else {
                rest.push(t);
            }
        }
        if first.is_empty() || rest.is_empty() {
            stacks.push(single);
            break;
        }
        first.sort_unstable();
        let mut rest_sorted = rest.clone();
        rest_sorted.sort_unstable();
        let head = StackPlan::new(first, vars, params)?;
        let tail = StackPlan::new(rest_sorted, vars, params)?;
        if head.size() + tail.size() + STACK_PENALTY >= single.size() {
            stacks.push(single);
            break;
        }
        stacks.push(head);
        remaining = rest;
    }
    Ok(stacks)
}
