"""Run the benchmarks: `python -m bench` runs all, `python -m bench labels rollups` some."""

import importlib
import sys
import time

ALL = ["returns_api", "labels", "rollups", "refunds"]


def main(argv: list[str]) -> int:
    names = argv or ALL
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
