"""Read-only drift audit of the release topology's stacks (docs/audit.md).

    python -m audit [--stacks staging,production] [--out DIR] [--policy-pack PATH]

Exit codes: 0 clean (pending changes allowed), 2 findings, 3 mandatory policy violation,
4 incomplete (an error: some stack's state is unknown), 1 usage error or crash. Writes DIR/audit.json
and DIR/audit.md (default .state/audit/) and prints the Markdown. Environment: PULUMI_BACKEND_URL
(default file://<root>/.state), each stack's passphrase as PULUMI_CONFIG_PASSPHRASE_<STACK> (else
PULUMI_CONFIG_PASSPHRASE(_FILE); each stack's engine calls get its own only), GITHUB_TOKEN (read-only),
GITHUB_BASE_URL (the github provider's; default api.github.com), VERCEL_API_TOKEN (read-only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from topology import keys
from topology.model import ConfigError
from topology.project import read_topology

from . import report
from .isolation import new_key
from .redact import Redactor
from .rest import JsonClient, github_api_root
from .run import Settings, audit

ROOT = Path(__file__).resolve().parent.parent
VERCEL_API = "https://api.vercel.com"


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 1, not argparse's 2 (2 means "findings")
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)


def cli_env(root: Path, environ: dict[str, str], stacks: list[str] = ()) -> dict[str, str]:
    """The CLI's environment for every stack; `run.collect_stack` narrows it to one stack's passphrase."""
    shared = environ.get(keys.PASSPHRASE) or environ.get(keys.PASSPHRASE_FILE)
    missing = [s for s in stacks if not environ.get(keys.passphrase_var(s))]
    if not shared and (missing or not stacks):
        # Pulumi accepts an empty passphrase (pulumi/pulumi#9568); the audit refuses to guess.
        names = ", ".join(keys.passphrase_var(s) for s in missing) or "PULUMI_CONFIG_PASSPHRASE_<STACK>"
        raise SystemExit(f"error: set each stack's passphrase (non-empty): {names} (or PULUMI_CONFIG_PASSPHRASE / "
                         "PULUMI_CONFIG_PASSPHRASE_FILE for all of them)")
    return {
        **{k: v for k, v in environ.items() if k.startswith(keys.PASSPHRASE)},
        "PULUMI_BACKEND_URL": environ.get("PULUMI_BACKEND_URL", f"file://{root / '.state'}"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_RUNTIME_VIRTUALENV": environ.get("PULUMI_RUNTIME_VIRTUALENV", str(root / ".venv")),
    }


def clients(environ: dict[str, str]) -> tuple[JsonClient | None, JsonClient | None]:
    github = vercel = None
    if environ.get("GITHUB_TOKEN"):
        github = JsonClient("github", github_api_root(environ.get("GITHUB_BASE_URL", "")), environ["GITHUB_TOKEN"],
                            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"})
    if environ.get("VERCEL_API_TOKEN"):
        vercel = JsonClient("vercel", VERCEL_API, environ["VERCEL_API_TOKEN"])
    return github, vercel


# An audit is not a deploy: the preview-time reminder of the deploy window is noise in its report.
AUDIT_POLICY_CONFIG = {"deploy-window-preview": "disabled"}


def policy_config(user_file: str | None, directory: Path) -> Path:
    """The pack's config for the audit: the user's file, if any, with the audit's own settings over it."""
    config = json.loads(Path(user_file).read_text()) if user_file else {}
    path = directory / "audit-policy-config.json"
    path.write_text(json.dumps({**config, **AUDIT_POLICY_CONFIG}))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", help="comma-separated stack names (default: every environment of Pulumi.yaml)")
    parser.add_argument("--root", default=str(ROOT), help="the project directory (default: this checkout)")
    parser.add_argument("--out", help="directory for audit.json and audit.md (default: <root>/.state/audit)")
    parser.add_argument("--policy-pack", help="policy pack directory (default: <root>/policy; '' for none)")
    parser.add_argument("--policy-pack-config", help="policy pack config JSON")
    parser.add_argument("--quiet", action="store_true", help="do not print the Markdown summary")
    args = parser.parse_args(argv)

    root = Path(args.root).resolve()
    try:
        topology = read_topology(root / "Pulumi.yaml")
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    order = [e.name for e in topology.promotion_order()]
    stacks = [s.strip() for s in args.stacks.split(",") if s.strip()] if args.stacks else order
    if not stacks:
        parser.error("no stack to audit")
    environ = dict(os.environ)
    redactor = Redactor()
    github, vercel = clients(environ)
    pack = root / "policy" if args.policy_pack is None else (Path(args.policy_pack) if args.policy_pack else None)

    def log(line: str) -> None:
        print(redactor.scrub(f"[audit] {line}"), file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="audit-") as scratch:
        settings = Settings(root=root, stacks=stacks, env=cli_env(root, environ, stacks), topology=topology,
                            policy_pack=pack, policy_pack_config=policy_config(args.policy_pack_config, Path(scratch)),
                            github=github, vercel=vercel, redactor=redactor, log=log)
        log(f"auditing {', '.join(stacks)} (read-only)")
        audits, run = audit(settings, new_key())
    doc = report.document(audits, run)
    out = Path(args.out) if args.out else root / ".state" / "audit"
    out.mkdir(parents=True, exist_ok=True)
    json_text, markdown = report.render(doc, redactor.scrub)
    (out / "audit.json").write_text(json_text)
    (out / "audit.md").write_text(markdown)
    if not args.quiet:
        print(markdown)
    code = doc["summary"]["exit_code"]
    log(f"exit {code} ({doc['summary']['meaning']}); report in {out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
