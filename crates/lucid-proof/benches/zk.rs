//! Zero-knowledge overhead: the plain and the zero-knowledge prover and verifier side by side on
//! MLP-shaped models (random weights, the shapes of the digits demo model and of the benchmark
//! MLP 784-128-64-10). Prints a table; run with `cargo bench -p lucid-proof --bench zk`.
//!
//! Compiled models (e.g. the trained digits demo model, `lucid compile … -o DIR`) are added with
//! `LUCID_ZK_ARTIFACTS="DIR/model.lucid=input.json;…"` (EZKL-style input file, first list;
//! `DIR/model.weights` is used when present).
//!
//! Both provers open the weights the two ways a caller can: re-committing them from the
//! artifact (`prove`, `zk::prove`) and from the prover data kept at compile time
//! (`prove_with_weights`, `zk::prove_with_weights`; "stored" columns, the `lucid prove` path).

use std::time::{Duration, Instant};

#[path = "../tests/zk_common/mod.rs"]
mod zk_common;
use zk_common::models::{MlpInit, mlp_with, value};
use zk_common::rand_vec;

use lucid_model::quant::{QuantConfig, quantize_with_inputs};
use lucid_model::tensor::Value;
use lucid_proof::key::{PK_MAGIC, PROOF_MAGIC, decode, encode};
use lucid_proof::{
    ProofParams, ProverKey, Visibility, WeightsData, compile_with_weights, prove,
    prove_with_weights, verify, zk,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A model to measure: its artifact, stored weights data and input.
type Model = (String, ProverKey, Option<WeightsData>, Vec<Value>);

fn compiled(widths: &[usize]) -> (ProverKey, Option<WeightsData>, Vec<Value>) {
    let w = widths[0];
    let calib: Vec<Vec<Value>> = (0..4)
        .map(|i| vec![value(&[1, w], rand_vec(w, 500 + i, 1.0))])
        .collect();
    let init = MlpInit {
        seed: 1,
        weight_scale: None,
        bias_scale: 0.1,
        ignore: 0,
    };
    let q = quantize_with_inputs(&mlp_with(widths, init), &calib, &QuantConfig::default())
        .expect("quantize");
    let (pk, data) =
        compile_with_weights(q, Visibility::Private, ProofParams::default()).expect("compile");
    (pk, data, vec![value(&[1, w], rand_vec(w, 999, 0.9))])
}

/// The compiled models of `LUCID_ZK_ARTIFACTS`, with their inputs.
fn artifacts() -> Vec<Model> {
    let Ok(spec) = std::env::var("LUCID_ZK_ARTIFACTS") else {
        return Vec::new();
    };
    spec.split(';')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (pk_path, input_path) = item.split_once('=').expect("ARTIFACT=INPUT");
            let bytes = std::fs::read(pk_path).expect("read the artifact");
            let pk: ProverKey = decode(PK_MAGIC, &bytes).expect("decode the artifact");
            let text = std::fs::read_to_string(input_path).expect("read the input");
            let json: serde_json::Value = serde_json::from_str(&text).expect("input JSON");
            let data: Vec<f32> = json["input_data"][0]
                .as_array()
                .expect("input_data[0] is a list")
                .iter()
                .map(|v| v.as_f64().expect("a number") as f32)
                .collect();
            let shape = pk.graph.nodes[pk.graph.inputs[0].node].shape.clone();
            let weights = std::path::Path::new(pk_path).with_file_name("model.weights");
            let stored = std::fs::read(weights)
                .ok()
                .map(|b| WeightsData::from_bytes(&pk, &b).expect("the stored weights"));
            (pk_path.to_string(), pk, stored, vec![value(&shape, data)])
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    const REPS: usize = 3;
    println!(
        "| model | plain prove ms | zk prove ms | ratio | plain stored ms | zk stored ms | ratio | plain verify ms | zk verify ms | plain proof KiB | zk proof KiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut models: Vec<Model> = Vec::new();
    for (name, widths) in [
        ("mlp 64-32-16-10 (random weights)", vec![64, 32, 16, 10]),
        ("mlp 784-128-64-10 (random weights)", vec![784, 128, 64, 10]),
    ] {
        let (pk, data, inputs) = compiled(&widths);
        models.push((name.to_string(), pk, data, inputs));
    }
    models.extend(artifacts());
    for (name, pk, stored, inputs) in models {
        let mut rng = StdRng::seed_from_u64(7);
        let (mut pp, mut zp, mut ps, mut zs, mut pv, mut zv) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut plain_size, mut zk_size) = (0, 0);
        for _ in 0..REPS {
            let t = Instant::now();
            let (proof, _) = prove(&pk, &inputs, &mut ()).expect("plain prove");
            pp.push(t.elapsed());
            let t = Instant::now();
            verify(&pk.vk, &proof).expect("plain verify");
            pv.push(t.elapsed());
            plain_size = encode(PROOF_MAGIC, &proof).expect("encode").len();

            let t = Instant::now();
            let (proof, _) = zk::prove(&pk, &inputs, &mut rng).expect("zk prove");
            zp.push(t.elapsed());
            let t = Instant::now();
            zk::verify(&pk.vk, &proof, None).expect("zk verify");
            zv.push(t.elapsed());
            zk_size = encode(PROOF_MAGIC, &proof).expect("encode").len();

            if let Some(data) = &stored {
                let t = Instant::now();
                prove_with_weights(&pk, &inputs, Some(data.clone()), &mut ())
                    .expect("plain prove, stored weights");
                ps.push(t.elapsed());
                let t = Instant::now();
                zk::prove_with_weights(&pk, &inputs, Some(data.clone()), &mut rng, &mut ())
                    .expect("zk prove, stored weights");
                zs.push(t.elapsed());
            }
        }
        let (pp, zp, pv, zv) = (median(pp), median(zp), median(pv), median(zv));
        let stored_cols = if ps.is_empty() {
            "– | – | –".to_string()
        } else {
            let (ps, zs) = (median(ps), median(zs));
            format!(
                "{:.0} | {:.0} | {:.2}×",
                ms(ps),
                ms(zs),
                zs.as_secs_f64() / ps.as_secs_f64()
            )
        };
        println!(
            "| {name} | {:.0} | {:.0} | {:.2}× | {stored_cols} | {:.1} | {:.1} | {:.1} | {:.1} |",
            ms(pp),
            ms(zp),
            zp.as_secs_f64() / pp.as_secs_f64(),
            ms(pv),
            ms(zv),
            plain_size as f64 / 1024.0,
            zk_size as f64 / 1024.0
        );
    }
}
