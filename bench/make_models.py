"""Create Lucid's benchmark models: fixed-seed random weights, written as ONNX.

Every model is float32, batch 1 (except the batched variant below), ONNX opset 13, built with
onnx.helper, and lands in bench/models/<name>/ as
  network.onnx      the model (input "input", output "logits")
  input.json        one input, EZKL-style {"input_data": [[...flat...]]}
  calibration.json  several inputs concatenated in one flat list per graph input (EZKL's layout)

Weights use He initialisation (normal, std sqrt(2 / fan_in)) and small biases, and inputs are
uniform in [0, 1), so activations stay of order one through every layer.

Models (see MODELS below):
  mlp_64_32_10            Gemm+Relu MLP 64-32-10
  mlp_784_128_64_10       Gemm+Relu MLP 784-128-64-10
  mlp_1024x3              Gemm+Relu MLP 1024-1024-1024-10 (~4 MB: generated on the fly, not committed)
  lenet5                  LeNet-5-style CNN on 1x28x28: conv5x5 6ch + relu + avgpool2,
                          conv5x5 16ch + relu + avgpool2, dense 256-120-84-10
  cifar_cnn               CIFAR-style CNN on 3x32x32: conv3x3 16ch + relu + avgpool2,
                          conv3x3 32ch + relu + avgpool2, dense 2048-128-64-10
  width_<w>               width series 256-w-w-10 for w in 64, 128, 256, 512, 1024
  mlp_1024x3_batch        mlp_1024x3 (identical weights) with a symbolic batch dimension N on its
                          input and output, for batch proving; instead of input.json and
                          calibration.json, per batch size B in BATCH_SIZES (1, 16, 64):
                            input_b<B>.json        B samples in one flat list (sample 0 is
                                                   mlp_1024x3's input.json sample)
                            calibration_b<B>.json  mlp_1024x3's 16 calibration samples repeated to
                                                   a whole number of batches of B (same min/max,
                                                   hence the same quantization as mlp_1024x3)

Usage:
  python bench/make_models.py                 all models
  python bench/make_models.py lenet5 ...      only these
  python bench/make_models.py --list          names, MACs and parameter counts
Deterministic: the same bytes on every run (seed derived from the model's name).
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import zlib
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
MODELS_DIR = HERE / "models"
OPSET = 13
WIDTHS = (64, 128, 256, 512, 1024)
WIDTH_INPUT = 256
# The batched variant (run.py's batch-proving section): BATCH_BASE with a symbolic batch dimension.
BATCH_BASE = "mlp_1024x3"
BATCH_MODEL = "mlp_1024x3_batch"
BATCH_SIZES = (1, 16, 64)


@dataclass
class Builder:
    """Accumulates ONNX nodes and initializers for one model, with a seeded generator."""

    name: str
    rng: np.random.Generator
    nodes: list = field(default_factory=list)
    inits: list = field(default_factory=list)
    macs: int = 0
    params: int = 0
    count: int = 0

    def fresh(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        self.params += int(array.size)
        return name

    def dense(self, x: str, n_in: int, n_out: int, out: str | None = None) -> str:
        """Gemm with PyTorch's layout: W is [out, in], transB = 1."""
        tag = self.fresh("fc")
        w = self.rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
        b = self.rng.normal(0.0, 0.05, size=(n_out,))
        out = out or tag
        self.nodes.append(
            helper.make_node(
                "Gemm",
                [x, self.const(f"{tag}.weight", w), self.const(f"{tag}.bias", b)],
                [out],
                name=tag,
                transB=1,
            )
        )
        self.macs += n_in * n_out
        return out

    def conv(self, x: str, c_in: int, c_out: int, k: int, hw_out: tuple[int, int], pad: int) -> str:
        tag = self.fresh("conv")
        fan_in = c_in * k * k
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(c_out, c_in, k, k))
        b = self.rng.normal(0.0, 0.05, size=(c_out,))
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.const(f"{tag}.weight", w), self.const(f"{tag}.bias", b)],
                [tag],
                name=tag,
                kernel_shape=[k, k],
                pads=[pad] * 4,
                strides=[1, 1],
            )
        )
        self.macs += c_out * hw_out[0] * hw_out[1] * fan_in
        return tag

    def relu(self, x: str) -> str:
        tag = self.fresh("relu")
        self.nodes.append(helper.make_node("Relu", [x], [tag], name=tag))
        return tag

    def avgpool2(self, x: str) -> str:
        tag = self.fresh("pool")
        self.nodes.append(
            helper.make_node("AveragePool", [x], [tag], name=tag, kernel_shape=[2, 2], strides=[2, 2])
        )
        return tag

    def flatten(self, x: str) -> str:
        tag = self.fresh("flatten")
        self.nodes.append(helper.make_node("Flatten", [x], [tag], name=tag, axis=1))
        return tag

    def model(self, input_shape: list[int], output_shape: list[int]) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, output_shape)],
            self.inits,
        )
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="lucid-bench"
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def mlp(b: Builder, sizes: list[int]) -> onnx.ModelProto:
    x = "input"
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        last = i == len(sizes) - 2
        x = b.dense(x, n_in, n_out, out="logits" if last else None)
        if not last:
            x = b.relu(x)
    return b.model([1, sizes[0]], [1, sizes[-1]])


