"""Post-release verification (issue 18): koomy §6 "Vérifications post-release: API, Auth, Paiements, Logs", luneo
"Health Checks" (`curl https://luneo.app/api/health`), mbayar "Smoke Test".

    python scripts/health_check.py --stack production [--sha SHA] [--attempts 3] [--interval 10]

Runs the `healthChecks` Pulumi.yaml declares for the stack's environment (a path on its `domain`, or a URL): each
must answer the expected status, contain the expected body when one is declared, within its timeout. The deploy
workflow runs it after that environment's `up`; on a failure it exits 1 (the job fails, the chain stops there)
and prints the rollback: the previous production deployment of the environment's Vercel project, and `git revert`
of the commit for the topology. It never prints a response body (it could hold anything).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python scripts/health_check.py` without the editable install
    sys.path.insert(0, str(ROOT))

from topology.model import NAMESPACE, decode  # noqa: E402
from topology.project import read_topology, stack_config  # noqa: E402
from topology.seed_rules import HealthCheck  # noqa: E402


@dataclass(frozen=True)
class Answer:
    """What one GET gave: a status and body, or the error that stood in for them (timeout, refused)."""

    status: int | None = None
    body: str = ""
    error: str | None = None


def judge(check: HealthCheck, url: str, answer: Answer) -> str | None:
    """Why the answer fails the check, or None. Names the URL and what differed, never the body."""
    if answer.error is not None:
        return f"{url}: {answer.error}"
    if answer.status != check.status:
        return f"{url}: answered {answer.status}, expected {check.status}"
    if check.body is not None and check.body not in answer.body:
        return f"{url}: the body does not contain {check.body!r}"
    return None


def fetch(url: str, timeout: float) -> Answer:
    request = urllib.request.Request(url, headers={"User-Agent": "release-topology-health-check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - declared http(s) URLs only
            return Answer(response.status, response.read(1 << 20).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(1 << 20).decode("utf-8", "replace"))
    except (TimeoutError, OSError) as error:  # URLError is an OSError; socket.timeout is TimeoutError
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return Answer(error=f"no answer within {timeout:g} s")
        return Answer(error=f"unreachable ({reason})")


def rollback(stack: str, project: str | None, team: str | None, sha: str | None) -> list[str]:
    """What to run to go back (Vercel CLI `vercel rollback`, https://vercel.com/docs/cli/rollback)."""
    lines = []
    if project:
        scope = f" --scope {team}" if team else ""
        lines += [f"the app: put the previous production deployment of Vercel project '{project}' back:",
                  f"  vercel link --yes --project {project}{scope} && vercel rollback --yes{scope}"]
    lines += ["the topology (this commit's release policy): revert it and let the deploy run again:",
              f"  git revert {sha or '<commit>'} && open a pull request (the same chain deploys the revert)",
              f"then check again: python scripts/health_check.py --stack {stack}"]
    return lines


def run(stack: str, *, root: Path = ROOT, sha: str | None = None, attempts: int = 3, interval: float = 10.0,
        get: Callable[[str, float], Answer] = fetch, sleep: Callable[[float], None] = time.sleep,
        out=print) -> int:
    topology = read_topology(root / "Pulumi.yaml")
    values, _ = stack_config(stack, root)
    setting = lambda key: decode(values.get(f"{NAMESPACE}:{key}"))  # noqa: E731
    domain, project, team = setting("domain"), setting("vercelProject"), setting("vercelTeam")
    checks = [c for c in topology.health_checks if c.applies(stack)]
    if not checks:
        out(f"{stack}: no health checks declared (Pulumi.yaml healthChecks)")
        return 0
    failures: list[str] = []
    for check in checks:
        url = check.target(domain)
        if url is None:
            failures.append(f"{check.path}: the stack declares no domain")
            continue
        for attempt in range(1, attempts + 1):
            problem = judge(check, url, get(url, check.timeout))
            if problem is None or attempt == attempts:
                break
            sleep(interval)
        if problem:
            failures.append(problem)
        else:
            out(f"ok   {url} ({check.status})")
    if not failures:
        return 0
    for failure in failures:
        out(f"::error title=Health check failed ({stack})::{failure}")
    out(f"{stack}: {len(failures)} health check(s) failed after the deploy of {sha or 'this commit'}. Roll back:")
    for line in rollback(stack, project, team, sha):
        out(line)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/health_check.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--sha")
    parser.add_argument("--attempts", type=int, default=3, help="tries per check (the deployment may still be rolling out)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between tries")
    args = parser.parse_args(argv)
    return run(args.stack, sha=args.sha, attempts=max(1, args.attempts), interval=args.interval)


if __name__ == "__main__":
    sys.exit(main())
