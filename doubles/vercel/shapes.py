"""JSON of Vercel objects, checked against the published API models (@vercel/sdk, tests/doubles/vercel_contract.py).

Fields a new project has that nobody sent are Vercel's defaults for a new project: the values the dashboard
shows (auto-assign custom domains on, fork protection on, standard deployment protection, OIDC issuer mode
`team`) [guess where the API reference gives no default].
"""

from __future__ import annotations

import copy

NODE_VERSION = "22.x"

# Project settings a new project carries before any PATCH (keys as in the API's project object).
NEW_PROJECT_SETTINGS = {
    "autoAssignCustomDomains": True,
    "autoExposeSystemEnvs": True,
    "gitForkProtection": True,
    "ssoProtection": {"deploymentType": "all_except_custom_domains"},
    "oidcTokenConfig": {"enabled": True, "issuerMode": "team"},
    "nodeVersion": NODE_VERSION,
    "directoryListing": False,
    "gitLFS": False,
    "serverlessFunctionZeroConfigFailover": False,
    "customerSupportCodeVisibility": False,
    "productionDeploymentsFastLane": False,
    "protectedSourcemaps": False,
    "previewDeploymentsDisabled": False,
    "skewProtectionMaxAge": 0,
    "resourceConfig": {"fluid": True, "functionDefaultMemoryType": "standard", "functionDefaultTimeout": 300,
                       "functionDefaultRegions": ["iad1"], "elasticConcurrencyEnabled": False,
                       "buildMachineType": "standard"},
}

# Required by the published project model, not settable through the routes the provider uses.
FIXED_PROJECT_FIELDS = {
    "alias": [],
    "defaultResourceConfig": {"fluid": True, "functionDefaultMemoryType": "standard", "functionDefaultTimeout": 300,
                              "functionDefaultRegions": ["iad1"]},
    "deploymentExpiration": {"expirationDays": 180, "expirationDaysProduction": 365,
                             "expirationDaysCanceled": 30, "expirationDaysErrored": 90},
    "framework": None,
}


def project(p, links: dict | None) -> dict:
    body = {"accountId": p.account, "id": p.id, "name": p.name, "createdAt": p.created_at,
            "updatedAt": p.updated_at, **copy.deepcopy(FIXED_PROJECT_FIELDS), **copy.deepcopy(p.settings)}
    if links is not None:
        body["link"] = copy.deepcopy(links)
    return body


def env_var(v, *, reveal: bool, listed: bool = False) -> dict:
    """One env var. `reveal`: the value is decrypted (a single GET, or a list with decrypt=true).

    `value` is always present (the published model requires it). Plain values always, encrypted ones when
    revealed; otherwise `""` with `decrypted: false`: Vercel sends a ciphertext there [guess: its format],
    the double has none to send. Sensitive values are never returned (Vercel docs: "non-readable once
    created") and the double does not have them. A listed item also carries `securityIssues` (required there).
    """
    readable = v.type == "plain" or (v.type == "encrypted" and reveal)
    body = {"id": v.id, "key": v.key, "type": v.type, "value": v.value if readable else "",
            "target": list(v.target), "customEnvironmentIds": list(v.custom_environment_ids),
            "comment": v.comment, "createdAt": v.created_at, "updatedAt": v.updated_at, "configurationId": None}
    if v.type != "plain":
        body["decrypted"] = readable
    if v.git_branch is not None:
        body["gitBranch"] = v.git_branch
    if listed:
        body["securityIssues"] = []
    return body


def apex(name: str) -> str:
    # The last two labels [guess for multi-label public suffixes such as co.uk].
    return ".".join(name.split(".")[-2:])


def domain(d) -> dict:
    return {"name": d.name, "apexName": apex(d.name), "projectId": d.project_id, "redirect": d.redirect,
            "redirectStatusCode": d.redirect_status_code, "gitBranch": d.git_branch,
            "customEnvironmentId": d.custom_environment_id, "createdAt": d.created_at,
            "updatedAt": d.updated_at, "verified": d.verified, "verification": []}


def domain_config(misconfigured: bool) -> dict:
    # Vercel's recommended records for an external DNS provider (docs, "Adding & configuring a custom domain").
    return {"configuredBy": None if misconfigured else "A", "acceptedChallenges": [],
            "recommendedIPv4": [{"rank": 1, "value": ["76.76.21.21"]}],
            "recommendedCNAME": [{"rank": 1, "value": "cname.vercel-dns.com."}],
            "misconfigured": misconfigured}


def team(t: dict, creator: str) -> dict:
    # sensitiveEnvironmentVariablePolicy: "on" makes the provider refuse non-sensitive variables at plan time
    # (vercel/resource_project_environment_variable.go ModifyPlan); null = no policy.
    return {"id": t["id"], "slug": t["slug"], "name": t["name"], "createdAt": t["created_at"],
            "updatedAt": t["created_at"], "creatorId": creator, "avatar": None, "billing": None,
            "description": None, "stagingPrefix": t["slug"],
            "sensitiveEnvironmentVariablePolicy": t.get("sensitive_policy")}


def custom_environment(c) -> dict:
    return {"id": c.id, "slug": c.slug, "type": "preview", "description": c.description,
            "branchMatcher": copy.deepcopy(c.branch_matcher), "createdAt": c.created_at,
            "updatedAt": c.updated_at, "domains": []}
