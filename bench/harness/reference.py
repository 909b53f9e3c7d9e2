"""The float reference: onnxruntime's f32 run of a model on its input.json, timed, and the
accuracy of a prover's (dequantized) outputs against it.
"""

from __future__ import annotations

import json
import pathlib
import statistics
import time


def run_onnxruntime(
    model_dir: pathlib.Path, min_runs: int = 50, max_runs: int = 2000, budget_s: float = 2.0
) -> dict:
    """Median wall time of one inference (after warm-up) and the float outputs."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        return {"ok": False, "error": f"onnxruntime unavailable ({e}); run bench/setup.sh"}
    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(model_dir / "network.onnx"), opts, providers=["CPUExecutionProvider"])
        data = json.loads((model_dir / "input.json").read_text())["input_data"]
        feeds = {}
        for decl, flat in zip(sess.get_inputs(), data, strict=True):
            shape = [d if isinstance(d, int) else 1 for d in decl.shape]
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
