"""The release-topology policy pack: `pulumi preview --policy-pack policy`.

The only module that constructs PolicyPack (it starts a gRPC server and blocks): never import it.
"""

import sys
from pathlib import Path

# The language host runs this file as a script from the pack's folder (`python -m pulumi.policy <engine>
# .`, cwd policy/), so the project root is not on sys.path: put it first, so the pack imports the
# `topology` and `policy` beside it (a project copy's own) rather than the installed checkout's.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policy.policies import all_policies  # noqa: E402

PolicyPack(name="release-topology", policies=all_policies())
