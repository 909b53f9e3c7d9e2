//! Which lookups a graph's proof makes, derived from the plan on both sides: the range checks of
//! requantizations (remainder limbs, output bounds) and the function-table lookups of
//! element-wise non-linear nodes. Also maps the lookup argument's column claims back to claims
//! on committed tensors.
//!
//! Range checks use the plan's range table `[0, 2^B)`, `B` = [`Plan::range_bits`] (16, or 8 in
//! the plain proof of small models). A check of a value that may need more than `B` bits (up to
//! 16) names the 16-bit table [`range_table`]; with `B = 8` the plain prover splits it into two
//! byte checks (`graph::range`).
//!
//! Every looked-up column is an affine image of a committed tensor in the padded layout, chosen
//! so that the padding entries also lie in the table:
//! - remainder limb `i` of a requantization by `shift` bits: `L_i · 2^{B−b_i}` (`b_i` the limb's
//!   width), and for a narrow limb (`b_i < B`) also `L_i` itself, so one range table
//!   `[0, 2^B)` checks every width (the two checks together exclude the field elements
//!   `v·2^{−(B−b_i)}` that pass the scaled check alone);
//! - output bounds: `Y − lo` and, when the range has fewer values than the check's table,
//!   `hi − Y` (in the `B`-bit table when the range has at most `2^B` values, else in 16 bits);
//! - a function lookup of `(X, Y)` over the domain `[x0, x0 + 2^k)`: `X + x0·(1 − S)` and
//!   `Y + f(x0)·(1 − S)`, where `S` is the tensor's real-entry selector — real entries are
//!   unchanged and padding entries become the table row `(x0, f(x0))`.
//!
//! The plain prover replaces the function lookup of a clamp (ReLU, `max`/`min` with a constant;
//! `graph::clamp`) by a range check of `Y − c` (or `c − Y`) here, plus a difference column the
//! clamp module adds after these lookups.
//!
//! A tensor with a single entry is looked up as two copies of it (the argument's columns have at
//! least two entries), so its column's MLE is constant.

use lucid_core::field::{EF, F, from_i64};
use lucid_lookup::{InstanceShape, TableSpec as LookupTable};
use lucid_model::ir::{BinaryOp, Op, UnaryFn};
use lucid_model::quant::table::build_table;
use lucid_model::quant::{QGraph, QOp};
use p3_field::PrimeCharacteristicRing;

use crate::error::ProofError;
use crate::graph::clamp::Clamp;
use crate::graph::plan::{Plan, RANGE_BITS, Role, exact_function, scalar_const};
use crate::layout::PaddedShape;

/// What one looked-up column is made of.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// `limb · 2^{B − width}` of remainder limb `limb` of requantization node `node`, `B` the
    /// plan's range width (8 or 16, in the plain and the zero-knowledge proof alike).
    Limb {
        /// The requantization node.
        node: usize,
        /// Limb index (least significant first).
        limb: usize,
        /// The limb's width in bits.
        width: u32,
    },
    /// `Y − lo` for requantization node `node`.
    AboveLo {
        /// The requantization node.
        node: usize,
        /// The lower bound.
        lo: i64,
    },
    /// `hi − Y` for requantization node `node`.
    BelowHi {
        /// The requantization node.
        node: usize,
        /// The upper bound.
        hi: i64,
    },
    /// `T + c·(1 − S)` for tensor `node` (the input or output of a function lookup).
    Shifted {
        /// The tensor's node.
        node: usize,
        /// The constant put into padding entries.
        pad: i64,
    },
}

/// One lookup: a table and its columns (1 for a range check, 2 for a function).
#[derive(Clone, Debug)]
pub struct Lookup {
    /// The public table.
    pub table: LookupTable,
    /// The columns.
    pub columns: Vec<Column>,
    /// Entries (the padded size of the tensor, at least 2).
    pub len: usize,
}

/// The 16-bit range table `[0, 2^16)`.
pub fn range_table() -> LookupTable {
    range_table_bits(RANGE_BITS)
}

/// The range table `[0, 2^bits)`.
pub fn range_table_bits(bits: u32) -> LookupTable {
    LookupTable::unsigned_range(bits as usize)
}

/// The table a range check of values in `[0, bound]` uses: the plan's `[0, 2^B)` when they fit,
/// else the 16-bit table (the caller makes sure they fit in 16 bits).
fn check_table(plan: &Plan, bound: i128) -> LookupTable {
    if bound < 1i128 << plan.range_bits {
        range_table_bits(plan.range_bits)
    } else {
        range_table()
    }
}

/// The largest value of a clamp's constant column `Y − c` (max) or `c − Y` (min), padding
/// (`−c`, resp. `c`) included, over the input's range.
pub fn clamp_constant_bound(graph: &QGraph, k: &Clamp) -> i128 {
    let range = &graph.nodes[k.input].range;
    let c = i128::from(k.c);
    if k.max {
        (range.hi - c).max(-c)
    } else {
        (c - range.lo).max(c)
    }
}

