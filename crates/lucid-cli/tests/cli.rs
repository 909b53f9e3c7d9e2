//! End-to-end tests of the `lucid` binary: the demo, compile → prove → verify on the shipped
//! digits model, rejection of tampered or mismatched artifacts, clear errors on bad input files,
//! and the conformance suite.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lucid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lucid"))
        .args(args)
        .output()
        .expect("the lucid binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_model() -> PathBuf {
    repo().join("models/digits_mlp")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Compiles the digits model into `dir` with the given extra flags.
fn compile(dir: &Path, extra: &[&str]) {
    let model = demo_model().join("network.onnx");
    let calib = demo_model().join("calibration.json");
    let mut args = vec![
        "compile",
        s(&model),
        "-o",
        s(dir),
        "--calibration",
        s(&calib),
    ];
    args.extend_from_slice(extra);
    let o = lucid(&args);
    assert!(o.status.success(), "compile failed: {}", text(&o));
    assert!(text(&o).contains("model digest"), "{}", text(&o));
}

/// `lucid prove` in its default mode (zero knowledge) plus `extra` flags.
fn prove(dir: &Path, input: &Path, proof: &Path, extra: &[&str]) -> Output {
    let artifact = dir.join("model.lucid");
    let mut args = vec!["prove", s(&artifact), s(input), "-o", s(proof)];
    args.extend_from_slice(extra);
    lucid(&args)
}

fn verify(dir: &Path, proof: &Path) -> Output {
    lucid(&["verify", s(&dir.join("model.vk")), s(proof)])
}

#[test]
fn demo_compiles_proves_and_verifies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = lucid(&["demo", "--dir", s(tmp.path())]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("predicted digit 2"), "{out}");
    assert!(out.contains("verified"), "{out}");
}

#[test]
fn compile_prove_verify_and_reject_tampering() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    compile(&dir, &[]);
    let input = demo_model().join("input.json");
    let proof = tmp.path().join("proof.bin");
    let o = prove(&dir, &input, &proof, &["--no-zk"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("logits"), "{}", text(&o));
    assert!(text(&o).contains("(not zero-knowledge)"), "{}", text(&o));
    let o = verify(&dir, &proof);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("verified (plain proof, not zero-knowledge)"),
        "{}",
        text(&o)
    );

    // Every 97th byte of the proof flipped in turn: never accepted.
    let bytes = std::fs::read(&proof).expect("proof");
    let bad = tmp.path().join("bad.bin");
    for pos in (10..bytes.len()).step_by(97).take(12) {
        let mut b = bytes.clone();
        b[pos] ^= 0x21;
        std::fs::write(&bad, &b).expect("write");
        let o = verify(&dir, &bad);
        assert!(!o.status.success(), "byte {pos} flipped still verifies");
        assert!(!text(&o).contains("verified in"), "{}", text(&o));
    }
    // Truncated proof and a key given as a proof: clear errors.
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).expect("write");
    let o = verify(&dir, &bad);
    assert!(!o.status.success());
    assert!(text(&o).contains("proof"), "{}", text(&o));
    let o = verify(&dir, &dir.join("model.vk"));
    assert!(text(&o).contains("this is a verifying key"), "{}", text(&o));

    // A key of the same architecture compiled at another bit width (other scales, other
    // weights commitment) rejects the proof.
    let other = tmp.path().join("other");
    compile(&other, &["--bits", "12"]);
    let o = verify(&other, &proof);
    assert!(
        !o.status.success(),
        "proof verified against another model's key"
    );

    // Corrupted prover artifact: an error naming it, not a panic.
    let art = std::fs::read(dir.join("model.lucid")).expect("artifact");
    let broken = tmp.path().join("broken.lucid");
    std::fs::write(&broken, &art[..art.len() - 7]).expect("write");
    let o = lucid(&["prove", s(&broken), s(&input), "-o", s(&bad)]);
    assert!(!o.status.success());
    assert!(text(&o).contains("prover artifact"), "{}", text(&o));
}

#[test]
fn zero_knowledge_prove_and_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    compile(&dir, &[]);
    let input = demo_model().join("input.json");
    let proof = tmp.path().join("zk.bin");
    // Zero knowledge is the default; `--zk` asks for it explicitly, `--no-zk` conflicts.
    let o = prove(&dir, &input, &proof, &["--zk", "--no-zk"]);
    assert!(!o.status.success(), "{}", text(&o));
    let o = prove(&dir, &input, &proof, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("proved in zero knowledge"),
        "{}",
        text(&o)
    );
    let o = verify(&dir, &proof);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("verified (zero-knowledge proof)"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("logits"), "{}", text(&o));

    // Flipped bytes, a truncated file and another model's key: never accepted.
    let bytes = std::fs::read(&proof).expect("proof");
    let bad = tmp.path().join("bad.bin");
    for pos in (10..bytes.len()).step_by(bytes.len() / 9).take(8) {
        let mut b = bytes.clone();
        b[pos] ^= 0x21;
        std::fs::write(&bad, &b).expect("write");
        let o = verify(&dir, &bad);
        assert!(!o.status.success(), "byte {pos} flipped still verifies");
    }
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).expect("write");
    let o = verify(&dir, &bad);
    assert!(!o.status.success());
    assert!(text(&o).contains("zero-knowledge proof"), "{}", text(&o));
    let other = tmp.path().join("other");
    compile(&other, &["--bits", "12"]);
    let o = verify(&other, &proof);
    assert!(!o.status.success(), "ZK proof verified against another key");
}

