"""Lucid's pipeline on one model through its CLI: compile, prove, verify.

  lucid compile DIR/network.onnx -o WORK --calibration DIR/calibration.json
  lucid prove WORK/model.lucid DIR/input.json -o WORK/proof.bin --no-zk   (plain)
  lucid verify WORK/model.vk WORK/proof.bin
  lucid prove WORK/model.lucid DIR/input.json -o WORK/proof.zk.bin --zk   (zero knowledge)
  lucid verify WORK/model.vk WORK/proof.zk.bin

When a command offers `--json` (checked in its --help), its machine-readable output is used;
otherwise the human-readable lines are parsed ("proved in X s", "verified in X ms", the
"outputs:" block of dequantized values). A missing binary or a failing command is recorded, never
raised.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess

from .measure import Runner, Step

_OUTPUT_LINE = re.compile(r"^\s+(?P<name>[^:]+): (?P<shape>\[[^\]]*\]) \[(?P<values>.*)\]\s*$")
_PROVED = re.compile(r"proved in ([0-9.]+) s")
_VERIFIED = re.compile(r"verified in ([0-9.]+) ms")
_SECURITY = re.compile(r"([0-9.]+)[- ]bit", re.IGNORECASE)


def _help(lucid: str, command: str) -> str:
    try:
        r = subprocess.run(
            [lucid, command, "--help"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stdout


def supports_json(lucid: str, command: str) -> bool:
    return "--json" in _help(lucid, command)


def parse_outputs(text: str) -> tuple[list[dict], bool]:
    """Parses the `outputs:` block printed by prove/verify: [{name, shape, values}], truncated?"""
    outputs, truncated, inside = [], False, False
    for line in text.splitlines():
        if line.strip() in ("outputs:", "public outputs:"):
            inside = True
            continue
        if not inside:
            continue
        m = _OUTPUT_LINE.match(line)
        if not m:
            inside = False
            continue
        values = []
        for tok in m.group("values").split(","):
            tok = tok.strip()
            try:
                values.append(float(tok))
            except ValueError:
                truncated = True  # "… (N values)": only the first entries are printed
        shape = [int(x) for x in re.findall(r"\d+", m.group("shape"))]
        outputs.append({"name": m.group("name").strip(), "shape": shape, "values": values})
    return outputs, truncated


def _json_stdout(step: Step) -> dict | None:
    try:
        d = json.loads(step.stdout)
    except json.JSONDecodeError:
        return None
    return d if isinstance(d, dict) else None


def _json_outputs(d: dict) -> list[dict]:
    outs = d.get("outputs") or []
    if isinstance(outs, dict):  # {"name": {"shape": [...], "values": [...]}}
        outs = [{"name": k, **v} for k, v in outs.items()]
    return [
        {"name": o.get("name"), "shape": o.get("shape"), "values": [float(x) for x in o.get("values", [])]}
        for o in outs
    ]


def run_lucid(
    runner: Runner,
    lucid: str,
    model_dir: pathlib.Path,
    work: pathlib.Path,
    *,
    input_visibility: str = "private",
    repeat: int = 1,
    zk: bool = True,
    input_file: pathlib.Path | None = None,
    calibration_file: pathlib.Path | None = None,
) -> dict:
    """Runs compile, prove (repeat times) and verify, then the same in zero-knowledge mode
    (unless `zk` is false); returns a JSON-ready dict.

    The input and calibration files default to the model folder's input.json and
    calibration.json; an explicit `input_file` is also given to compile (`--input`), where it
    fixes the model's symbolic dimensions (a batched model's batch size)."""
    input_path = input_file or model_dir / "input.json"
    calibration_path = calibration_file or model_dir / "calibration.json"
    work.mkdir(parents=True, exist_ok=True)
    artifact, vk, proof = work / "model.lucid", work / "model.vk", work / "proof.bin"
    weights = work / "model.weights"
    for p in (artifact, vk, proof, weights):
        p.unlink(missing_ok=True)
    result: dict = {"ok": False, "steps": {}, "binary": lucid}
    if not pathlib.Path(lucid).exists():
        result["error"] = f"lucid binary not found at {lucid} (build it: cargo build --release -p lucid-cli)"
        return result
    json_ok = {c: supports_json(lucid, c) for c in ("compile", "prove", "verify")}
    result["json_output"] = json_ok

    def cmd(command: str, *args) -> list[str]:
        return [lucid, command, *map(str, args), *(["--json"] if json_ok[command] else [])]

    compile_argv = cmd("compile", model_dir / "network.onnx", "-o", work, "--calibration", calibration_path)
    if input_file is not None:
        compile_argv += ["--input", str(input_file)]
    if input_visibility != "private":
        compile_argv += ["--input-visibility", input_visibility]
    c = runner.run("lucid compile", compile_argv)
    result["steps"]["compile"] = c.to_json()
    if not c.ok:
        result["error"] = f"compile: {c.error}"
        return result
    result["compile_s"] = c.wall_s
    cj = _json_stdout(c) or {}
    digest = cj.get("digest") or next(
        (line.split()[-1] for line in c.stdout.splitlines() if line.startswith("model digest")), None
    )
    result["digest"] = digest
    sec = cj.get("security_bits")
    if sec is None:
        m = _SECURITY.search(c.stdout + c.stderr)
        sec = float(m.group(1)) if m else None
    result["security_bits"] = sec

    no_zk = ["--no-zk"] if "--no-zk" in _help(lucid, "prove") else []
    proves, verifies = [], []
    for i in range(repeat):
        # Zero knowledge is the prover's default (since it has `--no-zk`): this run is the plain one.
        p = runner.run("lucid prove", cmd("prove", artifact, input_path, "-o", proof) + no_zk)
        result["steps"]["prove" if i == 0 else f"prove#{i}"] = p.to_json()
        if not p.ok:
            result["error"] = f"prove: {p.error}"
            return result
        pj = _json_stdout(p)
        if pj is not None:
            p.extra["reported_s"] = pj.get("prove_s")
            outputs, truncated = _json_outputs(pj), False
        else:
            m = _PROVED.search(p.stdout)
            p.extra["reported_s"] = float(m.group(1)) if m else None
            outputs, truncated = parse_outputs(p.stdout)
        result["steps"]["prove" if i == 0 else f"prove#{i}"] = p.to_json()
        proves.append(p)

        v = runner.run("lucid verify", cmd("verify", vk, proof))
        vj = _json_stdout(v)
        if vj is not None:
            v.extra["reported_s"] = vj.get("verify_s")
            if vj.get("verified") is False:
                v.ok, v.error = False, vj.get("error") or "not verified"
        else:
            m = _VERIFIED.search(v.stdout)
            v.extra["reported_s"] = float(m.group(1)) / 1e3 if m else None
            if v.ok and "verified" not in v.stdout:
                v.ok, v.error = False, "verify exited 0 but did not print 'verified'"
        result["steps"]["verify" if i == 0 else f"verify#{i}"] = v.to_json()
        if not v.ok:
            result["error"] = f"verify: {v.error}"
            return result
        verifies.append(v)

    # Wall time of the command (includes reading the artifact/key and writing the proof, as a
    # user sees it); the tool's own figure is kept beside it.
    result["prove_s"] = _median([p.wall_s for p in proves])
    result["prove_reported_s"] = _median([p.extra["reported_s"] for p in proves if p.extra.get("reported_s")])
    result["verify_s"] = _median([v.wall_s for v in verifies])
    result["verify_reported_s"] = _median(
        [v.extra["reported_s"] for v in verifies if v.extra.get("reported_s")]
    )
    result["setup_s"] = result["compile_s"]
    result["peak_rss_kib"] = {
        "compile": c.max_rss_kib,
        "prove": max(p.max_rss_kib or 0 for p in proves),
        "verify": max(v.max_rss_kib or 0 for v in verifies),
    }
    result["sizes"] = {
        "proof_bytes": proof.stat().st_size if proof.exists() else None,
        "artifact_bytes": artifact.stat().st_size if artifact.exists() else None,
        # The weights' committed data kept from compile time (read by prove).
        "weights_bytes": weights.stat().st_size if weights.exists() else None,
        "vk_bytes": vk.stat().st_size if vk.exists() else None,
    }
    result["outputs"] = [o["values"] for o in outputs]
    result["output_names"] = [o["name"] for o in outputs]
    result["outputs_truncated"] = truncated
    result["ok"] = True
    if zk:
        result["zk"] = _run_zk(runner, cmd, artifact, vk, input_path, work, repeat)
    return result


def _run_zk(
    runner: Runner, cmd, artifact, vk, input_path: pathlib.Path, work: pathlib.Path, repeat: int
) -> dict:
    """Proves and verifies the same input in zero-knowledge mode (`prove --zk`): the figures of
    the proof a private-input user wants, against the plain prover's above. A model whose
    operators zero-knowledge mode does not support yet is recorded with the refusal."""
    proof = work / "proof.zk.bin"
    proof.unlink(missing_ok=True)
    zk: dict = {"ok": False, "steps": {}}
    proves, verifies = [], []
    for i in range(repeat):
        p = runner.run("lucid prove --zk", cmd("prove", artifact, input_path, "-o", proof) + ["--zk"])
        zk["steps"]["prove" if i == 0 else f"prove#{i}"] = p.to_json()
        if not p.ok:
            refusal = _one_line(p.stderr) or p.error
            zk["error"] = f"prove --zk: {refusal}"
            zk["unsupported"] = "not yet supported in zero-knowledge mode" in (p.stderr or "")
            return zk
        proves.append(p)
        v = runner.run("lucid verify (zk)", cmd("verify", vk, proof))
        vj = _json_stdout(v)
        if vj is not None and vj.get("verified") is False:
            v.ok, v.error = False, vj.get("error") or "not verified"
        elif vj is None and v.ok and "verified" not in v.stdout:
            v.ok, v.error = False, "verify exited 0 but did not print 'verified'"
        zk["steps"]["verify" if i == 0 else f"verify#{i}"] = v.to_json()
        if not v.ok:
            zk["error"] = f"verify (zk): {v.error}"
            return zk
        verifies.append(v)
    zk["prove_s"] = _median([p.wall_s for p in proves])
    zk["verify_s"] = _median([v.wall_s for v in verifies])
    zk["peak_rss_kib"] = {"prove": max(p.max_rss_kib or 0 for p in proves)}
    zk["sizes"] = {"proof_bytes": proof.stat().st_size if proof.exists() else None}
    zk["ok"] = True
    return zk


def _one_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _median(xs: list[float]) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