def lenet5(b: Builder) -> onnx.ModelProto:
    x = b.avgpool2(b.relu(b.conv("input", 1, 6, 5, (24, 24), pad=0)))  # 6x12x12
    x = b.avgpool2(b.relu(b.conv(x, 6, 16, 5, (8, 8), pad=0)))  # 16x4x4
    x = b.flatten(x)
    x = b.relu(b.dense(x, 256, 120))
    x = b.relu(b.dense(x, 120, 84))
    b.dense(x, 84, 10, out="logits")
    return b.model([1, 1, 28, 28], [1, 10])


def cifar_cnn(b: Builder) -> onnx.ModelProto:
    x = b.avgpool2(b.relu(b.conv("input", 3, 16, 3, (32, 32), pad=1)))  # 16x16x16
    x = b.avgpool2(b.relu(b.conv(x, 16, 32, 3, (16, 16), pad=1)))  # 32x8x8
    x = b.flatten(x)
    x = b.relu(b.dense(x, 2048, 128))
    x = b.relu(b.dense(x, 128, 64))
    b.dense(x, 64, 10, out="logits")
    return b.model([1, 3, 32, 32], [1, 10])


@dataclass(frozen=True)
class Spec:
    """One benchmark model: how to build it, its input shape and its calibration sample count."""

    name: str
    input_shape: tuple[int, ...]
    build: object  # Callable[[Builder], onnx.ModelProto]
    calibration_samples: int
    group: str  # "mlp", "cnn" or "width"


def _mlp_spec(name: str, sizes: list[int], group: str = "mlp") -> Spec:
    return Spec(name, (1, sizes[0]), lambda b: mlp(b, sizes), 16, group)


MODELS: dict[str, Spec] = {
    s.name: s
    for s in [
        _mlp_spec("mlp_64_32_10", [64, 32, 10]),
        _mlp_spec("mlp_784_128_64_10", [784, 128, 64, 10]),
        _mlp_spec("mlp_1024x3", [1024, 1024, 1024, 10]),
        Spec("lenet5", (1, 1, 28, 28), lenet5, 8, "cnn"),
        Spec("cifar_cnn", (1, 3, 32, 32), cifar_cnn, 8, "cnn"),
        *[_mlp_spec(f"width_{w}", [WIDTH_INPUT, w, w, 10], "width") for w in WIDTHS],
    ]
}


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


def build(name: str) -> tuple[onnx.ModelProto, Builder]:
    spec = MODELS[name]
    b = Builder(name, np.random.default_rng(seed_of(name)))
    return spec.build(b), b


def macs_and_params(name: str) -> tuple[int, int]:
    _, b = build(name)
    return b.macs, b.params


def _flat(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values.reshape(-1)]


def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The model's input sample (shape input_shape) and calibration samples (one per row)."""
    spec = MODELS[name]
    data_rng = np.random.default_rng(seed_of(name) ^ 0x5EED)
    sample = data_rng.random(spec.input_shape, dtype=np.float32)
    calib = data_rng.random((spec.calibration_samples, *spec.input_shape[1:]), dtype=np.float32)
    return sample, calib


