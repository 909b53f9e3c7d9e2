"""Benchmark Lucid side by side with EZKL on the same models and inputs, in one run.

For each model (bench/models/<name>/, created by make_models.py when missing):
  (a) EZKL's full pipeline through its Python API, one subprocess per step: gen-settings,
      calibrate-settings, compile-circuit, gen-srs (locally, never downloaded), setup,
      gen-witness, prove, verify;
  (b) Lucid's CLI: compile (with the model's calibration.json), prove, verify;
  (c) onnxruntime's float32 inference: median time and the reference outputs.
Then batch proving (in a full run, or with `--models batch`): the 1024-1024-1024-10 MLP with a
symbolic batch dimension (bench/models/mlp_1024x3_batch/, same weights as mlp_1024x3), for each
batch size B one Lucid proof of B inputs (plain and zero-knowledge) against onnxruntime's inference
of the same B inputs in one call (harness/batch.py).
Measures per tool prove/verify/setup time, proof and key sizes, peak memory per step, accuracy
against onnxruntime; ratios Lucid/EZKL; for the width series the prove time against
multiply-accumulates with a fitted log-log slope. Writes bench/results/<timestamp>.json and the
section between <!-- bench:start --> and <!-- bench:end --> of docs/BENCHMARKS.md.

A tool that is missing or fails is recorded in the results and the run goes on.

Usage (after `bash bench/setup.sh`):
  bench/.venv/bin/python bench/run.py                          every model, both tools
  bench/.venv/bin/python bench/run.py --models mlp_64_32_10,mlp_784_128_64_10
  bench/.venv/bin/python bench/run.py --models width --no-ezkl  a group: mlp, cnn, width
  bench/.venv/bin/python bench/run.py --models batch --no-docs only the batch-proving section
  bench/.venv/bin/python bench/run.py --smoke                  smallest MLP, Lucid only, fast;
                                                               exit 1 when Lucid fails
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from harness.batch import batch_files, run_batch  # noqa: E402
from harness.ezkl_tool import run_ezkl  # noqa: E402
from harness.lucid_tool import run_lucid  # noqa: E402
from harness.measure import Runner  # noqa: E402
from harness.reference import accuracy, run_onnxruntime  # noqa: E402
from harness.report import render, update_docs  # noqa: E402

# Names, groups and MAC counts, kept here so that a plain Python (no numpy/onnx) can run --smoke
# on the committed models. make_models.py is the source; check_catalog() compares the two.
CATALOG = {
    "mlp_64_32_10": ("mlp", 2368, 2410),
    "mlp_784_128_64_10": ("mlp", 109184, 109386),
    "mlp_1024x3": ("mlp", 2107392, 2109450),
    "lenet5": ("cnn", 281640, 44426),
    "cifar_cnn": ("cnn", 1892992, 276266),
    "width_64": ("width", 21120, 21258),
    "width_128": ("width", 50432, 50698),
    "width_256": ("width", 133632, 134154),
    "width_512": ("width", 398336, 399370),
    "width_1024": ("width", 1320960, 1323018),
}
SMOKE_MODEL = "mlp_64_32_10"
# Batch proving (make_models.py's BATCH_* constants; check_catalog() compares).
BATCH_MODEL, BATCH_BASE, BATCH_SIZES = "mlp_1024x3_batch", "mlp_1024x3", (1, 16, 64)
BATCH_TOKEN = "batch"  # in --models: the batch-proving section


def select(spec: str) -> list[str]:
    """'all', or a comma list of model names and groups (mlp, cnn, width); the token 'batch'
    (the batch-proving section, see wants_batch) selects no model."""
    if spec == "all":
        return list(CATALOG)
    out: list[str] = []
    for tok in (t.strip() for t in spec.split(",") if t.strip()):
        if tok == BATCH_TOKEN:
            continue
        names = [n for n, (g, _, _) in CATALOG.items() if g == tok] or ([tok] if tok in CATALOG else [])
        if not names:
            raise SystemExit(
                f"unknown model or group '{tok}'; models: {', '.join(CATALOG)}; groups: mlp, cnn, width; "
                f"'{BATCH_TOKEN}': batch proving"
            )
        out += [n for n in names if n not in out]
    return out


def wants_batch(spec: str) -> bool:
    """Whether --models asks for the batch-proving section: in a full run, or named as 'batch'."""
    return spec == "all" or BATCH_TOKEN in (t.strip() for t in spec.split(","))


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError as e:
        raise SystemExit(f"--batch-sizes: {e}") from e
    if not sizes or any(b < 1 for b in sizes):
        raise SystemExit(f"--batch-sizes: positive integers expected, got '{text}'")
    return list(dict.fromkeys(sizes))


def ensure_model(name: str) -> tuple[pathlib.Path, str | None]:
    """The model's folder; generated (deterministically) when a file is missing."""
    d = HERE / "models" / name
    if all((d / f).exists() for f in ("network.onnx", "input.json", "calibration.json")):
        return d, None
    try:
        import make_models
    except ImportError as e:
        return d, f"model files missing and make_models.py cannot run ({e}); run bench/setup.sh"
    make_models.write(name)
    return d, None


