"""Recorded scenarios (tests/audit/recorded/, made by record_fixtures.py) turned into what `conclude` takes.

The engine events go through the SDK's own parser (`EngineEvent.from_json`), as they do live; the
GitHub answers are served to the audit's real client by a fake transport.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any, Mapping

from pulumi.automation.events import EngineEvent

from audit import listings
from audit.conclude import Collected, conclude
from audit.events import EngineRun, read_events
from audit.model import StackAudit
from audit.run import last_update_of
from audit.rest import JsonClient
from audit.state import inventory
from topology.project import read_topology

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"
ROOT = HERE.parents[1]
API = "http://127.0.0.1:1/api/v3"


def load(name: str) -> dict:
    return json.loads((RECORDED / f"{name}.json").read_text())


def topology():
    return read_topology(ROOT / "Pulumi.yaml")


def engine_run(recorded: Mapping[str, Any]) -> EngineRun:
    events = [EngineEvent.from_json(e) for e in recorded["events"]]
    return read_events(events, recorded.get("command_error"))


def _canonical(url_tail: str) -> tuple[str, tuple]:
    path, _, query = url_tail.partition("?")
    return path, tuple(sorted(urllib.parse.parse_qsl(query)))


class RecordedFetch:
    """Serves recorded answers by path and query (in any order); unknown requests answer 404."""

    def __init__(self, answers: Mapping[str, Mapping[str, Any]], root: str = API):
        self.root = root
        self.answers = {_canonical(k): v for k, v in answers.items()}
        self.seen: list[str] = []

    def __call__(self, request, timeout):
        tail = request.full_url[len(self.root):]
        self.seen.append(tail)
        answer = self.answers.get(_canonical(tail))
        if answer is None:
            return 404, {}, json.dumps({"message": "Not Found"}).encode()
        headers = {"Link": answer["link"]} if answer.get("link") else {}
        return answer.get("status", 200), headers, json.dumps(answer["body"]).encode()


def github_client(answers: Mapping[str, Any]) -> JsonClient:
    return JsonClient("github", API, "recorded-token", fetch=RecordedFetch(answers))


def collected(data: dict, *, fingerprints: Mapping[str, Any] | None = None) -> tuple[list[Collected], Any]:
    """Collected per stack, and the repository listing, from a recorded scenario."""
    topo = topology()
    client = github_client(data.get("github") or {})
    repo = listings.fetch_repository(client, topo.owner, topo.repository) if data.get("github") else None
    result = []
    for name, rec in data["stacks"].items():
        c = Collected(name, engine=engine_run(rec["engine"]), managed=inventory(rec["export"]),
                      last_update=last_update_of(rec["export"]))
        live = repo.environment(name) if repo else None
        if live is not None:
            c.environment = listings.fetch_environment(client, topo.owner, topo.repository, live)
        if fingerprints and name in fingerprints:
            c.fingerprints = fingerprints[name]
        result.append(c)
    return result, repo


def audits_of(name: str, **kwargs) -> list[StackAudit]:
    data = load(name)
    stacks, repo = collected(data, **kwargs)
    return conclude(stacks, topology(), repo)


def by_stack(audits: list[StackAudit]) -> dict[str, StackAudit]:
    return {a.stack: a for a in audits}


def facts(audit: StackAudit, *, informational: bool = False) -> set[tuple[str, str]]:
    """(class, resource name) of each finding; informational ones only when asked."""
    return {(f.cls.value, f.resource.name) for f in audit.findings if informational or not f.informational}
