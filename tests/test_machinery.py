"""The program's own machinery (topology/machinery.py) is exactly what its workflows use: the drift audit
skips these names, so a secret a workflow starts reading must be listed there (and set up by hand)."""

from __future__ import annotations

import re

import yaml

from rehearsal.project import ROOT
from topology import machinery

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_machinery_secrets_are_the_secrets_the_workflows_read():
    read = set()
    for path in WORKFLOWS:
        read |= set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text()))
    per_stack = {name for name in read if name.startswith(machinery.SECRET_PREFIXES)}
    assert per_stack and all(machinery.is_secret(name) for name in per_stack)
    assert read - {"GITHUB_TOKEN"} - per_stack == set(machinery.SECRETS)


def test_machinery_environments_are_the_workflows_own():
    named = set()
    for path in WORKFLOWS:
        for job in (yaml.safe_load(path.read_text()).get("jobs") or {}).values():
            env = job.get("environment")
            name = env.get("name") if isinstance(env, dict) else env
            if isinstance(name, str) and "${{" not in name:
                named.add(name)
            elif isinstance(name, str) and name.startswith(machinery.ENVIRONMENT_PREFIXES):
                assert machinery.is_environment(name.replace("${{ matrix.stack }}", "staging")), name
    assert named == set(machinery.ENVIRONMENTS)