def ensure_batch_model(sizes: list[int]) -> tuple[pathlib.Path, str | None]:
    """The batched model's folder with its input and calibration files for every batch size;
    generated (deterministically) when a file is missing."""
    d = HERE / "models" / BATCH_MODEL
    if (d / "network.onnx").exists() and all(f.exists() for b in sizes for f in batch_files(d, b)):
        return d, None
    try:
        import make_models
    except ImportError as e:
        return d, f"model files missing and make_models.py cannot run ({e}); run bench/setup.sh"
    make_models.write_batch(tuple(sizes))
    return d, None


def check_catalog() -> None:
    """Fails loudly if CATALOG drifted from make_models.py (only when numpy/onnx are present)."""
    try:
        import make_models
    except ImportError:
        return
    for name, (group, macs, params) in CATALOG.items():
        spec = make_models.MODELS.get(name)
        got = make_models.macs_and_params(name) if spec else None
        if spec is None or spec.group != group or got != (macs, params):
            raise SystemExit(f"CATALOG entry {name} disagrees with make_models.py: {got}")
    batch = (make_models.BATCH_MODEL, make_models.BATCH_BASE, tuple(make_models.BATCH_SIZES))
    if batch != (BATCH_MODEL, BATCH_BASE, BATCH_SIZES):
        raise SystemExit(f"BATCH_* constants disagree with make_models.py: {batch}")


def _version(pkg: str) -> str | None:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return None


