"""The house's shape: a folder per concern, data flowing one way.

config -> topology -> components -> engine; policy and audit read what was registered. A module
may import its own folder and the folders below it, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import ROOT_DIR

# What each folder may import from the project (besides itself).
ALLOWED = {
    "topology": set(),
    "components": {"topology"},
    "policy": {"topology"},
    "audit": {"topology", "policy"},
    "doubles": set(),
    "rehearsal": {"topology", "doubles"},
}
PROJECT_PACKAGES = {"topology", "components", "policy", "audit", "doubles", "providers", "rehearsal"}


def project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & PROJECT_PACKAGES


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_no_folder_imports_one_above_it(folder):
    modules = sorted((ROOT_DIR / folder).rglob("*.py"))
    if folder in ("topology", "components", "policy"):
        assert modules, f"{folder}/ has no module"
    wrong = {
        str(m.relative_to(ROOT_DIR)): sorted(project_imports(m) - ALLOWED[folder] - {folder})
        for m in modules
    }
    assert not {k: v for k, v in wrong.items() if v}, f"imports against the flow config -> topology -> components: {wrong}"


def test_components_holds_only_component_resources():
    """components/ is the ComponentResources; models, readers and rules live in topology/."""
    for module in sorted((ROOT_DIR / "components").glob("*.py")):
        if module.name == "__init__.py":
            continue
        tree = ast.parse(module.read_text())
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        assert classes, f"{module.name} defines no component"
        for cls in classes:
            bases = {ast.unparse(b) for b in cls.bases}
            assert bases & {"pulumi.ComponentResource"}, f"{module.name}: {cls.name} is not a ComponentResource"


def test_import_checker_sees_a_violation(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from components.environment import ReleaseEnvironment\nimport policy.rules\n")
    assert project_imports(module) == {"components", "policy"}
