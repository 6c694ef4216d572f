"""Per-environment secrets: generated ones from pulumi-random, all delivered to GitHub."""

from __future__ import annotations

from typing import Mapping, Sequence

import pulumi
import pulumi_github as github
import pulumi_random as random

from topology.model import CatalogueEntry, Destination
from topology.registry import ENVIRONMENT_SECRETS, GITHUB_DELIVERY_SUFFIX, slug


class EnvironmentSecrets(pulumi.ComponentResource):
    """Every catalogue entry of one environment, as GitHub environment secrets and variables.

    `values` afterwards maps every entry to its value (secrets as Pulumi secrets) for the other
    destinations (Vercel).
    """

    def __init__(
        self,
        name: str,
        *,
        repository: str,
        environment: pulumi.Input[str],
        catalogue: Sequence[CatalogueEntry],
        secrets: Mapping[str, pulumi.Input[str]],
        variables: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(ENVIRONMENT_SECRETS, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # A replacement (the audit's fix for a secret re-set by hand: `pulumi up --replace`) of a secret keeps its
        # name: created first, the old one's delete would remove the value just written.
        secret_child = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        self.values: dict[str, pulumi.Input[str]] = {}
        self.generated: dict[str, random.RandomPassword] = {}
        for entry in catalogue:
            if entry.kind.is_generated:
                # RandomPassword, never RandomString: a RandomString's id is its value, in clear.
                password = random.RandomPassword(
                    f"{name}-{slug(entry.name)}", length=64, special=False, opts=child
                )
                self.generated[entry.name] = password
                self.values[entry.name] = password.result
            elif entry.kind.is_secret:
                self.values[entry.name] = pulumi.Output.secret(secrets[entry.name])
            else:
                self.values[entry.name] = variables[entry.name]

        self.github_secrets: list[github.ActionsEnvironmentSecret] = []
        self.github_variables: list[github.ActionsEnvironmentVariable] = []
        for entry in catalogue:
            if Destination.GITHUB not in entry.destinations:
                continue
            if entry.kind.is_secret:
                self.github_secrets.append(github.ActionsEnvironmentSecret(
                    f"{name}-{slug(entry.name)}{GITHUB_DELIVERY_SUFFIX}",
                    repository=repository,
                    environment=environment,
                    secret_name=entry.name,
                    # `value`, not the deprecated `plaintext_value` (a warning in every preview).
                    value=self.values[entry.name],
                    opts=secret_child,
                ))
            else:
                self.github_variables.append(github.ActionsEnvironmentVariable(
                    f"{name}-{slug(entry.name)}{GITHUB_DELIVERY_SUFFIX}",
                    repository=repository,
                    environment=environment,
                    variable_name=entry.name,
                    value=self.values[entry.name],
                    opts=child,
                ))
        self.register_outputs({
            "github_secrets": [s.secret_name for s in self.github_secrets],
            "github_variables": [v.variable_name for v in self.github_variables],
        })
