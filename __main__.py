"""release-topology: one stack = one environment of the declared release topology."""

import os

import pulumi

from components.environment import ReleaseEnvironment
from topology.config import emergency_from_env, github_write_delay_from_env, read_release

# Reads and validates the whole config first: a bad stack registers nothing.
release, values = read_release()
env = release.environment

environment = ReleaseEnvironment(
    env.name, release=release, values=values, github_write_delay_ms=github_write_delay_from_env(os.environ)
)

pulumi.export("environment", env.name)
pulumi.export("branch", env.branch)
pulumi.export("promotedFrom", env.promoted_from)
pulumi.export("production", env.production)
pulumi.export("githubEnvironment", environment.deployment.name)
pulumi.export("branchRulesetId", environment.gate.ruleset.ruleset_id)
if environment.target:
    pulumi.export("vercelProjectId", environment.target.project.id)

# An emergency deploy outside the window is allowed by the policy pack only with a reason;
# the program records it in the stack's outputs (and so in its update history).
emergency, reason = emergency_from_env(os.environ)
if emergency and reason.strip():
    pulumi.export("emergencyOverride", {"reason": reason.strip()})
