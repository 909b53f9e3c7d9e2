"""Train the demo model shipped with Lucid and write it as ONNX.

A 64-32-16-10 ReLU MLP classifying scikit-learn's bundled 8x8 handwritten digits (the UCI
optical digits data set, no download needed). Pixels are scaled from 0..16 to 0..1.

Writes, under models/digits_mlp/:
  network.onnx      Gemm -> Relu -> Gemm -> Relu -> Gemm (logits), input "input" [1, 64]
  input.json        one held-out test digit, EZKL-style {"input_data": [[...]]}
  calibration.json  32 training digits concatenated (EZKL's layout), for `lucid compile --calibration`
  README.md         provenance and test accuracy

Usage: python scripts/make_demo_model.py   (deterministic: fixed seeds)
"""

import json
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

OUT = pathlib.Path(__file__).resolve().parent.parent / "models" / "digits_mlp"


def main() -> None:
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(32, 16),
        activation="relu",
        max_iter=600,
        random_state=0,
    )
    clf.fit(x_train, y_train)
    accuracy = clf.score(x_test, y_test)

    inits, nodes = [], []
    prev = "input"
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        wn, bn, out = f"fc{i}.weight", f"fc{i}.bias", f"fc{i}"
        inits.append(numpy_helper.from_array(w.astype(np.float32), wn))
        inits.append(numpy_helper.from_array(b.astype(np.float32), bn))
        last = i == len(clf.coefs_) - 1
        gemm_out = "logits" if last else out
        nodes.append(helper.make_node("Gemm", [prev, wn, bn], [gemm_out], name=f"fc{i}"))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"relu{i}"], name=f"relu{i}"))
            prev = f"relu{i}"
    graph = helper.make_graph(
        nodes,
        "digits_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)

    OUT.mkdir(parents=True, exist_ok=True)
    onnx.save(model, OUT / "network.onnx")
    sample = x_test[0]
    (OUT / "input.json").write_text(
        json.dumps({"input_data": [[round(float(v), 6) for v in sample]]}) + "\n"
    )
    # EZKL's calibration layout: per graph input one flat list, samples concatenated.
    calib = x_train[:32].reshape(-1)
    (OUT / "calibration.json").write_text(
        json.dumps({"input_data": [[round(float(v), 6) for v in calib]]}) + "\n"
    )
    (OUT / "README.md").write_text(
        "# digits_mlp\n\n"
        "Lucid's demo model: a 64-32-16-10 ReLU MLP trained by `scripts/make_demo_model.py` on\n"
        "scikit-learn's bundled 8x8 digits (pixels scaled to [0, 1]).\n\n"
        f"Held-out test accuracy (float): {accuracy:.4f} on {len(y_test)} digits.\n"
        f"`input.json` is test digit 0 (label {int(y_test[0])}); `calibration.json` holds 32\n"
        "training digits concatenated in one flat list (EZKL's calibration layout).\n"
    )
    print(f"test accuracy {accuracy:.4f}; wrote {OUT}")


if __name__ == "__main__":
    main()
