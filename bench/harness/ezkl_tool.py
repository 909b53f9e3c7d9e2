"""EZKL's full pipeline on one model, one subprocess per step (bench/ezkl_step.py).

Steps: gen-settings, calibrate, compile, gen-srs (local, cached per logrows: a KZG SRS is a
one-time universal ceremony, so it is timed but kept out of the setup total), setup, gen-witness,
prove, verify. Settings: input private, output public, weights fixed (baked into the circuit, as
Lucid's verifying key commits them), calibration target "resources" unless told otherwise.
"""

from __future__ import annotations

import json
import pathlib
import sys

from .measure import Runner, Step

HERE = pathlib.Path(__file__).resolve().parent.parent
STEP_SCRIPT = HERE / "ezkl_step.py"
SETUP_STEPS = ("gen-settings", "calibrate", "compile", "setup")


def _size(path: pathlib.Path) -> int | None:
    return path.stat().st_size if path.exists() else None


def run_ezkl(
    runner: Runner,
    model_dir: pathlib.Path,
    work: pathlib.Path,
    srs_dir: pathlib.Path,
    *,
    python: str = sys.executable,
    input_visibility: str = "private",
    target: str = "resources",
    repeat: int = 1,
    keep_keys: bool = False,
) -> dict:
    """Runs the pipeline; returns a JSON-ready dict. Stops at the first failing step.

    The proving key (gigabytes for a CNN) is deleted afterwards unless keep_keys.
    """
    try:
        return _pipeline(runner, model_dir, work, srs_dir, python, input_visibility, target, repeat)
    finally:
        if not keep_keys:
            (work / "pk.key").unlink(missing_ok=True)


def _pipeline(
    runner: Runner,
    model_dir: pathlib.Path,
    work: pathlib.Path,
    srs_dir: pathlib.Path,
    python: str,
    input_visibility: str,
    target: str,
    repeat: int,
) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    srs_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = model_dir / "network.onnx"
    f = {
        "settings": work / "settings.json",
        "compiled": work / "model.compiled",
        "vk": work / "vk.key",
        "pk": work / "pk.key",
        "witness": work / "witness.json",
        "proof": work / "proof.json",
    }
    for p in f.values():
        p.unlink(missing_ok=True)
    result: dict = {
        "ok": False,
        "steps": {},
        "settings": {
            "input_visibility": input_visibility,
            "output_visibility": "public",
            "param_visibility": "fixed",
            "calibration_target": target,
        },
    }

    def step(name: str, *args, **opts) -> Step:
        timing = work / f"{name}.timing.json"
        timing.unlink(missing_ok=True)
        argv = [python, str(STEP_SCRIPT), name, *map(str, args), "--timing", str(timing)]
        for k, v in opts.items():
            argv += [f"--{k.replace('_', '-')}", str(v)]
        s = runner.run(f"ezkl {name}", argv)
        # The API call's own duration, without interpreter start-up and imports.
        if timing.exists():
            try:
                t = json.loads(timing.read_text())
                s.extra["call_s"] = t.get("seconds")
                if not t.get("ok") and t.get("error"):
                    s.error = t["error"]
            except (OSError, json.JSONDecodeError):
                pass
        return s

    def record(s: Step, key: str | None = None) -> bool:
        result["steps"][key or s.name.removeprefix("ezkl ")] = s.to_json()
        if not s.ok:
            result["error"] = f"{s.name}: {s.error}"
        return s.ok

    baseline = step("noop")
    result["baseline_rss_kib"] = baseline.max_rss_kib
    if not baseline.ok:
        result["error"] = f"cannot import ezkl: {baseline.error}"
        return result

    ok = record(
        step(
            "gen-settings",
            onnx_path,
            f["settings"],
            input_visibility=input_visibility,
            output_visibility="public",
            param_visibility="fixed",
        )
    )
    ok = ok and record(
        step("calibrate", model_dir / "calibration.json", onnx_path, f["settings"], target=target)
    )
    ok = ok and record(step("compile", onnx_path, f["compiled"], f["settings"]))
    if not ok:
        return result
    settings = json.loads(f["settings"].read_text())
    logrows = int(settings["run_args"]["logrows"])
    result["logrows"] = logrows
    result["num_rows"] = settings.get("num_rows")
    result["scales"] = {k: settings["run_args"].get(k) for k in ("input_scale", "param_scale")}
    srs = srs_dir / f"kzg{logrows}.srs"
    if srs.exists():
        result["steps"]["gen-srs"] = {"cached": True, "ok": True}
    elif not record(step("gen-srs", srs, logrows)):
        return result
    if not record(step("setup", f["compiled"], f["vk"], f["pk"], srs)):
        return result
    if not record(step("gen-witness", model_dir / "input.json", f["compiled"], f["witness"], f["vk"], srs)):
        return result
    proves, verifies = [], []
    for i in range(repeat):
        p = step("prove", f["witness"], f["compiled"], f["pk"], f["proof"], srs)
        proves.append(p)
        if not record(p, "prove" if i == 0 else f"prove#{i}"):
            return result
        v = step("verify", f["proof"], f["settings"], f["vk"], srs)
        verifies.append(v)
        if not record(v, "verify" if i == 0 else f"verify#{i}"):
            return result

    result["prove_s"] = _median([p.extra.get("call_s") or p.wall_s for p in proves])
    result["verify_s"] = _median([v.extra.get("call_s") or v.wall_s for v in verifies])
    result["setup_s"] = sum(
        (result["steps"][n]["extra"].get("call_s") or result["steps"][n]["wall_s"]) for n in SETUP_STEPS
    )
    gen_srs = result["steps"]["gen-srs"]
    result["gen_srs_s"] = None if gen_srs.get("cached") else gen_srs["extra"].get("call_s")
    result["witness_s"] = result["steps"]["gen-witness"]["extra"].get("call_s")
    result["peak_rss_kib"] = {
        n: result["steps"][n]["max_rss_kib"] for n in ("setup", "gen-witness", "prove", "verify")
    }
    proof = json.loads(f["proof"].read_text())
    result["sizes"] = {
        "proof_bytes": len(proof.get("proof") or []) or None,
        "proof_file_bytes": _size(f["proof"]),
        "pk_bytes": _size(f["pk"]),
        "vk_bytes": _size(f["vk"]),
        "compiled_bytes": _size(f["compiled"]),
        "srs_bytes": _size(srs),
        "settings_bytes": _size(f["settings"]),
    }
    witness = json.loads(f["witness"].read_text())
    try:
        outs = witness["pretty_elements"]["rescaled_outputs"]
        result["outputs"] = [[float(x) for x in o] for o in outs]
    except (KeyError, TypeError, ValueError) as e:
        result["outputs_error"] = f"no rescaled outputs in the witness: {e}"
    result["ok"] = True
    return result


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
