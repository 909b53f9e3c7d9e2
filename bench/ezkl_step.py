"""Run ONE step of EZKL's pipeline through its Python API, in its own process.

bench/run.py starts this script once per step under `/usr/bin/time -v`, so each step's peak memory
is measured on its own. The step's own duration (the API call only, without interpreter start-up
and imports) is written as JSON to the file named by --timing.

Steps and their arguments (paths):
  noop                                    import ezkl and exit (memory baseline)
  gen-settings  MODEL SETTINGS  --input-visibility V --output-visibility V --param-visibility V
  calibrate     DATA MODEL SETTINGS --target resources|accuracy
  compile       MODEL COMPILED SETTINGS
  gen-srs       SRS LOGROWS              local SRS generation (no download)
  setup         COMPILED VK PK SRS
  gen-witness   DATA COMPILED WITNESS VK SRS
  prove         WITNESS COMPILED PK PROOF SRS
  verify        PROOF SETTINGS VK SRS
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import sys
import time


def call(fn, *args, **kwargs):
    """Calls an EZKL API function; some versions return awaitables."""
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return result


async def _await(awaitable):
    return await awaitable


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("step")
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--timing", required=True, help="where to write {'seconds': ..., 'ok': ...}")
    ap.add_argument("--input-visibility", default="private")
    ap.add_argument("--output-visibility", default="public")
    ap.add_argument("--param-visibility", default="fixed")
    ap.add_argument("--target", default="resources")
    args = ap.parse_args()

    import ezkl  # imported here so that argument errors do not pay for it

    p = args.paths
    steps = {
        "noop": lambda: True,
        "gen-settings": lambda: call(ezkl.gen_settings, p[0], p[1], py_run_args=_run_args(ezkl, args)),
        "calibrate": lambda: call(ezkl.calibrate_settings, p[0], p[1], p[2], args.target),
        "compile": lambda: call(ezkl.compile_circuit, p[0], p[1], p[2]),
        "gen-srs": lambda: call(ezkl.gen_srs, p[0], int(p[1])),
        "setup": lambda: call(ezkl.setup, p[0], p[1], p[2], p[3]),
        "gen-witness": lambda: call(ezkl.gen_witness, p[0], p[1], p[2], p[3], p[4]),
        "prove": lambda: call(ezkl.prove, p[0], p[1], p[2], p[3], p[4]),
        "verify": lambda: call(ezkl.verify, p[0], p[1], p[2], p[3]),
    }
    if args.step not in steps:
        ap.error(f"unknown step {args.step}; known: {list(steps)}")
    start = time.perf_counter()
    ok, error = True, None
    try:
        result = steps[args.step]()
        # Most steps return a bool; gen_witness returns the witness, prove the proof.
        if result is False:
            ok, error = False, f"ezkl.{args.step} returned False"
    except Exception as e:  # EZKL raises plain exceptions for every failure
        ok, error = False, f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - start
    with open(args.timing, "w") as f:
        json.dump({"step": args.step, "seconds": seconds, "ok": ok, "error": error}, f)
    if not ok:
        print(error, file=sys.stderr)
        return 1
    return 0


def _run_args(ezkl, args):
    r = ezkl.PyRunArgs()
    r.input_visibility = args.input_visibility
    r.output_visibility = args.output_visibility
    r.param_visibility = args.param_visibility
    return r


if __name__ == "__main__":
    sys.exit(main())
