"""release-topology: one stack = one environment of the declared release topology."""

import os
from pathlib import Path

import pulumi

from components.environment import ReleaseEnvironment
from topology.config import read_release, release_run
from topology.keys import program_key_problems
from topology.model import ConfigError
from topology.release import connection_from_env

# Reads and validates the whole config first: a bad stack registers nothing.
release, values = read_release()
env = release.environment
# Its own secrets key (production shares it with no stack) and, for an update against GitHub, no published
# demo passphrase (topology/keys.py): refused before anything is registered.
key_refusals = program_key_problems(env.name, env.production, Path(__file__).resolve().parent, os.environ)
if key_refusals:
    raise ConfigError(env.name, key_refusals)

connection = connection_from_env(env.name, os.environ)
# The mandatory rules an update is judged by before its first write (deploy window, emergency reason,
# CODEOWNERS): the policy pack judges them too, but its stack policies run after `up` has written.
run = release_run(release, Path(__file__).resolve().parent)

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

# An emergency deploy outside the window is allowed only with a reason (release_run refuses it without);
# the program records it in the stack's outputs (and so in its update history).
if run.emergency_override:
    pulumi.export("emergencyOverride", {"reason": run.emergency_override})
