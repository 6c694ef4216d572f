"""The bare repository's proc-receive hook: every ref update of a push is decided by the double.

git-receive-pack hands the commands of a push to the `proc-receive` hook when `receive.procReceiveRefs`
matches them (githooks(5), "proc-receive"). The hook posts them, with the pusher (REMOTE_USER, set by
git-http-backend from our basic auth), to the double's control API; the double checks its rulesets
and moves the refs itself, under its lock. The hook then prints the double's text on stderr (git shows
it as `remote:` lines) and answers `ok <ref>` or `ng <ref> <reason>`, which git shows as
`! [remote rejected] main -> main (<reason>)`: GitHub's own reason is
"push declined due to repository rule violations" (shared/notes/github-flow.md §1, [c1]).

A proc-receive hook (not pre-receive) because only it can set the reason; a pre-receive refusal
always reads "(pre-receive hook declined)".
"""

from __future__ import annotations

import os
from pathlib import Path

RECEIVE_URL_VARIABLE = "GITHUB_DOUBLE_RECEIVE_URL"

_SCRIPT = '''#!{python}
# proc-receive hook of the GitHub double (doubles/github/hooks.py): the double decides every update.
import json, os, sys, urllib.request

def read_packet(stream):
    size = int(stream.read(4), 16)
    return stream.read(size - 4).rstrip(b"\\n") if size else None

def write_packet(stream, text):
    data = text.encode() + b"\\n"
    stream.write(b"%04x" % (len(data) + 4) + data)

source, sink = sys.stdin.buffer, sys.stdout.buffer
while read_packet(source) is not None:  # version and features: we ask for none
    pass
write_packet(sink, "version=1")
sink.write(b"0000")
sink.flush()
updates = []
while (line := read_packet(source)) is not None:
    old, new, ref = line.decode().split(" ", 2)
    updates.append({{"old": old, "new": new, "ref": ref}})
request = urllib.request.Request(
    os.environ["{variable}"], method="POST",
    data=json.dumps({{"actor": os.environ.get("REMOTE_USER", ""), "updates": updates}}).encode(),
    headers={{"Content-Type": "application/json"}})
try:
    with urllib.request.urlopen(request, timeout=60) as answer:
        verdict = json.loads(answer.read())
except Exception as error:  # the double is gone: refuse everything, say why
    verdict = {{"messages": "", "results": [{{"ref": u["ref"], "ok": False,
                "reason": "GitHub double unreachable: %s" % error}} for u in updates]}}
sys.stderr.write(verdict["messages"])
sys.stderr.flush()
for result in verdict["results"]:
    write_packet(sink, ("ok %s" % result["ref"]) if result["ok"]
                 else ("ng %s %s" % (result["ref"], result["reason"])))
sink.write(b"0000")
sink.flush()
'''


def install(hooks_dir: Path, python: str) -> None:
    hook = Path(hooks_dir) / "proc-receive"
    hook.write_text(_SCRIPT.format(python=python, variable=RECEIVE_URL_VARIABLE))
    os.chmod(hook, 0o755)
