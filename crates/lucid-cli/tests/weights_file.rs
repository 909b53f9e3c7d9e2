//! The stored weights codeword beside a compiled model (`model.weights`): `lucid compile`
//! writes it, `lucid prove` uses it, proves without it (slower, with a note), and refuses a
//! damaged one with an error naming the file.

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

fn demo_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/digits_mlp")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn stored_weights_are_written_used_and_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    let model = demo_model().join("network.onnx");
    let calib = demo_model().join("calibration.json");
    let input = demo_model().join("input.json");
    let o = lucid(&[
        "compile",
        s(&model),
        "-o",
        s(&dir),
        "--calibration",
        s(&calib),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let weights = dir.join("model.weights");
    let bytes = std::fs::read(&weights).expect("compile writes model.weights");

    let artifact = dir.join("model.lucid");
    let proof = tmp.path().join("proof.bin");
    let prove = || lucid(&["prove", s(&artifact), s(&input), "-o", s(&proof), "--no-zk"]);
    let verify = || lucid(&["verify", s(&dir.join("model.vk")), s(&proof)]);

    let o = prove();
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("no stored weights"), "{}", text(&o));
    assert!(verify().status.success());

    // A damaged file: an error naming it, no proof written.
    std::fs::remove_file(&proof).expect("remove");
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    std::fs::write(&weights, &damaged).expect("write");
    let o = prove();
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("model.weights"), "{}", text(&o));
    assert!(text(&o).contains("checksum"), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    assert!(!proof.exists());

    // A truncated file: the same.
    std::fs::write(&weights, &bytes[..20]).expect("write");
    let o = prove();
    assert!(!o.status.success());
    assert!(text(&o).contains("model.weights"), "{}", text(&o));

    // Another model's file (compiled at another bit width): refused.
    let other = tmp.path().join("other");
    let o = lucid(&[
        "compile",
        s(&model),
        "-o",
        s(&other),
        "--calibration",
        s(&calib),
        "--bits",
        "12",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::copy(other.join("model.weights"), &weights).expect("copy");
    let o = prove();
    assert!(!o.status.success());
    assert!(text(&o).contains("another model"), "{}", text(&o));

    // No file: proved all the same, with a note.
    std::fs::remove_file(&weights).expect("remove");
    let o = prove();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("no stored weights"), "{}", text(&o));
    assert!(verify().status.success());
}
