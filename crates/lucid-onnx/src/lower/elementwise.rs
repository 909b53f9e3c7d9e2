//! Elementwise ops: tract's binary mini-ops (arithmetic, comparisons, logic), its unary
//! element-wise mini-ops, `Iff` (select), `Cast` and the fused LSTM cell epilogue.

use super::{Lowered, Lowerer, NodeCtx, ir_dtype, one};
use lucid_model::ir::{BinaryOp, CmpOp, DType, LogicOp, Op, UnaryFn};
use tract_onnx::prelude::tvec;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cast::Cast;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::lstm_cell::LstmEpilogue;
use tract_onnx::tract_core::ops::math::PowConst;
use tract_onnx::tract_core::ops::nn::{GeluApproximate, LeakyRelu};

enum Kind {
    Arith(BinaryOp),
    Cmp(CmpOp),
    Logic(LogicOp),
}

/// tract `TypedBinOp` (Add, Sub, SubF, Mul, Div, Pow, Max, Min, comparisons, And/Or/Xor and
/// their bitwise forms on booleans).
pub(super) fn binary(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<TypedBinOp>().ok_or("not a TypedBinOp")?;
    let name = op.0.name();
    let (mut a, mut b) = (ctx.input(0)?, ctx.input(1)?);
    let bools = lw.dtype(a) == DType::Bool && lw.dtype(b) == DType::Bool;
    let kind = match name {
        "Add" => Kind::Arith(BinaryOp::Add),
        "Sub" => Kind::Arith(BinaryOp::Sub),
        "SubF" => {
            std::mem::swap(&mut a, &mut b);
            Kind::Arith(BinaryOp::Sub)
        }
        "Mul" => Kind::Arith(BinaryOp::Mul),
        "Div" => Kind::Arith(BinaryOp::Div),
        "Pow" => Kind::Arith(BinaryOp::Pow),
        "Max" => Kind::Arith(BinaryOp::Max),
        "Min" => Kind::Arith(BinaryOp::Min),
        "Eq" => Kind::Cmp(CmpOp::Eq),
        "NE" => Kind::Cmp(CmpOp::Ne),
        "LT" => Kind::Cmp(CmpOp::Lt),
        "GT" => Kind::Cmp(CmpOp::Gt),
        "LTE" => Kind::Cmp(CmpOp::Le),
        "GTE" => Kind::Cmp(CmpOp::Ge),
        "And" | "BitAnd" if bools => Kind::Logic(LogicOp::And),
        "Or" | "BitOr" if bools => Kind::Logic(LogicOp::Or),
        "Xor" | "BitXor" if bools => Kind::Logic(LogicOp::Xor),
        other => {
            return Err(format!(
                "binary operator {other} on these types has no IR form"
            ));
        }
    };
    let op = match kind {
        Kind::Arith(b) => Op::Binary(b),
        Kind::Cmp(c) => Op::Compare(c),
        Kind::Logic(l) => Op::Logic(l),
    };
    // Operands of different IR types (tract allows a few mixes) meet in the wider type.
    let (da, db) = (lw.dtype(a), lw.dtype(b));
    if da != db {
        let common = if da == DType::F32 || db == DType::F32 {
            DType::F32
        } else {
            DType::I64
        };
        a = lw.cast(ctx.sub("cast_a"), a, common)?;
        b = lw.cast(ctx.sub("cast_b"), b, common)?;
    }
    // Pow is F32-only in the IR: an integer power is computed in floats and cast back.
    if matches!(op, Op::Binary(BinaryOp::Pow)) && lw.dtype(a) == DType::I64 {
        let af = lw.cast(ctx.sub("pow_a"), a, DType::F32)?;
        let bf = lw.cast(ctx.sub("pow_b"), b, DType::F32)?;
        let p = lw.push(ctx.sub("pow"), op, vec![af, bf])?;
        return Ok(one(lw.push(
            ctx.name.clone(),
            Op::Cast { to: DType::I64 },
            vec![p],
        )?));
    }
    let out = lw.push(ctx.name.clone(), op, vec![a, b])?;
    // tract may produce another integer width or a float type on the output.
    let want = ir_dtype(ctx.node.outputs[0].fact.datum_type).ok_or("output type has no IR type")?;
    Ok(one(lw.cast(ctx.sub("out"), out, want)?))
}