def _ezkl_version(python: str) -> str | None:
    try:
        r = subprocess.run(
            [python, "-c", "import importlib.metadata as m; print(m.version('ezkl'))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None


def _cpu() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _git_rev() -> str | None:
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (rev + ("+dirty" if dirty else "")) or None


def _lucid_version(lucid: str) -> str | None:
    if not pathlib.Path(lucid).exists():
        return None
    try:
        r = subprocess.run([lucid, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None


def _ratio(a, b) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def fit_slope(points: list[tuple[float, float]]) -> dict | None:
    """Least-squares slope of log(y) on log(x)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x and y and x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return {"slope": slope, "intercept": my - slope * mx, "points": len(pts)}


def bench_model(name: str, args, runner: Runner, work: pathlib.Path) -> dict:
    group, macs, params = CATALOG[name]
    entry: dict = {"group": group, "macs": macs, "params": params, "loadavg_before": _loadavg()}
    model_dir, missing = ensure_model(name)
    if missing:
        entry["error"] = missing
        return entry
    print(f"[{name}] onnxruntime", flush=True)
    entry["onnxruntime"] = run_onnxruntime(model_dir)
    ref = entry["onnxruntime"].get("outputs")

    if args.no_lucid:
        entry["lucid"] = {"skipped": "--no-lucid"}
    else:
        print(f"[{name}] lucid", flush=True)
        entry["lucid"] = run_lucid(
            runner,
            args.lucid,
            model_dir,
            work / name / "lucid",
            input_visibility=args.input_visibility,
            repeat=args.repeat,
            zk=not args.no_zk,
        )
        entry["lucid"]["accuracy"] = accuracy(ref, entry["lucid"].get("outputs"))
        _say(name, "lucid", entry["lucid"])
        if "zk" in entry["lucid"]:
            _say(name, "lucid --zk", entry["lucid"]["zk"])

    ezkl_models = select(args.ezkl_models) if args.ezkl_models else None
    if args.no_ezkl:
        entry["ezkl"] = {"skipped": "--no-ezkl"}
    elif ezkl_models is not None and name not in ezkl_models:
        entry["ezkl"] = {"skipped": "not in --ezkl-models"}
    else:
        print(f"[{name}] ezkl (may take minutes)", flush=True)
        entry["ezkl"] = run_ezkl(
            runner,
            model_dir,
            work / name / "ezkl",
            work / "srs",
            python=args.python,
            input_visibility=args.input_visibility,
            target=args.ezkl_target,
            repeat=args.repeat,
            keep_keys=args.keep_keys,
        )
        entry["ezkl"]["accuracy"] = accuracy(ref, entry["ezkl"].get("outputs"))
        _say(name, "ezkl", entry["ezkl"])

    if "skipped" in entry["ezkl"]:
        # The last --ezkl-from file holding a successful EZKL run of this model wins.
        for file_name, earlier in reversed(args.ezkl_from_runs):
            prev = _get_ezkl(earlier, name)
            if prev is not None:
                entry["ezkl"] = {
                    **prev,
                    "reused_from": file_name,
                    "reused_run": (earlier.get("meta") or {}).get("started_utc"),
                    "reused_loadavg": ((earlier.get("models") or {}).get(name) or {}).get("loadavg_before"),
                }
                entry["ezkl"]["accuracy"] = accuracy(ref, prev.get("outputs"))
                break

    lu, ez = entry.get("lucid") or {}, entry.get("ezkl") or {}
    entry["ratios"] = {
        "prove": _ratio(lu.get("prove_s"), ez.get("prove_s")),
        "verify": _ratio(lu.get("verify_s"), ez.get("verify_s")),
        "setup": _ratio(lu.get("setup_s"), ez.get("setup_s")),
        "proof_bytes": _ratio(
            (lu.get("sizes") or {}).get("proof_bytes"), (ez.get("sizes") or {}).get("proof_bytes")
        ),
        "prove_peak_rss": _ratio(
            (lu.get("peak_rss_kib") or {}).get("prove"), (ez.get("peak_rss_kib") or {}).get("prove")
        ),
    }
    zk = lu.get("zk") or {}
    if zk.get("ok"):
        entry["ratios"]["zk_over_plain"] = _ratio(zk.get("prove_s"), lu.get("prove_s"))
        entry["ratios"]["zk_prove"] = _ratio(zk.get("prove_s"), ez.get("prove_s"))
    entry["lucid_prove_over_onnxruntime"] = _ratio(
        lu.get("prove_s"), (entry["onnxruntime"] or {}).get("median_s")
    )
    return entry


def _get_ezkl(run: dict, name: str) -> dict | None:
    """A model's successful EZKL figures from an earlier results file, if any."""
    prev = ((run.get("models") or {}).get(name) or {}).get("ezkl") or {}
    return prev if prev.get("ok") else None


def _say(name: str, tool: str, r: dict) -> None:
    if r.get("ok"):
        acc = r.get("accuracy") or {}
        print(
            f"[{name}] {tool}: prove {r.get('prove_s', 0):.3f} s, verify {r.get('verify_s', 0):.3f} s, "
            f"proof {(r.get('sizes') or {}).get('proof_bytes')} B, max abs err {acc.get('max_abs_err')}",
            flush=True,
        )
    else:
        print(f"[{name}] {tool}: FAILED: {r.get('error')}", flush=True)


def bench_batch(args, runner: Runner, work: pathlib.Path, models: dict) -> dict:
    """Batch proving of BATCH_BASE (harness/batch.py) for every size in --batch-sizes."""
    _, macs, params = CATALOG[BATCH_BASE]
    result: dict = {
        "model": BATCH_MODEL,
        "base_model": BATCH_BASE,
        "macs_per_sample": macs,
        "params": params,
        "sizes": args.batch_sizes,
        "calibration": f"{BATCH_BASE}'s calibration samples repeated to a whole number of batches"
        " (calibration_b<B>.json): the same per-tensor min/max, hence the same quantization, as"
        f" {BATCH_BASE}",
    }
    model_dir, missing = ensure_batch_model(args.batch_sizes)
    if missing:
        result["error"] = missing
        return result
    # Sample 0 of every batch is the single-input model's input: its outputs must agree.
    base = (models.get(BATCH_BASE) or {}).get("onnxruntime") or {}
    if not base.get("ok"):
        base_dir, base_missing = ensure_model(BATCH_BASE)
        base = {} if base_missing else run_onnxruntime(base_dir, min_runs=1, max_runs=1)
    result["runs"] = run_batch(
        runner,
        None if args.no_lucid else args.lucid,
        model_dir,
        work / BATCH_MODEL,
        args.batch_sizes,
        repeat=args.repeat,
        zk=not args.no_zk,
        input_visibility=args.input_visibility,
        base_reference=(base.get("outputs") or [None])[0],
    )
    return result


def scaling(models: dict) -> dict:
    points = []
    for name, m in models.items():
        if m.get("group") != "width":
            continue
        lu, ez = m.get("lucid") or {}, m.get("ezkl") or {}
        points.append(
            {
                "model": name,
                "macs": m["macs"],
                "lucid_prove_s": lu.get("prove_s"),
                "ezkl_prove_s": ez.get("prove_s"),
                "ratio": _ratio(lu.get("prove_s"), ez.get("prove_s")),
            }
        )

    def top3(key: str) -> list[tuple[float, float]]:
        measured = sorted((p["macs"], p[key]) for p in points if p.get(key))
        return measured[-3:] if len(measured) > 3 else []

    return {
        "points": points,
        "lucid_fit": fit_slope([(p["macs"], p["lucid_prove_s"]) for p in points]),
        "ezkl_fit": fit_slope([(p["macs"], p["ezkl_prove_s"]) for p in points]),
        # Fixed costs dominate small models: the slope over the three largest shows the trend.
        "lucid_fit_top3": fit_slope(top3("lucid_prove_s")),
        "ezkl_fit_top3": fit_slope(top3("ezkl_prove_s")),
    }


def main() -> int:
    default_python = HERE / ".venv" / "bin" / "python"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="all", help="'all' or a comma list of names/groups (mlp, cnn, width)")
    ap.add_argument(
        "--ezkl-models",
        default=None,
        help="run EZKL only on these (names/groups); default: every selected model",
    )
    ap.add_argument("--smoke", action="store_true", help=f"only {SMOKE_MODEL}, Lucid only, no docs update")
    ap.add_argument("--lucid", default=str(REPO / "target" / "release" / "lucid"), help="the lucid binary")
    ap.add_argument(
        "--python",
        default=str(default_python if default_python.exists() else sys.executable),
        help="Python with ezkl installed (runs the EZKL steps)",
    )
    ap.add_argument("--no-ezkl", action="store_true")
    ap.add_argument(
        "--ezkl-from",
        type=pathlib.Path,
        action="append",
        default=[],
        help="an earlier results file (repeatable; the last holding a model wins): where EZKL does not "
        "run now, reuse its EZKL figures (marked as reused, with that run's date)",
    )
    ap.add_argument("--no-lucid", action="store_true")
    ap.add_argument("--no-zk", action="store_true", help="skip Lucid's zero-knowledge prove/verify")
    ap.add_argument(
        "--no-batch",
        action="store_true",
        help=f"skip batch proving (run by default with --models all, or with '{BATCH_TOKEN}' in --models)",
    )
    ap.add_argument(
        "--batch-sizes",
        default=",".join(map(str, BATCH_SIZES)),
        help="batch sizes of the batch-proving section (comma list)",
    )
    ap.add_argument("--ezkl-target", default="resources", choices=["resources", "accuracy"])
    ap.add_argument("--input-visibility", default="private", choices=["private", "public"])
    ap.add_argument("--repeat", type=int, default=1, help="prove+verify repetitions (median kept)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed per step")
    ap.add_argument("--work", type=pathlib.Path, default=None, help="scratch folder (default bench/work)")
    ap.add_argument("--results", type=pathlib.Path, default=HERE / "results")
    ap.add_argument("--docs", type=pathlib.Path, default=REPO / "docs" / "BENCHMARKS.md")
    ap.add_argument("--no-docs", action="store_true", help="do not touch docs/BENCHMARKS.md")
    ap.add_argument(
        "--render",
        type=pathlib.Path,
        default=None,
        help="only re-render docs/BENCHMARKS.md from this results file (no measurement)",
    )
    ap.add_argument("--keep-keys", action="store_true", help="keep EZKL's proving keys in the work folder")
    args = ap.parse_args()
    args.lucid = str(pathlib.Path(args.lucid).resolve()) if pathlib.Path(args.lucid).exists() else args.lucid
    check_catalog()
    if args.render:
        run = json.loads(args.render.read_text())
        run["scaling"] = scaling(run["models"])
        section = render(run)
        if not args.no_docs:
            update_docs(args.docs, section)
            print(f"updated {args.docs}")
        print(section)
        return 0
    args.ezkl_from_runs = []
    for path in args.ezkl_from:
        try:
            earlier = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise SystemExit(f"--ezkl-from {path}: {e}") from e
        try:
            shown = str(path.resolve().relative_to(REPO))
        except ValueError:
            shown = str(path)
        args.ezkl_from_runs.append((shown, earlier))

    tmp = None
    if args.smoke:
        args.models, args.no_ezkl, args.no_docs, args.no_batch = SMOKE_MODEL, True, True, True
        if args.work is None:
            tmp = tempfile.TemporaryDirectory(prefix="lucid-bench-smoke-")
            args.work = pathlib.Path(tmp.name)
            args.results = args.work
    work = (args.work or HERE / "work").resolve()
    names = select(args.models)
    batch = wants_batch(args.models) and not args.no_batch
    args.batch_sizes = parse_sizes(args.batch_sizes)
    started = dt.datetime.now(dt.timezone.utc)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    runner = Runner(work / "logs" / stamp, args.timeout)
    meta = {
        "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(shlex.quote(a) for a in ["bench/run.py", *sys.argv[1:]]),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "loadavg_start": _loadavg(),
        "git_rev": _git_rev(),
        "lucid_binary": args.lucid,
        "lucid_version": _lucid_version(args.lucid),
        "python": platform.python_version(),
        "versions": {
            "ezkl": None if args.no_ezkl else _ezkl_version(args.python),
            "onnxruntime": _version("onnxruntime"),
            "onnx": _version("onnx"),
            "numpy": _version("numpy"),
        },
        "memory_source": runner.memory_source,
        "ezkl_target": args.ezkl_target,
        "input_visibility": args.input_visibility,
        "repeat": args.repeat,
        "batch_sizes": args.batch_sizes if batch else None,
    }
    if args.ezkl_from_runs and not meta["versions"]["ezkl"]:
        reused = {(r.get("meta") or {}).get("versions", {}).get("ezkl") for _, r in args.ezkl_from_runs}
        reused.discard(None)
        meta["versions"]["ezkl"] = f"{', '.join(sorted(reused))} (reused figures)" if reused else None
    sizes_txt = ", ".join(map(str, args.batch_sizes))
    shown = ", ".join(names + ([f"batch proving (B = {sizes_txt})"] if batch else []))
    print(f"models: {shown}; work folder {work}; memory via {runner.memory_source}", flush=True)
    models = {name: bench_model(name, args, runner, work) for name in names}
    batch_result = bench_batch(args, runner, work, models) if batch else None
    meta["loadavg_end"] = _loadavg()
    meta["finished_utc"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run = {"meta": meta, "models": models, "scaling": scaling(models)}
    if batch_result is not None:
        run["batch"] = batch_result

    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{stamp}.json"
    try:
        meta["results_file"] = str(out.relative_to(REPO))
    except ValueError:
        meta["results_file"] = str(out)
    out.write_text(json.dumps(run, indent=1) + "\n")
    print(f"wrote {out}")
    section = render(run)
    if not args.no_docs:
        update_docs(args.docs, section)
        print(f"updated {args.docs}")
    print()
    print(section)

    if args.smoke:
        lucid = models[SMOKE_MODEL].get("lucid") or {}
        if tmp is not None:
            tmp.cleanup()
        if not lucid.get("ok"):
            print(f"smoke: Lucid failed: {lucid.get('error')}", file=sys.stderr)
            return 1
        zk = lucid.get("zk")
        if zk is not None and not zk.get("ok"):
            print(f"smoke: Lucid zero-knowledge mode failed: {zk.get('error')}", file=sys.stderr)
            return 1
        print(
            "smoke: Lucid compiled, proved and verified",
            SMOKE_MODEL,
            "(plain and zero-knowledge)" if zk else "",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
