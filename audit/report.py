"""The audit's outputs: a versioned JSON document (docs/audit.md) and Markdown rendered from it.

Markdown is rendered from the JSON document, not from live objects, so the drift issues can be
written later from the uploaded report alone.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Iterable, Mapping

from .classify import exit_code
from .model import HIDDEN, FindingClass, Finding, StackAudit

SCHEMA_VERSION = 1
EXIT_MEANING = {0: "clean", 2: "findings", 3: "mandatory policy violation", 4: "incomplete (errors)"}
SHORT = {
    FindingClass.ERROR: "error", FindingClass.POLICY_VIOLATION: "policy", FindingClass.SECRET_TOUCHED: "secret",
    FindingClass.MANAGED_DRIFT: "drift", FindingClass.UNMANAGED_ADDITION: "unmanaged",
    FindingClass.ISOLATION: "isolation", FindingClass.PENDING_CHANGE: "pending",
}


def finding_json(f: Finding) -> dict[str, Any]:
    changes = []
    for c in f.changes:
        item: dict[str, Any] = {"path": c.path, "kind": c.kind, "secret": c.secret}
        if c.before is not HIDDEN:
            item["before"] = c.before
        if c.after is not HIDDEN:
            item["after"] = c.after
        if c.changed_at:
            item["changed_at"] = c.changed_at
        changes.append(item)
    return {
        "id": f.id,
        "class": f.cls.value,
        "informational": f.informational,
        "level": f.level,
        "stack": f.stack,
        "summary": f.summary,
        "resource": {"urn": f.resource.urn, "type": f.resource.type, "id": f.resource.id, "name": f.resource.name},
        "changes": changes,
        "evidence": [{"source": e.source, "detail": e.detail, "observed_at": e.observed_at} for e in f.evidence],
        "fix": f.fix,
    }


def findings_digest(findings: Iterable[Mapping[str, Any]]) -> str:
    """Changes exactly when the set of (non-informational) findings changes: what the issue compares."""
    ids = sorted(f["id"] for f in findings if not f.get("informational"))
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def document(audits: list[StackAudit], run: Mapping[str, Any]) -> dict[str, Any]:
    stacks = []
    by_class = {c.value: 0 for c in FindingClass}
    for a in audits:
        items = [finding_json(f) for f in a.findings]
        for f in a.findings:
            by_class[f.cls.value] += 1
        stacks.append({
            "name": a.stack,
            "status": a.status,
            "complete": a.complete,
            "last_update": None if a.last_update is None else {"end_time": a.last_update.end_time},
            "findings_digest": findings_digest(items),
            "findings": items,
        })
    code = exit_code(audits)
    return {
        "schema_version": SCHEMA_VERSION,
        "classes": [c.value for c in FindingClass],
        "run": dict(run),
        "summary": {"exit_code": code, "meaning": EXIT_MEANING[code], "by_class": by_class,
                    "stacks": {s["name"]: s["status"] for s in stacks}},
        "stacks": stacks,
    }


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def render(doc: Mapping[str, Any], scrub: Callable[[str], str]) -> tuple[str, str]:
    """The JSON and the Markdown, each passed through the run's redactor as the last step."""
    return scrub(to_json(doc)), scrub(markdown(doc))


# --- Markdown ------------------------------------------------------------------------------------------

def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip() or " "


def _changes_text(f: Mapping[str, Any]) -> str:
    parts = []
    for c in f["changes"]:
        if c["secret"]:
            parts.append(f"`{c['path']}` changed at {c.get('changed_at') or 'an unknown time'}")
        elif "before" in c or "after" in c:
            parts.append(f"`{c['path']}`: {json.dumps(c.get('before'))} → {json.dumps(c.get('after'))}")
        else:
            parts.append(f"`{c['path']}` {c['kind']}")
    return "; ".join(parts) or "-"


def _class_tables(findings: list[Mapping[str, Any]], with_stack: bool) -> list[str]:
    lines: list[str] = []
    for cls in FindingClass:
        rows = [f for f in findings if f["class"] == cls.value]
        if not rows:
            continue
        lines += ["", f"### {cls.title} ({len(rows)})", ""]
        head = (["stack"] if with_stack else []) + ["resource", "what", "changed", "fix"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for f in rows:
            level = f" [{f['level']}]" if f.get("level") else ""
            cells = ([f["stack"]] if with_stack else []) + [
                f"`{f['resource']['name']}` ({f['resource']['type']})", f["summary"] + level,
                _changes_text(f), f["fix"]]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _details(findings: list[Mapping[str, Any]]) -> list[str]:
    lines: list[str] = []
    for f in findings:
        r = f["resource"]
        lines += ["", f"<details><summary>{f['stack']} · {f['class']} · {_cell(r['name'])}</summary>", ""]
        lines.append(f"- resource: `{r['urn'] or '-'}`, type `{r['type']}`, id `{r['id'] or '-'}`")
        lines.append(f"- what: {f['summary']}" + (f" [{f['level']}]" if f.get("level") else ""))
        for c in f["changes"]:
            lines.append(f"- changed: {_changes_text({'changes': [c], 'summary': ''})}")
        for e in f["evidence"]:
            when = f" (at {e['observed_at']})" if e.get("observed_at") else ""
            detail = e["detail"].replace("\n", " / ")
            lines.append(f"- evidence ({e['source']}){when}: {detail}")
        lines += [f"- fix: {f['fix']}", "", "</details>"]
    return lines


def _counts_row(stack: Mapping[str, Any]) -> str:
    counts = {c.value: 0 for c in FindingClass}
    for f in stack["findings"]:
        counts[f["class"]] += 1
    return "| " + " | ".join([stack["name"], stack["status"], *(str(counts[c.value] or "") for c in FindingClass)]) + " |"


def markdown(doc: Mapping[str, Any]) -> str:
    summary = doc["summary"]
    lines = [f"# Drift audit: {summary['meaning']} (exit {summary['exit_code']})", "",
             f"Run `{doc['run'].get('id', '-')}` at {doc['run'].get('started_at', '-')}; "
             f"report schema v{doc['schema_version']}.", "",
             "| stack | status | " + " | ".join(SHORT[c] for c in FindingClass) + " |",
             "|" + "---|" * (2 + len(FindingClass))]
    lines += [_counts_row(s) for s in doc["stacks"]]
    findings = [f for s in doc["stacks"] for f in s["findings"]]
    if findings:
        lines += _class_tables(findings, with_stack=True)
        lines += ["", "## Details"] + _details(findings)
    else:
        lines += ["", "No findings."]
    return "\n".join(lines) + "\n"


def stack_markdown(doc: Mapping[str, Any], stack: str) -> str:
    """One stack's part, for its drift issue."""
    entry = next(s for s in doc["stacks"] if s["name"] == stack)
    findings = entry["findings"]
    lines = [f"The drift audit of stack `{stack}` reports **{entry['status']}**"
             f" ({len([f for f in findings if not f['informational']])} findings).", ""]
    lines += _class_tables(findings, with_stack=False)
    lines += ["", "<details><summary>Details</summary>"] + _details(findings) + ["", "</details>"]
    return "\n".join(lines) + "\n"
