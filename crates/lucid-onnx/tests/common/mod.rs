//! Shared by the integration tests that walk the conformance suite (the EZKL example models).

use std::path::PathBuf;

/// The suite: `shared/conformance/ezkl-examples`, a sibling of the repository.
pub fn suite_dir() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/ezkl-examples");
    assert!(
        dir.is_dir(),
        "conformance models not found at {} (expected a sibling `shared/` folder of the repo)",
        dir.display()
    );
    dir
}

/// Every model folder of the suite (those holding a `network.onnx`), sorted by name.
pub fn models() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("readable conformance dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("network.onnx").is_file())
        .collect();
    dirs.sort();
    dirs
}
