//! `lucid inspect`: what a model (ONNX) or a compiled artifact holds — operators, shapes,
//! parameter and multiply-accumulate counts, and every unsupported node.

use std::path::Path;

use anyhow::{Result, bail};
use lucid_model::quant::QOp;

use crate::io;

/// Runs `lucid inspect` on an ONNX model or a `model.lucid` artifact.
pub fn run(path: &Path, input: Option<&Path>, per_node: bool) -> Result<()> {
    let is_artifact = path.extension().is_some_and(|e| e == "lucid");
    if is_artifact {
        return inspect_artifact(path, per_node);
    }
    let file = input.map(io::read_input).transpose()?;
    let ins = lucid_onnx::inspect(path, file.as_ref())?;
    println!("model {}", path.display());
    for i in &ins.inputs {
        println!("  input  {:<16} {:?} {:?}", i.name, i.shape, i.datum_type);
    }
    println!("tract operators:");
    for (op, n) in &ins.tract_ops {
        println!("  {op:<24} {n}");
    }
    if let Some(g) = &ins.graph {
        let s = g.stats();
        for o in &g.outputs {
            let n = &g.nodes[o.node.0];
            println!("  output {:<16} {:?} {:?}", o.name, n.shape, n.dtype);
        }
        println!("Lucid IR operators:");
        for (op, n) in &s.op_counts {
            println!("  {op:<24} {n}");
        }
        println!(
            "parameters: {}   multiply-accumulates: {}",
            s.params, s.macs
        );
        if per_node {
            println!("{:<40} {:<16} {:<20} {:>12}", "node", "op", "shape", "MACs");
            for n in &s.nodes {
                println!(
                    "{:<40} {:<16} {:<20} {:>12}",
                    n.name,
                    n.op,
                    format!("{:?}", n.shape),
                    n.macs
                );
            }
        }
    }
    if ins.unsupported.is_empty() {
        println!("every node is supported");
        Ok(())
    } else {
        println!("{} unsupported node(s):", ins.unsupported.len());
        for u in &ins.unsupported {
            println!("  {} ({}): {}", u.node, u.op, u.reason);
        }
        bail!("{} has unsupported nodes", path.display())
    }
}

fn inspect_artifact(path: &Path, per_node: bool) -> Result<()> {
    let pk = io::read_prover_key(path)?;
    let g = &pk.graph;
    println!(
        "compiled model {} (digest {})",
        path.display(),
        pk.vk.digest_hex()?
    );
    println!("input visibility: {:?}", pk.vk.input_visibility);
    for i in &g.inputs {
        println!("  input  {:<16} {:?} scale 2^-{}", i.name, i.shape, i.scale);
    }
    for o in &g.outputs {
        let n = &g.nodes[o.node];
        println!("  output {:<16} {:?} scale 2^-{}", o.name, n.shape, n.scale);
    }
    let mut counts = std::collections::BTreeMap::new();
    let mut params = 0usize;
    for n in &g.nodes {
        *counts.entry(n.op.name()).or_insert(0usize) += 1;
        if let QOp::Const(t) = &n.op {
            params += t.data().len();
        }
    }
    println!("quantized operators:");
    for (op, n) in &counts {
        println!("  {op:<24} {n}");
    }
    println!("constants: {params} values");
    let plan = pk.vk.plan()?;
    println!(
        "proof plan: {} committed tensors, {} function tables, {} weight tensors",
        plan.committed.len(),
        plan.functions.len(),
        plan.num_weights
    );
    if per_node {
        println!(
            "{:<40} {:<12} {:<20} {:>6}  role",
            "node", "op", "shape", "scale"
        );
        for (n, role) in g.nodes.iter().zip(&plan.roles) {
            println!(
                "{:<40} {:<12} {:<20} {:>6}  {:?}",
                n.name,
                n.op.name(),
                format!("{:?}", n.shape),
                n.scale,
                role
            );
        }
    }
    Ok(())
}
