"""Run every benchmark module: ``python -m tests.benchmarks [--quick] [NAME ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [a for a in argv if not a.startswith("-")]
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if wanted:
        names = [n for n in names if any(w in n for w in wanted)]
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"tests.benchmarks.{name}")
            for result in mod.run(quick=quick):
                print(result.line(), flush=True)
        except Exception as err:  # report and go on with the other benchmarks
            failed += 1
            print(f"   FAILED: {type(err).__name__}: {err}", flush=True)
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
