"""The program's own machinery in the repository it manages (README "Where the program lives").

By default the program lives in the repository it manages: its workflows (.github/workflows/) read
their credentials from GitHub environment secrets and run previews and the drift audit in an
environment of their own. Those objects are set up by hand once (docs/workflows.md, "What to set up
in GitHub"), never declared in a stack (a stack holding its own backend passphrase and token would be
circular), so the drift audit names them as the program's machinery instead of unmanaged additions.
tests/test_machinery.py keeps this list equal to what the workflows read.
"""

from __future__ import annotations

# The drift audit's environment (drift.yml; deployment branches `main` only: it holds every stack's key), and
# each non-production stack's preview environment `preview-<stack>` (preview.yml: that stack's key only).
ENVIRONMENTS = frozenset({"drift"})
ENVIRONMENT_PREFIXES = ("preview-",)

# The secrets every workflow job reads from its environment (each stage's, and `preview`).
SECRETS = frozenset({"PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "RELEASE_TOPOLOGY_GITHUB_TOKEN",
                     "VERCEL_API_TOKEN", "RELEASE_NOTIFY_WEBHOOK"})
# One stack's passphrase where several stacks' keys meet (drift: PULUMI_CONFIG_PASSPHRASE_<STACK>, topology/keys.py).
SECRET_PREFIXES = ("PULUMI_CONFIG_PASSPHRASE_",)


def is_environment(name: str) -> bool:
    return name in ENVIRONMENTS or name.startswith(ENVIRONMENT_PREFIXES)


def is_secret(name: str) -> bool:
    # GitHub stores secret names in upper case.
    return name.upper() in SECRETS or name.upper().startswith(SECRET_PREFIXES)
