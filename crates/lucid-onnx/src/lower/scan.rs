//! Recurrent nets: tract turns ONNX LSTM/GRU/RNN into a `Scan` whose body is a typed graph.
//! The scan is unrolled over its (static) number of iterations: each iteration lowers the body
//! again, fed with a slice of every scanned input, the full inputs and the state carried from the
//! previous iteration. Scanned outputs are concatenated; last values are taken from the last
//! iteration.

use super::{Lowered, Lowerer, NodeCtx};
use lucid_model::ir::{NodeId, Op};
use tract_onnx::prelude::TVec;
use tract_onnx::tract_core::ops::scan::{InputMapping, Scan};

/// tract `Scan` (decluttered form), unrolled.
pub(super) fn scan(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Scan>().ok_or("not a Scan")?;
    if op.skip != 0 {
        return Err(format!(
            "Scan skipping {} iterations is not supported",
            op.skip
        ));
    }
    // The iteration count, from the scanned inputs (all must agree).
    let mut iters: Option<usize> = None;
    for (slot, m) in op.input_mapping.iter().enumerate() {
        if let InputMapping::Scan(info) = m {
            let dim = *ctx
                .in_shape(slot)?
                .get(info.axis)
                .ok_or("scan axis out of range")?;
            let chunk = info.chunk.unsigned_abs();
            if chunk == 0 || dim % chunk != 0 {
                return Err(format!(
                    "scan axis of {dim} does not split into chunks of {chunk}"
                ));
            }
            match iters {
                None => iters = Some(dim / chunk),
                Some(n) if n == dim / chunk => {}
                Some(n) => {
                    return Err(format!(
                        "scanned inputs disagree: {n} vs {} iterations",
                        dim / chunk
                    ));
                }
            }
        }
    }
    let iters = iters.ok_or("Scan without a scanned input")?;
    let mut states: Vec<NodeId> = op
        .input_mapping
        .iter()
        .enumerate()
        .filter(|(_, m)| m.is_state())
        .map(|(slot, _)| ctx.input(slot))
        .collect::<Result<_, _>>()?;
    let n_out = op.output_mapping.len();
    let mut pieces: Vec<Vec<NodeId>> = vec![Vec::with_capacity(iters); n_out];
    let mut last: Vec<Option<NodeId>> = vec![None; n_out];
    let mut unsupported_after_first = None;
    for i in 0..iters {
        let mut sources = Vec::with_capacity(op.input_mapping.len());
        let mut state_ix = 0;
        for (slot, m) in op.input_mapping.iter().enumerate() {
            sources.push(match m {
                InputMapping::Full => ctx.input(slot)?,
                InputMapping::State => {
                    state_ix += 1;
                    *states.get(state_ix - 1).ok_or("state count mismatch")?
                }
                InputMapping::Scan(info) => {
                    let dim = *ctx
                        .in_shape(slot)?
                        .get(info.axis)
                        .ok_or("scan axis out of range")?;
                    let c = info.chunk.unsigned_abs();
                    // A backward scan visits the chunks from the end of the axis.
                    let start = if info.chunk > 0 {
                        i * c
                    } else {
                        dim - (i + 1) * c
                    };
                    let s = Op::Slice {
                        axis: info.axis,
                        start: start as i64,
                        end: (start + c) as i64,
                        step: 1,
                    };
                    lw.push(
                        ctx.sub(&format!("t{i}.in{slot}")),
                        s,
                        vec![ctx.input(slot)?],
                    )?
                }
            });
        }
        let outs = lw.lower_model(&op.body, &sources, &format!("{}.t{i}.", ctx.name))?;
        if outs.len() != n_out {
            return Err(format!(
                "scan body has {} outputs, mapping has {n_out}",
                outs.len()
            ));
        }
        let mut new_states = Vec::with_capacity(states.len());
        for (ix, (o, mapping)) in outs.iter().zip(&op.output_mapping).enumerate() {
            if mapping.scan.is_some() {
                pieces[ix].push(*o);
            }
            if mapping.last_value_slot.is_some() {
                last[ix] = Some(*o);
            }
            if mapping.state {
                new_states.push(*o);
            }
        }
        if new_states.len() != states.len() {
            return Err("scan body state outputs do not match its state inputs".into());
        }
        states = new_states;
        // Report an unsupported body node once, not once per iteration.
        match unsupported_after_first {
            None => unsupported_after_first = Some(lw.unsupported.len()),
            Some(n) => lw.unsupported.truncate(n),
        }
    }
    let mut results: Vec<(usize, NodeId)> = Vec::new();
    for (ix, mapping) in op.output_mapping.iter().enumerate() {
        if let Some((slot, info)) = mapping.scan {
            let mut parts = pieces[ix].clone();
            if info.chunk < 0 {
                parts.reverse();
            }
            let y = lw.push(
                ctx.sub(&format!("out{slot}")),
                Op::Concat { axis: info.axis },
                parts,
            )?;
            results.push((slot, y));
        }
        if let Some(slot) = mapping.last_value_slot {
            results.push((slot, last[ix].ok_or("scan ran no iteration")?));
        }
    }
    results.sort_by_key(|r| r.0);
    if results.iter().enumerate().any(|(i, r)| r.0 != i) {
        return Err("scan output slots are not contiguous".into());
    }
    Ok(results.into_iter().map(|r| r.1).collect::<TVec<_>>())
}
