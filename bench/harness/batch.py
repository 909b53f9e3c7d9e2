"""Batch proving: one Lucid proof of B inputs against onnxruntime's inference of the same B inputs.

The batched model (make_models.py's mlp_1024x3_batch: mlp_1024x3's weights, batch dimension
symbolic) is run per batch size B as
  lucid compile network.onnx -o WORK/b<B> --input input_b<B>.json --calibration calibration_b<B>.json
  lucid prove WORK/b<B>/model.lucid input_b<B>.json ... --no-zk, then --zk; lucid verify
                                                      (lucid_tool.run_lucid: repeat times, median)
  onnxruntime: network.onnx on input_b<B>.json, median time of one call on the whole batch
and gives per inference = prove / B, ratio = prove / onnxruntime's time on the same batch, and the
accuracy of every sample whose outputs Lucid printed against onnxruntime's.
"""

from __future__ import annotations

import os
import pathlib

from .lucid_tool import run_lucid
from .measure import Runner
from .reference import per_sample_accuracy, run_onnxruntime


def batch_files(model_dir: pathlib.Path, batch: int) -> tuple[pathlib.Path, pathlib.Path]:
    """The input and calibration files of batch size `batch` (written by make_models.py)."""
    return model_dir / f"input_b{batch}.json", model_dir / f"calibration_b{batch}.json"


def _ratio(a, b) -> float | None:
    return None if a is None or not b else a / b


def _first(outputs) -> list[float] | None:
    return outputs[0] if outputs else None


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run_batch(
    runner: Runner,
    lucid: str | None,
    model_dir: pathlib.Path,
    work: pathlib.Path,
    sizes: list[int],
    *,
    repeat: int = 1,
    zk: bool = True,
    input_visibility: str = "private",
    base_reference: list[float] | None = None,
) -> list[dict]:
    """One entry per batch size: onnxruntime's figures, Lucid's (None `lucid`: skipped) and the
    derived ratios. `base_reference` (the single-input model's onnxruntime outputs on its input,
    which is sample 0 of every batch) checks that the batched model computes the same function."""
    runs = []
    for b in sizes:
        input_file, calibration_file = batch_files(model_dir, b)
        entry: dict = {"batch": b, "loadavg_before": _loadavg(), "input_file": input_file.name}
        _log(f"[batch {b}] onnxruntime")
        ort = run_onnxruntime(model_dir, input_file=input_file)
        entry["onnxruntime"] = ort
        ref = _first(ort.get("outputs"))
        if base_reference and ref:
            n = len(base_reference)
            entry["sample0_vs_single_model_max_abs"] = max(
                abs(a - c) for a, c in zip(ref[:n], base_reference, strict=True)
            )
        if lucid is None:
            entry["lucid"] = {"skipped": "--no-lucid"}
            runs.append(entry)
            continue
        _log(f"[batch {b}] lucid")
        lu = run_lucid(
            runner,
            lucid,
            model_dir,
            work / f"b{b}",
            input_visibility=input_visibility,
            repeat=repeat,
            zk=zk,
            input_file=input_file,
            calibration_file=calibration_file,
        )
        lu["accuracy"] = per_sample_accuracy(ref, _first(lu.get("outputs")), b)
        entry["lucid"] = lu
        zk_run = lu.get("zk") or {}
        ort_s = ort.get("median_s")
        entry["derived"] = {
            "prove_per_inference_s": _ratio(lu.get("prove_s"), b),
            "zk_prove_per_inference_s": _ratio(zk_run.get("prove_s"), b) if zk_run.get("ok") else None,
            "onnxruntime_per_inference_s": _ratio(ort_s, b),
            "prove_over_onnxruntime": _ratio(lu.get("prove_s"), ort_s),
            "zk_prove_over_onnxruntime": _ratio(zk_run.get("prove_s"), ort_s) if zk_run.get("ok") else None,
        }
        _say(b, lu)
        runs.append(entry)
    return runs


def _log(text: str) -> None:
    print(text, flush=True)


def _say(b: int, lu: dict) -> None:
    if not lu.get("ok"):
        _log(f"[batch {b}] lucid: FAILED: {lu.get('error')}")
        return
    acc = lu.get("accuracy") or {}
    zk = lu.get("zk") or {}
    zk_txt = f"{zk['prove_s']:.3f} s" if zk.get("ok") else (zk.get("error") or "not run")
    proof = (lu.get("sizes") or {}).get("proof_bytes")
    _log(
        f"[batch {b}] lucid: prove {lu['prove_s']:.3f} s (zk {zk_txt}), "
        f"verify {lu.get('verify_s', 0):.3f} s, proof {proof} B, "
        f"max abs err {acc.get('max_abs_err')} over {acc.get('samples_compared')} of {b} samples"
    )
