"""Run every bench/bench_*.py in turn with its default arguments and print what each reports.

    .venv/bin/python bench/run_all.py [--only forms,calendar] [--timeout 1800]

Each benchmark runs in its own process (a fresh Django setup and its own database settings),
so one failing or hanging benchmark does not stop the others; the exit status is non-zero if
any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def scripts(only: set[str]) -> list[Path]:
    found = sorted(BENCH.glob("bench_*.py"))
    if only:
        found = [p for p in found if p.stem.removeprefix("bench_") in only or p.stem in only]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated names, e.g. forms,calendar")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    selected = scripts(only)
    if not selected:
        print("no benchmark matched", file=sys.stderr)
        return 2
    summary: list[tuple[str, str, float]] = []
    for script in selected:
        print(f"\n===== {script.name} =====", flush=True)
        started = time.perf_counter()
        try:
            rc = subprocess.run(
                [sys.executable, str(script)], cwd=BENCH.parent, timeout=args.timeout, check=False
            ).returncode
            outcome = "ok" if rc == 0 else f"failed (exit {rc})"
        except subprocess.TimeoutExpired:
            outcome = f"timed out after {args.timeout:.0f} s"
        summary.append((script.name, outcome, time.perf_counter() - started))
    print("\n===== summary =====")
    for name, outcome, seconds in summary:
        print(f"{name:<24} {outcome:<24} {seconds:7.1f} s")
    return 0 if all(outcome == "ok" for _n, outcome, _s in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