/// The IR function for a tract element-wise mini-op, by name (parameterless ones).
fn unary_fn(name: &str) -> Option<UnaryFn> {
    Some(match name {
        "Abs" => UnaryFn::Abs,
        "Exp" => UnaryFn::Exp,
        "Ln" => UnaryFn::Ln,
        "Square" => UnaryFn::Square,
        "Sqrt" => UnaryFn::Sqrt,
        "Recip" => UnaryFn::Recip,
        "Rsqrt" => UnaryFn::Rsqrt,
        "Ceil" => UnaryFn::Ceil,
        "Floor" => UnaryFn::Floor,
        "RoundHalfToEven" => UnaryFn::Round,
        "Cos" => UnaryFn::Cos,
        "Sin" => UnaryFn::Sin,
        "Tan" => UnaryFn::Tan,
        "Acos" => UnaryFn::Acos,
        "Asin" => UnaryFn::Asin,
        "Atan" => UnaryFn::Atan,
        "Cosh" => UnaryFn::Cosh,
        "Sinh" => UnaryFn::Sinh,
        "Tanh" => UnaryFn::Tanh,
        "Erf" => UnaryFn::Erf,
        "Acosh" => UnaryFn::Acosh,
        "Asinh" => UnaryFn::Asinh,
        "Atanh" => UnaryFn::Atanh,
        "Neg" => UnaryFn::Neg,
        "Sign" => UnaryFn::Sign,
        "Sigmoid" => UnaryFn::Sigmoid,
        "HardSwish" => UnaryFn::HardSwish,
        "GeluExact" => UnaryFn::GeluExact,
        _ => return None,
    })
}

/// tract `ElementWiseOp` (unary functions, `Not`, `LeakyRelu`, `PowConst`, GELU, SiLU).
pub(super) fn unary(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx
        .node
        .op_as::<ElementWiseOp>()
        .ok_or("not an ElementWiseOp")?;
    let x = ctx.input(0)?;
    let mini = &op.0;
    let name = mini.name();
    let out = if let Some(f) = unary_fn(&name) {
        lw.push(ctx.name.clone(), Op::Unary(f), vec![x])?
    } else if name == "Not" || (name == "BitNot" && lw.dtype(x) == DType::Bool) {
        lw.push(ctx.name.clone(), Op::Not, vec![x])?
    } else if let Some(l) = mini.downcast_ref::<LeakyRelu>() {
        lw.push(
            ctx.name.clone(),
            Op::Unary(UnaryFn::LeakyRelu { alpha: l.alpha }),
            vec![x],
        )?
    } else if let Some(g) = mini.downcast_ref::<GeluApproximate>() {
        if g.fast_impl {
            return Err("GeluApproximate with the x² fast form has no IR function".into());
        }
        lw.push(ctx.name.clone(), Op::Unary(UnaryFn::GeluTanh), vec![x])?
    } else if let Some(p) = mini.downcast_ref::<PowConst>() {
        let e = lw.scalar_f32(ctx.sub("exponent"), p.exponent);
        lw.push(ctx.name.clone(), Op::Binary(BinaryOp::Pow), vec![x, e])?
    } else if name == "Silu" {
        let s = lw.push(ctx.sub("sigmoid"), Op::Unary(UnaryFn::Sigmoid), vec![x])?;
        lw.push(ctx.name.clone(), Op::Binary(BinaryOp::Mul), vec![x, s])?
    } else {
        return Err(format!("element-wise function {name} has no IR form"));
    };
    let want = ir_dtype(ctx.node.outputs[0].fact.datum_type).ok_or("output type has no IR type")?;
    Ok(one(lw.cast(ctx.sub("out"), out, want)?))
}

/// tract `Iff` (ONNX Where): `cond ? a : b`.
pub(super) fn iff(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let (c, a, b) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    Ok(one(lw.push(ctx.name.clone(), Op::Where, vec![c, a, b])?))
}