/// The largest value of a clamp's difference column `Y − X` (max) or `X − Y` (min) over the
/// input's range (padding entries hold 0).
pub fn clamp_gap_bound(graph: &QGraph, k: &Clamp) -> i128 {
    let range = &graph.nodes[k.input].range;
    let c = i128::from(k.c);
    if k.max {
        (c - range.lo).max(0)
    } else {
        (range.hi - c).max(0)
    }
}

/// The table of a clamp's difference column.
pub fn gap_table(graph: &QGraph, plan: &Plan, k: &Clamp) -> LookupTable {
    check_table(plan, clamp_gap_bound(graph, k))
}

/// The outputs of a function lookup's table over its domain.
pub fn function_outputs(
    graph: &QGraph,
    node: usize,
    lo: i64,
    log_size: u32,
) -> Result<Vec<i64>, ProofError> {
    let n = &graph.nodes[node];
    let unsupported = |reason: String| ProofError::Unsupported {
        node: n.name.clone(),
        op: n.op.name().to_string(),
        reason,
    };
    let domain = lo..lo + (1i64 << log_size);
    match &n.op {
        QOp::Table(spec) => build_table(spec).map_err(|e| unsupported(e.to_string())),
        QOp::Exact(op) => {
            let constant = exact_function(graph, n)
                .and_then(|(_, c)| c)
                .and_then(|c| scalar_const(graph, n.inputs[c]));
            let outputs: Vec<i64> = match (op, constant) {
                (Op::Unary(UnaryFn::Relu), None) => domain.map(|x| x.max(0)).collect(),
                (Op::Unary(UnaryFn::Abs), None) => domain.map(|x| x.saturating_abs()).collect(),
                (Op::Unary(UnaryFn::Sign), None) => domain.map(i64::signum).collect(),
                (Op::Binary(BinaryOp::Max), Some(c)) => domain.map(|x| x.max(c)).collect(),
                (Op::Binary(BinaryOp::Min), Some(c)) => domain.map(|x| x.min(c)).collect(),
                _ => return Err(unsupported("no function table for this operator".into())),
            };
            Ok(outputs)
        }
        _ => Err(unsupported("no function table for this operator".into())),
    }
}

/// Number of entries a tensor's columns have.
fn column_len(shape: &PaddedShape) -> usize {
    (1usize << shape.num_vars()).max(2)
}

/// Derives every lookup of the proof, in a fixed order: requantization range checks in node
/// order, then function lookups in node order.
pub fn lookups(graph: &QGraph, plan: &Plan) -> Result<Vec<Lookup>, ProofError> {
    lookups_with(graph, plan, &[])
}

/// [`lookups`], where each of `clamps`' nodes replaces its function lookup by the range check
/// of its constant column (`Y − c` for max, `c − Y` for min; see `graph::clamp`), at the same
/// position. Their difference columns are not among these (see `clamp::gap_shapes`).
pub fn lookups_with(
    graph: &QGraph,
    plan: &Plan,
    clamps: &[Clamp],
) -> Result<Vec<Lookup>, ProofError> {
    let mut out = Vec::new();
    for (id, role) in plan.roles.iter().enumerate() {
        if let Role::Requant {
            limbs,
            check_lo,
            check_hi,
        } = role
        {
            let QOp::Requant { shift, lo, hi, .. } = graph.nodes[id].op else {
                continue;
            };
            let bits = plan.range_bits;
            let len = column_len(&PaddedShape::new(&graph.nodes[id].shape));
            for limb in 0..*limbs {
                let width = (shift as u32 - bits * limb as u32).min(bits);
                // `L·2^{B−b} ∈ [0, 2^B)` alone admits field elements `v·2^{−(B−b)}`; with
                // `L ∈ [0, 2^B)` as well the product cannot wrap, so together they force
                // `L ∈ [0, 2^b)`.
                let widths: &[u32] = if width < bits {
                    &[width, bits]
                } else {
                    &[bits]
                };
                for &w in widths {
                    out.push(Lookup {
                        table: range_table_bits(bits),
                        columns: vec![Column::Limb {
                            node: id,
                            limb,
                            width: w,
                        }],
                        len,
                    });
                }
            }
            // Honest values lie in `[0, hi − lo]`, padding entries (`−lo`, `hi`) too.
            let table = check_table(plan, hi as i128 - lo as i128);
            if *check_lo {
                out.push(Lookup {
                    table: table.clone(),
                    columns: vec![Column::AboveLo { node: id, lo }],
                    len,
                });
            }
            if *check_hi {
                out.push(Lookup {
                    table,
                    columns: vec![Column::BelowHi { node: id, hi }],
                    len,
                });
            }
        }
    }
    for (id, role) in plan.roles.iter().enumerate() {
        if let Role::Lookup { function } = role {
            if let Some(k) = clamps.iter().find(|k| k.node == id) {
                let column = if k.max {
                    Column::AboveLo { node: id, lo: k.c }
                } else {
                    Column::BelowHi { node: id, hi: k.c }
                };
                out.push(Lookup {
                    table: check_table(plan, clamp_constant_bound(graph, k)),
                    columns: vec![column],
                    len: column_len(&PaddedShape::new(&graph.nodes[id].shape)),
                });
                continue;
            }
            let f = &plan.functions[*function];
            let outputs = function_outputs(graph, id, f.lo, f.log_size)?;
            let x = graph.nodes[id].inputs[f.operand];
            let len = column_len(&PaddedShape::new(&graph.nodes[id].shape));
            out.push(Lookup {
                table: LookupTable::function(
                    f.log_size as usize,
                    f.lo,
                    outputs.iter().map(|&v| from_i64(v)).collect(),
                ),
                columns: vec![
                    Column::Shifted { node: x, pad: f.lo },
                    Column::Shifted {
                        node: id,
                        pad: outputs[0],
                    },
                ],
                len,
            });
        }
    }
    Ok(out)
}

