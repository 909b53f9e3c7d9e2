//! Prints tract's typed (and decluttered) graph of every model under a directory: one line per
//! node with its op name, Debug form (attributes), input and output facts. Exploration aid.

use lucid_model::input::InputFile;
use tract_onnx::prelude::TypedModel;

fn dump(model: &TypedModel) {
    for node in model.nodes() {
        let ins: Vec<String> = node
            .inputs
            .iter()
            .map(|o| format!("{}/{}", o.node, o.slot))
            .collect();
        let facts: Vec<String> = node
            .outputs
            .iter()
            .map(|o| format!("{:?}", o.fact))
            .collect();
        let mut dbg = format!("{:?}", node.op);
        if dbg.len() > 400 {
            dbg.truncate(400);
        }
        println!(
            "  #{} {} [{}] <- {:?} :: {:?} :: {}",
            node.id,
            node.name,
            node.op.name(),
            ins,
            facts,
            dbg
        );
    }
    println!("  outputs: {:?}", model.output_outlets());
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/shared/conformance/ezkl-examples".into());
    let declutter = std::env::args().nth(2).is_some_and(|a| a == "declutter");
    let mut dirs: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        println!(
            "=== {}",
            d.file_name().and_then(|n| n.to_str()).unwrap_or("?")
        );
        let input = InputFile::read(&d.join("input.json")).ok();
        let r = lucid_onnx::front::parse(&d.join("network.onnx"))
            .and_then(|m| lucid_onnx::front::fix_and_type(m, input.as_ref()));
        match r {
            Ok(t) => {
                println!("  inputs: {:?} sources {:?}", t.inputs, t.source_of_input);
                if declutter {
                    match t.model.into_decluttered() {
                        Ok(m) => dump(&m),
                        Err(e) => println!("  declutter error {e:#}"),
                    }
                } else {
                    dump(&t.model);
                }
            }
            Err(e) => println!("  ERROR {e}"),
        }
    }
}
