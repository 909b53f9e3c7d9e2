"""The float reference: onnxruntime's f32 run of a model on its input.json, timed, and the
accuracy of a prover's (dequantized) outputs against it.
"""

from __future__ import annotations

import json
import pathlib
import statistics
import time


def run_onnxruntime(
    model_dir: pathlib.Path,
    min_runs: int = 50,
    max_runs: int = 2000,
    budget_s: float = 2.0,
    input_file: pathlib.Path | None = None,
) -> dict:
    """Median wall time of one inference (after warm-up) and the float outputs, on the model
    folder's input.json or `input_file`. A symbolic dimension (a batch) takes its size from the
    input's length: the first one absorbs it, any further ones are 1."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        return {"ok": False, "error": f"onnxruntime unavailable ({e}); run bench/setup.sh"}
    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(model_dir / "network.onnx"), opts, providers=["CPUExecutionProvider"])
        data = json.loads((input_file or model_dir / "input.json").read_text())["input_data"]
        feeds = {}
        for decl, flat in zip(sess.get_inputs(), data, strict=True):
            symbolic = [i for i, d in enumerate(decl.shape) if not isinstance(d, int)]
            shape = [d if isinstance(d, int) else 1 for d in decl.shape]
            if symbolic:
                shape[symbolic[0]] = -1
            feeds[decl.name] = np.asarray(flat, dtype=np.float32).reshape(shape)
        outputs = sess.run(None, feeds)
        for _ in range(10):
            sess.run(None, feeds)
        times = []
        start = time.perf_counter()
        while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start < budget_s):
            t = time.perf_counter()
            sess.run(None, feeds)
            times.append(time.perf_counter() - t)
    except Exception as e:  # any onnxruntime failure is a result, not a crash
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    return {
        "ok": True,
        "version": ort.__version__,
        "runs": len(times),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "output_names": [o.name for o in sess.get_outputs()],
        "output_shapes": [list(o.shape) for o in outputs],
        "outputs": [o.reshape(-1).astype(float).tolist() for o in outputs],
    }


def accuracy(reference: list[list[float]], got: list[list[float]]) -> dict | None:
    """Errors of `got` against `reference`, over all outputs compared entry by entry.

    max_rel_err is the largest absolute error divided by the largest reference magnitude (a
    scale-free figure); argmax_match says whether the first output's arg-max agrees (classifiers).
    """
    if not reference or not got:
        return None
    errs, mags, compared = [], [], 0
    for ref, out in zip(reference, got, strict=False):  # a tool may print fewer outputs
        n = min(len(ref), len(out))
        compared += n
        errs += [abs(a - b) for a, b in zip(ref[:n], out[:n], strict=True)]
        mags += [abs(a) for a in ref[:n]]
    if not errs:
        return None
    r0, g0 = reference[0], got[0]
    n0 = min(len(r0), len(g0))
    argmax = None
    if n0 == len(r0) and n0 > 1:
        argmax = max(range(n0), key=lambda i: r0[i]) == max(range(n0), key=lambda i: g0[i])
    return {
        "compared": compared,
        "max_abs_err": max(errs),
        "mean_abs_err": sum(errs) / len(errs),
        "max_rel_err": max(errs) / max(max(mags), 1e-12),
        "argmax_match": argmax,
    }


def per_sample_accuracy(reference: list[float], got: list[float], batch: int) -> dict | None:
    """Errors of a batched output (`batch` samples back to back, flat) against the reference,
    sample by sample: a sample is compared only when `got` holds all its values (a tool may print
    only the first ones). max_rel_err divides each sample's largest absolute error by that
    sample's largest |reference|; argmax_matches counts the compared samples whose arg-max agrees.
    """
    if not reference or not got or batch < 1 or len(reference) % batch:
        return None
    per = len(reference) // batch
    samples = []
    for s in range(min(batch, len(got) // per)):
        a = accuracy([reference[s * per : (s + 1) * per]], [got[s * per : (s + 1) * per]])
        if a is not None:
            samples.append(a)
    if not samples:
        return None
    return {
        "samples": batch,
        "samples_compared": len(samples),
        "values_compared": sum(a["compared"] for a in samples),
        "max_abs_err": max(a["max_abs_err"] for a in samples),
        "mean_abs_err": sum(a["mean_abs_err"] for a in samples) / len(samples),
        "max_rel_err": max(a["max_rel_err"] for a in samples),
        "argmax_matches": sum(1 for a in samples if a["argmax_match"]),
    }