/// The shapes the verifier hands to the lookup argument.
pub fn shapes(lookups: &[Lookup]) -> Vec<InstanceShape> {
    lookups
        .iter()
        .map(|l| InstanceShape {
            table: l.table.clone(),
            len: l.len,
        })
        .collect()
}

/// A column's values from the committed tensors (prover side), with 16-bit limbs
/// ([`column_values_with`] takes the width). `tensor(node)` gives a node's padded evaluations; `limb(node, i)` a
/// remainder limb's.
pub fn column_values<'a>(
    column: &Column,
    len: usize,
    tensor: impl Fn(usize) -> &'a [F],
    selector: impl Fn(usize) -> Vec<bool>,
    limb: impl Fn(usize, usize) -> &'a [F],
) -> Vec<F> {
    column_values_with(RANGE_BITS, column, len, tensor, selector, limb)
}

/// [`column_values`] with `bits`-bit remainder limbs (the plan's range width).
pub fn column_values_with<'a>(
    bits: u32,
    column: &Column,
    len: usize,
    tensor: impl Fn(usize) -> &'a [F],
    selector: impl Fn(usize) -> Vec<bool>,
    limb: impl Fn(usize, usize) -> &'a [F],
) -> Vec<F> {
    let mut v: Vec<F> = match column {
        Column::Limb {
            node,
            limb: i,
            width,
        } => {
            let s = F::from_u64(1u64 << (bits - width));
            limb(*node, *i).iter().map(|&x| x * s).collect()
        }
        Column::AboveLo { node, lo } => {
            let lo = from_i64(*lo);
            tensor(*node).iter().map(|&y| y - lo).collect()
        }
        Column::BelowHi { node, hi } => {
            let hi = from_i64(*hi);
            tensor(*node).iter().map(|&y| hi - y).collect()
        }
        Column::Shifted { node, pad } => {
            let pad = from_i64(*pad);
            let sel = selector(*node);
            tensor(*node)
                .iter()
                .zip(sel)
                .map(|(&t, real)| if real { t } else { t + pad })
                .collect()
        }
    };
    if v.len() == 1 {
        v.push(v[0]);
    }
    debug_assert_eq!(v.len(), len);
    v
}

/// Where a column claim lands once undone: a claim on a node's tensor or on a remainder limb.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// Node `node`'s tensor.
    Tensor(usize),
    /// Remainder limb `limb` of node `node`.
    Limb(usize, usize),
}

/// Undoes a column's affine map: from the column's claim `(point, value)` to a claim on the
/// committed tensor. `shape(node)` is the node's padded shape; `bits` the plan's range width
/// (the width remainder limbs are scaled to).
pub fn undo_column(
    bits: u32,
    column: &Column,
    point: &[EF],
    value: EF,
    shape: impl Fn(usize) -> PaddedShape,
) -> (Target, Vec<EF>, EF) {
    let node = match column {
        Column::Limb { node, .. }
        | Column::AboveLo { node, .. }
        | Column::BelowHi { node, .. }
        | Column::Shifted { node, .. } => *node,
    };
    let s = shape(node);
    // A single-entry tensor was looked up as two copies: its own point is empty.
    let own: Vec<EF> = if s.num_vars() == 0 {
        Vec::new()
    } else {
        point.to_vec()
    };
    match column {
        Column::Limb { node, limb, width } => {
            let inv = EF::from(F::from_u64(1u64 << (bits - width)).inverse());
            (Target::Limb(*node, *limb), own, value * inv)
        }
        Column::AboveLo { node, lo } => {
            (Target::Tensor(*node), own, value + EF::from(from_i64(*lo)))
        }
        Column::BelowHi { node, hi } => {
            (Target::Tensor(*node), own, EF::from(from_i64(*hi)) - value)
        }
        Column::Shifted { node, pad } => {
            let sel = s.selector_eval(&own);
            let v = value - EF::from(from_i64(*pad)) * (EF::ONE - sel);
            (Target::Tensor(*node), own, v)
        }
    }
}

use p3_field::Field as _;