#[test]
fn public_input_is_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    compile(&dir, &["--input-visibility", "public"]);
    let input = demo_model().join("input.json");
    let vk = dir.join("model.vk");
    let other = tmp.path().join("other.json");
    let values: Vec<String> = (0..64)
        .map(|i| format!("{}", (i % 7) as f64 / 7.0))
        .collect();
    std::fs::write(
        &other,
        format!("{{\"input_data\": [[{}]]}}", values.join(",")),
    )
    .expect("write");
    // Both proof modes carry the public input.
    for mode in [&[][..], &["--no-zk"][..]] {
        let proof = tmp.path().join("proof.bin");
        let o = prove(&dir, &input, &proof, mode);
        assert!(o.status.success(), "{mode:?}: {}", text(&o));
        let o = lucid(&["verify", s(&vk), s(&proof), "--input", s(&input)]);
        assert!(o.status.success(), "{mode:?}: {}", text(&o));
        // Another input: the proof is not about it.
        let o = lucid(&["verify", s(&vk), s(&proof), "--input", s(&other)]);
        assert!(!o.status.success(), "{mode:?}");
        assert!(text(&o).contains("not the input"), "{}", text(&o));
    }
}

#[test]
fn bad_input_files_give_clear_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    compile(&dir, &[]);
    let proof = tmp.path().join("proof.bin");
    let cases = [
        (
            "short.json",
            "{\"input_data\": [[0.1, 0.2, 0.3]]}",
            "expected 64",
        ),
        ("text.json", "{\"input_data\": [[\"a\", 0.2]]}", "input"),
        ("notjson.json", "input_data = 3", "JSON"),
        ("missing.json", "{\"shapes\": []}", "input_data"),
    ];
    for (name, content, needle) in cases {
        let f = tmp.path().join(name);
        std::fs::write(&f, content).expect("write");
        let o = prove(&dir, &f, &proof, &[]);
        assert!(!o.status.success(), "{name} was accepted");
        let out = text(&o);
        assert!(out.contains(needle), "{name}: {out}");
        assert!(!out.contains("panicked"), "{name}: {out}");
    }
    let o = prove(&dir, &tmp.path().join("absent.json"), &proof, &[]);
    assert!(text(&o).contains("absent.json"), "{}", text(&o));

    // Files of another format version are refused by version, with what to do about it.
    let input = demo_model().join("input.json");
    assert!(prove(&dir, &input, &proof, &[]).status.success());
    let with_version = |path: &Path, version: u16| {
        let mut bytes = std::fs::read(path).expect("read");
        bytes[8..10].copy_from_slice(&version.to_le_bytes());
        let out = tmp.path().join(format!(
            "v{version}-{}",
            path.file_name().and_then(|n| n.to_str()).expect("name")
        ));
        std::fs::write(&out, bytes).expect("write");
        out
    };
    let old_vk = with_version(&dir.join("model.vk"), 7);
    let o = lucid(&["verify", s(&old_vk), s(&proof)]);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("format version 7") && out.contains("lucid compile"),
        "{out}"
    );
    let old_proof = with_version(&proof, 7);
    let o = verify(&dir, &old_proof);
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("format version 7") && out.contains("prove again"),
        "{out}"
    );
    assert!(!out.contains("panicked"), "{out}");
}