/// tract `Cast`: an IR `Cast`, or nothing when both types map to the same IR type.
pub(super) fn cast(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx.node.op_as::<Cast>().ok_or("not a Cast")?;
    let to = ir_dtype(op.to).ok_or_else(|| format!("cast to {:?} has no IR type", op.to))?;
    let x = ctx.input(0)?;
    if lw.dtype(x) == to {
        return Ok(one(x));
    }
    // Note: a float cast to a narrow integer type (u8 labels) keeps its meaning for in-range
    // values only; tract saturates there, the IR truncates into I64.
    Ok(one(lw.push(ctx.name.clone(), Op::Cast { to }, vec![x])?))
}

/// tract `LstmEpilogue` (the fused LSTM cell inside a Scan body): from `preact [.., 4h]` (gate
/// order i, o, f, c) and `c_prev [.., h]`, `Ct = σ(f)·c_prev + σ(i)·tanh(c)` and
/// `Ht = σ(o)·tanh(Ct)`. Outputs `(Ht, Ct)`.
pub(super) fn lstm_epilogue(lw: &mut Lowerer, ctx: &NodeCtx<'_>) -> Lowered {
    let op = ctx
        .node
        .op_as::<LstmEpilogue>()
        .ok_or("not an LstmEpilogue")?;
    let h = op.hidden;
    let (pre, c_prev) = (ctx.input(0)?, ctx.input(1)?);
    let axis = lw
        .shape(pre)
        .len()
        .checked_sub(1)
        .ok_or("LstmEpilogue on a scalar")?;
    if lw.shape(pre)[axis] != 4 * h {
        return Err(format!(
            "preact has {} gate values, expected 4·{h}",
            lw.shape(pre)[axis]
        ));
    }
    let gate = |lw: &mut Lowerer, k: usize, f: UnaryFn, tag: &str| {
        let s = lw.push(
            ctx.sub(tag),
            Op::Slice {
                axis,
                start: (k * h) as i64,
                end: ((k + 1) * h) as i64,
                step: 1,
            },
            vec![pre],
        )?;
        lw.push(ctx.sub(&format!("{tag}_act")), Op::Unary(f), vec![s])
    };
    let i = gate(lw, 0, UnaryFn::Sigmoid, "i")?;
    let o = gate(lw, 1, UnaryFn::Sigmoid, "o")?;
    let f = gate(lw, 2, UnaryFn::Sigmoid, "f")?;
    let c = gate(lw, 3, UnaryFn::Tanh, "c")?;
    let fc = lw.push(
        ctx.sub("f_cprev"),
        Op::Binary(BinaryOp::Mul),
        vec![f, c_prev],
    )?;
    let ic = lw.push(ctx.sub("i_c"), Op::Binary(BinaryOp::Mul), vec![i, c])?;
    let ct = lw.push(ctx.sub("ct"), Op::Binary(BinaryOp::Add), vec![fc, ic])?;
    let tct = lw.push(ctx.sub("tanh_ct"), Op::Unary(UnaryFn::Tanh), vec![ct])?;
    let ht = lw.push(ctx.sub("ht"), Op::Binary(BinaryOp::Mul), vec![o, tct])?;
    // Both results take c_prev's shape (preact may be broadcast on leading axes).
    let shape = lw.shape(c_prev).to_vec();
    let ht = broadcast_to(lw, ctx.sub("ht_b"), ht, &shape)?;
    let ct = broadcast_to(lw, ctx.sub("ct_b"), ct, &shape)?;
    Ok(tvec![ht, ct])
}

/// `id` broadcast to `shape` (no node when it already has it).
pub(super) fn broadcast_to(
    lw: &mut Lowerer,
    name: String,
    id: lucid_model::ir::NodeId,
    shape: &[usize],
) -> Result<lucid_model::ir::NodeId, String> {
    if lw.shape(id) == shape {
        Ok(id)
    } else {
        lw.push(
            name,
            Op::Broadcast {
                shape: shape.to_vec(),
            },
            vec![id],
        )
    }
}
