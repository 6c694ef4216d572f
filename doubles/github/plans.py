"""What GitHub refuses for a plan and a repository visibility (shared/notes/github-plans.md).

On a PUBLIC repository every feature below works on every plan. On a PRIVATE one:

| feature                                        | free | pro | team | enterprise |
|------------------------------------------------|------|-----|------|------------|
| rulesets (any rule we use)                     | 403  | ok  | ok   | ok         |
| environments (and their secrets, variables...) | 404  | ok  | ok   | ok         |
| environment protection fields                  | 404  | 422 | 422  | ok         |

Ruleset enforcement `evaluate` needs Enterprise on any visibility: the published schema says
"evaluate is only available with GitHub Enterprise" (repository-rule-enforcement); the status
and wording of the refusal are [guess].
"""

from __future__ import annotations

from . import errors

PLANS = ("free", "pro", "team", "enterprise")
VISIBILITIES = ("private", "public")

RULES_DOCS = "https://docs.github.com/rest/repos/rules"
ENV_DOCS = "https://docs.github.com/rest/deployments/environments#create-or-update-an-environment"

# Observed on github.com (go-github#2611, TPG#1311, backstage#28977): the environment PUT is refused
# as soon as one of these keys is present, even with its default value. Which key GitHub actually
# looks at is [guess]: we refuse on any of them, and on can_admins_bypass=false (admin bypass can
# only be turned off on Enterprise or public repositories, GitHub docs "Deployments and environments").
PROTECTION_KEYS = ("wait_timer", "reviewers", "prevent_self_review")
BILLING_MESSAGE = ("Failed to create the environment protection rule. Please ensure the billing plan "
                   "supports the required reviewers protection rule.")
UPGRADE_MESSAGE = "Upgrade to GitHub Pro or make this repository public to enable this feature."


def check(plan: str, visibility: str) -> None:
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {PLANS}, not {plan!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, not {visibility!r}")


def gated(plan: str, visibility: str) -> bool:
    """True when the plan limits this repository (a private repository below Enterprise)."""
    return visibility == "private" and plan != "enterprise"


def refuse_rulesets(plan: str, visibility: str) -> None:
    # GET and POST alike answer 403 on a private Free repository (github-plans.md).
    if gated(plan, visibility) and plan == "free":
        raise errors.basic(403, UPGRADE_MESSAGE, RULES_DOCS)


def refuse_enforcement(plan: str, enforcement: str) -> None:
    if enforcement == "evaluate" and plan != "enterprise":
        raise errors.validation_failed("Ruleset", "enforcement", "invalid",
                                       "Evaluate mode is only available with GitHub Enterprise",
                                       RULES_DOCS)


def refuse_environment_put(plan: str, visibility: str, body: dict) -> None:
    if not gated(plan, visibility):
        return
    if plan == "free":
        # go-github: "For Free plan private repos the returned error code is 404."
        raise errors.not_found(ENV_DOCS)
    if any(key in body for key in PROTECTION_KEYS) or body.get("can_admins_bypass") is False:
        raise errors.basic(422, BILLING_MESSAGE, ENV_DOCS)
