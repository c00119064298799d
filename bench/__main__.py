"""Run the benchmarks: `python -m bench` runs all, `python -m bench labels rollups` some."""

import importlib
import subprocess
import sys
import time

ALL = ["returns_api", "labels", "rollups", "refunds"]


def main(argv: list[str]) -> int:
    names = argv or ALL
    if len(names) > 1:
        # each benchmark configures Django for its own scratch database: one process each
        failed = [
            name
            for name in names
            if subprocess.run([sys.executable, "-m", "bench", name], check=False).returncode
        ]
        if failed:
            print(f"[bench] failed: {', '.join(failed)}", flush=True)
        return 1 if failed else 0
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            print(f"[bench] {name}: not present, skipped")
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        start = time.perf_counter()
        module.main()
        print(f"[bench] {name} took {time.perf_counter() - start:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
