//! Verifying keys changed in one structural item each: scales, ranges, operator parameters,
//! public constants, the weights commitment, the proof-system parameters, the visibility.

use lucid_model::quant::QOp;
use lucid_proof::{ProofParams, VerifyingKey, Visibility};

/// Every changed verifying key (that still decodes to a different key) rejects the honest proof.
pub fn changed_keys(
    vk: &VerifyingKey,
    other_weights: &VerifyingKey,
) -> Vec<(String, VerifyingKey)> {
    let mut out = Vec::new();
    let mut push = |what: String, k: VerifyingKey| {
        if k != *vk {
            out.push((what, k));
        }
    };
    for (i, n) in vk.graph.nodes.iter().enumerate() {
        let mut k = vk.clone();
        k.graph.nodes[i].scale += 1;
        push(format!("scale of node {i} '{}'", n.name), k);
        let mut k = vk.clone();
        k.graph.nodes[i].range.hi += 1;
        push(format!("range of node {i}"), k);
        match &n.op {
            QOp::Requant {
                shift,
                rounding,
                lo,
                hi,
            } => {
                for (what, op) in [
                    (
                        "shift+1",
                        QOp::Requant {
                            shift: shift + 1,
                            rounding: *rounding,
                            lo: *lo,
                            hi: *hi,
                        },
                    ),
                    (
                        "shift-1",
                        QOp::Requant {
                            shift: shift - 1,
                            rounding: *rounding,
                            lo: *lo,
                            hi: *hi,
                        },
                    ),
                    (
                        "lo-1",
                        QOp::Requant {
                            shift: *shift,
                            rounding: *rounding,
                            lo: lo - 1,
                            hi: *hi,
                        },
                    ),
                    (
                        "hi-1",
                        QOp::Requant {
                            shift: *shift,
                            rounding: *rounding,
                            lo: *lo,
                            hi: hi - 1,
                        },
                    ),
                    (
                        "rounding",
                        QOp::Requant {
                            shift: *shift,
                            rounding: match rounding {
                                lucid_model::quant::fixed::Rounding::Floor => {
                                    lucid_model::quant::fixed::Rounding::HalfUp
                                }
                                _ => lucid_model::quant::fixed::Rounding::Floor,
                            },
                            lo: *lo,
                            hi: *hi,
                        },
                    ),
                ] {
                    let mut k = vk.clone();
                    k.graph.nodes[i].op = op;
                    push(format!("requant {i} {what}"), k);
                }
            }
            QOp::Add { shifts } => {
                let mut k = vk.clone();
                k.graph.nodes[i].op = QOp::Add {
                    shifts: [shifts[0] + 1, shifts[1]],
                };
                push(format!("add {i} shift"), k);
            }
            QOp::Table(spec) => {
                let mut s = *spec;
                s.in_lo += 1;
                let mut k = vk.clone();
                k.graph.nodes[i].op = QOp::Table(s);
                push(format!("table {i} domain"), k);
            }
            QOp::MatMul {
                transpose_a,
                transpose_b,
            } => {
                let mut k = vk.clone();
                k.graph.nodes[i].op = QOp::MatMul {
                    transpose_a: *transpose_a,
                    transpose_b: !*transpose_b,
                };
                push(format!("matmul {i} transpose"), k);
            }
            QOp::Const(t) if t.len() == 1 => {
                let mut k = vk.clone();
                let mut t = t.clone();
                t.data_mut()[0] += 1;
                k.graph.nodes[i].op = QOp::Const(t);
                push(format!("public scalar {i}"), k);
            }
            _ => {}
        }
    }
    let mut k = vk.clone();
    k.weights = other_weights.weights.clone();
    push("weights commitment of other weights".into(), k);
    let mut k = vk.clone();
    k.weights = None;
    push("no weights commitment".into(), k);
    let p = vk.params;
    for params in [
        ProofParams {
            security_bits: p.security_bits + 1,
            ..p
        },
        ProofParams {
            pow_bits: p.pow_bits + 1,
            ..p
        },
        ProofParams {
            folding_factor: p.folding_factor + 1,
            ..p
        },
        ProofParams {
            starting_log_inv_rate: p.starting_log_inv_rate + 1,
            ..p
        },
    ] {
        let mut k = vk.clone();
        k.params = params;
        push(format!("params {params:?}"), k);
    }
    let mut k = vk.clone();
    k.input_visibility = match vk.input_visibility {
        Visibility::Public => Visibility::Private,
        Visibility::Private => Visibility::Public,
    };
    push("input visibility".into(), k);
    let mut k = vk.clone();
    k.graph.outputs[0].name.push('x');
    push("output name".into(), k);
    out
}