#[test]
fn inspect_lists_operators_and_macs() {
    let model = demo_model().join("network.onnx");
    let o = lucid(&["inspect", s(&model)]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("multiply-accumulates: 2720"), "{out}");
    assert!(out.contains("every node is supported"), "{out}");
    let garbage = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(garbage.path(), b"not an onnx file").expect("write");
    let o = lucid(&["inspect", s(garbage.path())]);
    assert!(!o.status.success());
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

/// The conformance suite: at least 70 of the 74 models run in integers within the accuracy
/// rule, and every model the prover plans is proved and verified.
#[test]
fn conformance_suite() {
    let suite = repo().join("../shared/conformance/ezkl-examples");
    assert!(
        suite.is_dir(),
        "conformance suite missing at {} (the shared folder must sit beside the repository)",
        suite.display()
    );
    let o = lucid(&["conformance", s(&suite), "--prove"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("PROOF FAILED"), "{out}");
    assert!(!out.contains("ZK PROOF FAILED"), "{out}");
    let summary = out
        .lines()
        .find(|l| l.contains("models run in integers"))
        .expect("summary line");
    let passing: usize = summary
        .split('/')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .expect("count");
    assert!(passing >= 70, "{summary}");
    let proved = out
        .lines()
        .find(|l| l.contains("provable models proved and verified"))
        .expect("proof summary");
    let mut parts = proved.split(['/', ' ']);
    let (a, b) = (parts.next(), parts.next());
    assert_eq!(a, b, "{proved}");
    assert!(
        a.and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n >= 45),
        "{proved}"
    );
    // Every model zero-knowledge mode accepts proves and verifies: 57 of the 58 today (tiny
    // models as stacked copies; `arange` has a constant output and no input).
    let zk = out
        .lines()
        .find(|l| l.contains("also proved and verified in zero knowledge"))
        .expect("zero-knowledge summary");
    assert!(
        zk.split('/')
            .next()
            .and_then(|n| n.trim().parse::<usize>().ok())
            .is_some_and(|n| n >= 57),
        "{zk}"
    );
}

/// `--json`: prove prints every output value, the time, size and mode; verify prints the same
/// outputs, and for a broken proof `"verified": false` with the reason, exiting non-zero.
#[test]
fn json_output_of_prove_and_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    compile(&dir, &[]);
    let input = demo_model().join("input.json");
    let parse = |o: &Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
    };
    for (mode, zk) in [(&[][..], true), (&["--no-zk"][..], false)] {
        let proof = tmp.path().join(format!("proof-{zk}.bin"));
        let mut args = mode.to_vec();
        args.extend(["--json", "--timings"]);
        let o = prove(&dir, &input, &proof, &args);
        assert!(o.status.success(), "{}", text(&o));
        let p = parse(&o);
        assert_eq!(p["zero_knowledge"], zk);
        assert_eq!(p["version"], 1);
        let size = std::fs::metadata(&proof).expect("proof written").len();
        assert_eq!(p["proof_bytes"], size);
        assert!(p["prove_s"].as_f64().is_some_and(|t| t > 0.0), "{p}");
        assert!(p["stages_s"]["load weights"].is_number(), "{p}");
        // Both modes break the proof down by stage (zero knowledge: masks, commit, lookups,
        // layers, openings; plain: its own stages, also ending in the openings).
        for stage in ["integer run", "commit", "lookups", "layers", "openings"] {
            assert!(p["stages_s"][stage].is_number(), "{stage} in {p}");
        }
        let outputs = p["outputs"].as_array().expect("outputs");
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0]["name"], "logits");
        assert_eq!(outputs[0]["shape"], serde_json::json!([1, 10]));
        assert_eq!(outputs[0]["values"].as_array().map(Vec::len), Some(10));

        let o = lucid(&["verify", s(&dir.join("model.vk")), s(&proof), "--json"]);
        assert!(o.status.success(), "{}", text(&o));
        let v = parse(&o);
        assert_eq!(v["verified"], true);
        assert_eq!(v["zero_knowledge"], zk);
        assert_eq!(
            v["outputs"], p["outputs"],
            "verify and prove report the same outputs"
        );

        let mut bytes = std::fs::read(&proof).expect("proof");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x10;
        let bad = tmp.path().join("bad.bin");
        std::fs::write(&bad, &bytes).expect("write");
        let o = lucid(&["verify", s(&dir.join("model.vk")), s(&bad), "--json"]);
        assert!(!o.status.success(), "a tampered proof verified");
        let v = parse(&o);
        assert_eq!(v["verified"], false);
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
        assert!(v.get("outputs").is_none(), "{v}");
    }
}

/// A model too small for zero-knowledge masks (`1l_mlp`: input `[1, 3]`, output `[1, 4]`)
/// compiles as stacked copies of itself; `lucid prove` (zero knowledge) and `lucid verify`
/// take and print the model's own shapes, and `--input` checks a public input copy by copy.
#[test]
fn tiny_models_prove_in_zero_knowledge_as_stacked_copies() {
    let model = repo().join("../shared/conformance/ezkl-examples/1l_mlp");
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = model.join("input.json");
    for vis in ["private", "public"] {
        let dir = tmp.path().join(vis);
        let o = lucid(&[
            "compile",
            s(&model.join("network.onnx")),
            "-o",
            s(&dir),
            "--input",
            s(&input),
            "--input-visibility",
            vis,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("stacked copies"), "{}", text(&o));
        for mode in [&[][..], &["--no-zk"][..]] {
            let proof = tmp.path().join(format!("{vis}-{}.bin", mode.len()));
            let mut args = mode.to_vec();
            args.push("--json");
            let o = prove(&dir, &input, &proof, &args);
            assert!(o.status.success(), "{}", text(&o));
            let p: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
            assert_eq!(p["outputs"][0]["shape"], serde_json::json!([1, 4]), "{p}");
            let vk = dir.join("model.vk");
            let mut args = vec!["verify", s(&vk), s(&proof), "--json"];
            if vis == "public" {
                args.extend(["--input", s(&input)]);
            }
            let o = lucid(&args);
            assert!(o.status.success(), "{}", text(&o));
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
            assert_eq!(v["outputs"], p["outputs"]);
        }
    }
}
