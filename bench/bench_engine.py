"""Benchmark: real-engine `pulumi preview` of each stack against an empty program (the fixed cost).

    make bench-engine      (needs the engine: `make engine`; prints figures, asserts nothing)

Both are previewed in the same run, on a file backend in a temp dir, through the Automation API
as scripts/pulumi_run.py does, without the policy pack. On a machine without the provider
plugins (docs/engine.md) a stack's preview ends at the first provider resource: its figure then
covers config validation and the component registrations only, and is labelled so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from pulumi_run import copy_project  # noqa: E402

EMPTY = "import pulumi\npulumi.export('ok', True)\n"


def preview(project: Path, stack: str, env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(project / "scripts" / "pulumi_run.py"), "preview", "--stack", stack,
                             "--policy-pack", ""], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - start, result.returncode, result.stdout + result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "state").mkdir()
        env = dict(os.environ, PULUMI_BACKEND_URL=f"file://{tmp_path / 'state'}",
                   PULUMI_CONFIG_PASSPHRASE=os.environ.get("PULUMI_CONFIG_PASSPHRASE") or "release-topology-demo",
                   PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
        ours = copy_project(tmp_path / "ours")
        empty = copy_project(tmp_path / "empty", EMPTY)
        rows = []
        for stack in ("staging", "production"):
            preview(ours, stack, env)  # warm-up: stack creation, bytecode caches
            preview(empty, stack, env)
            ours_t, empty_t, complete = [], [], True
            for _ in range(args.repeat):
                seconds, code, out = preview(empty, stack, env)
                assert code == 0, out
                empty_t.append(seconds)
                seconds, code, out = preview(ours, stack, env)
                complete = complete and code == 0
                if code != 0 and "no resource plugin" not in out:
                    raise SystemExit(f"preview of {stack} failed for another reason:\n{out[-2000:]}")
                ours_t.append(seconds)
            rows.append((stack, statistics.median(ours_t), statistics.median(empty_t), complete))
    print(f"real-engine preview, median of {args.repeat} (pulumi CLI + Automation API, file backend, no policy pack)")
    print(f"{'stack':<12} {'program s':>9} {'empty s':>8} {'ratio':>6}  note")
    for stack, ours_s, empty_s, complete in rows:
        note = "full preview" if complete else "ends at the first provider resource: provider plugins missing (docs/engine.md)"
        print(f"{stack:<12} {ours_s:>9.2f} {empty_s:>8.2f} {ours_s / empty_s:>6.2f}  {note}")


if __name__ == "__main__":
    main()
