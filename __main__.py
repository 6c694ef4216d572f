"""release-topology: one stack = one environment of the declared release topology."""

import os

import pulumi

from components.environment import ReleaseEnvironment
from topology.config import read_release
from topology.release import connection_from_env, emergency_from_env

# Reads and validates the whole config first: a bad stack registers nothing.
release, values = read_release()
env = release.environment

connection = connection_from_env(env.name, os.environ)

environment = ReleaseEnvironment(env.name, release=release, values=values, connection=connection)

pulumi.export("environment", env.name)
pulumi.export("branch", env.branch)
pulumi.export("promotedFrom", env.promoted_from)
pulumi.export("production", env.production)
pulumi.export("githubEnvironment", environment.deployment.name)
pulumi.export("approvalMechanism", environment.approval_mechanism)
pulumi.export("branchRulesetId", environment.gate.ruleset.ruleset_id)
if environment.target:
    pulumi.export("vercelProjectId", environment.target.project.id)

# An emergency deploy outside the window is allowed by the policy pack only with a reason;
# the program records it in the stack's outputs (and so in its update history).
emergency, reason = emergency_from_env(os.environ)
if emergency and reason.strip():
    pulumi.export("emergencyOverride", {"reason": reason.strip()})