def write(name: str, out_root: pathlib.Path = MODELS_DIR) -> pathlib.Path:
    """Writes one model's folder; returns it."""
    if name == BATCH_MODEL:
        return write_batch(BATCH_SIZES, out_root)
    model, _ = build(name)
    sample, calib = _data(name)
    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out / "network.onnx")
    (out / "input.json").write_text(json.dumps({"input_data": [_flat(sample)]}) + "\n")
    (out / "calibration.json").write_text(json.dumps({"input_data": [_flat(calib)]}) + "\n")
    return out


def batched(model: onnx.ModelProto, dim: str = "N") -> onnx.ModelProto:
    """A copy of `model` whose graph inputs' and outputs' first dimension is the symbolic `dim`."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for value in [*out.graph.input, *out.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = dim  # replaces the fixed dim_value 1
    onnx.checker.check_model(out)
    return out


def batch_inputs(batch: int) -> np.ndarray:
    """`batch` input samples, one per row: sample 0 is BATCH_BASE's input.json sample, the others
    come from a generator seeded with BATCH_MODEL's name (so a smaller batch is a prefix of a
    larger one)."""
    sample, _ = _data(BATCH_BASE)
    rng = np.random.default_rng(seed_of(BATCH_MODEL) ^ 0x5EED)
    rest = rng.random((batch - 1, *sample.shape[1:]), dtype=np.float32)
    return np.concatenate([sample, rest])


def batch_calibration(batch: int) -> np.ndarray:
    """BATCH_BASE's calibration samples repeated to fill a whole number of batches of `batch`
    (lcm(samples, batch) rows). Lucid's calibration keeps each tensor's min and max over all
    samples, which repetition leaves unchanged: the batched model quantizes exactly as BATCH_BASE."""
    _, calib = _data(BATCH_BASE)
    rows = math.lcm(len(calib), batch)
    return np.tile(calib, (rows // len(calib), *[1] * (calib.ndim - 1)))


def write_batch(
    batch_sizes: tuple[int, ...] = BATCH_SIZES, out_root: pathlib.Path = MODELS_DIR
) -> pathlib.Path:
    """Writes BATCH_MODEL's folder: network.onnx (BATCH_BASE with a symbolic batch dimension N;
    identical weights) and, per batch size B, input_b<B>.json (B samples in one flat list) and
    calibration_b<B>.json (see batch_calibration). Returns the folder."""
    if any(b < 1 for b in batch_sizes):
        raise ValueError(f"batch sizes must be positive, got {batch_sizes}")
    base, _ = build(BATCH_BASE)
    out = out_root / BATCH_MODEL
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(batched(base), out / "network.onnx")
    for b in batch_sizes:
        (out / f"input_b{b}.json").write_text(json.dumps({"input_data": [_flat(batch_inputs(b))]}) + "\n")
        (out / f"calibration_b{b}.json").write_text(
            json.dumps({"input_data": [_flat(batch_calibration(b))]}) + "\n"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="models to write (default: all)")
    ap.add_argument("--out", type=pathlib.Path, default=MODELS_DIR, help="root folder")
    ap.add_argument("--list", action="store_true", help="print names, MACs and parameters only")
    args = ap.parse_args()
    names = args.names or [*MODELS, BATCH_MODEL]
    unknown = [n for n in names if n not in MODELS and n != BATCH_MODEL]
    if unknown:
        ap.error(f"unknown model(s) {unknown}; known: {[*MODELS, BATCH_MODEL]}")
    for name in names:
        macs, params = macs_and_params(BATCH_BASE if name == BATCH_MODEL else name)
        if name == BATCH_MODEL:
            macs_note = f"MACs {macs:>10d}/sample  params {params:>9d}"
            if args.list:
                print(f"{name:20s} {macs_note}  batch sizes {', '.join(map(str, BATCH_SIZES))}")
                continue
            out = write_batch(BATCH_SIZES, args.out)
            size = (out / "network.onnx").stat().st_size
            print(f"{name:20s} {macs_note}  {size / 1024:8.1f} KiB  {out}")
            continue
        if args.list:
            print(f"{name:20s} MACs {macs:>10d}  params {params:>9d}")
            continue
        out = write(name, args.out)
        size = (out / "network.onnx").stat().st_size
        print(f"{name:20s} MACs {macs:>10d}  params {params:>9d}  {size / 1024:8.1f} KiB  {out}")


if __name__ == "__main__":
    main()
