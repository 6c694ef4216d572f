"""The local doubles started as the topology declares GitHub and Vercel, and the environment that points
the CLI, its provider plugins and the audit at them."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from doubles.github import GitHubDouble
from doubles.vercel import VercelDouble
from topology.model import NAMESPACE, Topology, decode
from topology.project import read_topology, stack_config

GITHUB_TOKEN = "github-double-token"


def advisory_window(folder: Path) -> tuple[Path, dict[str, str]]:
    """A rehearsal judges no real update, whatever the day: the deploy window is advisory for the policy pack
    (a policy config, written in `folder`) and for the program (RELEASE_DEPLOY_WINDOW, which the program
    refuses unless GitHub is the local double). Returns the policy config's path and the program's knob."""
    policy_config = folder / "policy-config.json"
    policy_config.write_text(json.dumps({"deploy-window": "advisory"}))
    return policy_config, {"RELEASE_DEPLOY_WINDOW": "advisory"}


@dataclass
class Doubles:
    github: GitHubDouble
    vercel: VercelDouble

    def env(self) -> dict[str, str]:
        """What the CLI needs to reach them: the github provider's base URL (GHES mode on loopback), and the
        Vercel provider's hard-coded https://api.vercel.com through the double's CONNECT proxy and test CA.
        The write delay is 0: GitHub's 1 s pacing protects GitHub, not a double. NO_PROXY keeps loopback off
        the proxy: Go never proxies loopback, but Python's gRPC (the program and the pack talking to the
        engine on 127.0.0.1) does unless told."""
        loopback = "127.0.0.1,localhost,::1"
        return {
            "GITHUB_BASE_URL": self.github.base_url,
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "RELEASE_GITHUB_WRITE_DELAY_MS": "0",
            **self.vercel.provider_env(),
            "NO_PROXY": loopback,
            "no_proxy": loopback,
        }

    def calls(self) -> list[str]:
        """Every REST call the doubles answered, as `status METHOD path` (no query, no body, no value)."""
        lines = [f"{r['status']}  {r['method']:6} {r['path']}" for r in self.github.store.requests()
                 if not r["path"].startswith("/_double")]
        lines += [f"{r['status']}  {r['method']:6} api.vercel.com{r['path']}" for r in self.vercel.store.requests()
                  if not r["path"].startswith("/_double")]
        return lines


def github_settings(topology: Topology, stacks: Sequence[str], root: Path) -> dict:
    """The GitHub double as the topology declares GitHub: plan, visibility, owner, repository, and every
    stack's declared reviewers as existing accounts (GitHub refuses unknown reviewer ids)."""
    users: dict[str, int] = {}
    for stack in stacks:
        values, _secure = stack_config(stack, root)
        for reviewer in decode(values.get(f"{NAMESPACE}:reviewers")) or []:
            if isinstance(reviewer, dict) and "id" in reviewer:
                users.setdefault(reviewer["handle"], int(reviewer["id"]))
    plans = topology.plans
    return dict(owner=topology.owner, repo=topology.repository, users=users,
                plan=plans.github.value, visibility=plans.visibility.value,
                owner_type="User" if plans.account.value == "personal" else "Organization")


def vercel_settings(topology: Topology, stacks: Sequence[str], root: Path) -> dict:
    """The Vercel double as the topology declares Vercel: its plan, whether the repository's owner is a
    GitHub organisation (Hobby refuses to link its repositories), and the team the stacks name, if any."""
    teams = []
    for stack in stacks:
        values, _secure = stack_config(stack, root)
        team = decode(values.get(f"{NAMESPACE}:vercelTeam"))
        if isinstance(team, str) and team not in teams:
            teams.append(team)
    if len(teams) > 1:
        raise SystemExit(f"the Vercel double serves one team; the stacks name {teams}")
    organisation = topology.plans.account.value == "organization"
    return dict(plan=topology.plans.vercel.value if topology.plans.vercel else "pro",
                team_id=teams[0] if teams else None, org_owners=(topology.owner,) if organisation else ())


@contextlib.contextmanager
def started(root: Path, stacks: Sequence[str] | None = None) -> Iterator[Doubles]:
    """Fresh doubles for the project at `root`, stopped (threads, ports, CA file) on exit."""
    topology = read_topology(root / "Pulumi.yaml", strict=False)
    names = list(stacks) if stacks else [env.name for env in topology.environments]
    with GitHubDouble(**github_settings(topology, names, root)) as github, \
            VercelDouble(**vercel_settings(topology, names, root)) as vercel:
        yield Doubles(github, vercel)
