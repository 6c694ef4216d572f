"""What Vercel refuses for a plan (shared/notes/github-plans.md, Vercel section).

| feature                                        | hobby   | pro | enterprise |
|------------------------------------------------|---------|-----|------------|
| teams (`?teamId=`)                             | no      | yes | yes        |
| linking a GitHub organisation's repository     | refused | yes | yes        |
| custom environments per project                | 0       | 1   | 12         |
"""

from __future__ import annotations

from . import errors

PLANS = ("hobby", "pro", "enterprise")
CUSTOM_ENVIRONMENTS = {"hobby": 0, "pro": 1, "enterprise": 12}

# The wording is the dashboard's (vercel/community#6856, shared/notes/github-plans.md): "Start a Pro Trial or
# upgrade to Pro". What the REST API answers is undocumented: status 402 and code are [guess].
ORG_REPO_MESSAGE = ("Connecting a repository owned by the GitHub organization '{owner}' requires a Pro plan. "
                    "Start a Pro Trial or upgrade to Pro.")


def check(plan: str) -> None:
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {PLANS}, not {plan!r}")


def refuse_org_repository(plan: str, owner: str, org_owners: frozenset[str]) -> None:
    if plan == "hobby" and owner.casefold() in org_owners:
        raise errors.ApiError(402, "payment_required", ORG_REPO_MESSAGE.format(owner=owner))


def refuse_custom_environment(plan: str, existing: int) -> None:
    # Limits: github-plans.md (Pro 1, Enterprise 12, none on Hobby); status and wording [guess].
    limit = CUSTOM_ENVIRONMENTS[plan]
    if existing >= limit:
        raise errors.ApiError(402, "payment_required",
                              f"Your plan allows {limit} custom environment(s) per project.")
