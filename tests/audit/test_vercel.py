"""The Vercel REST pass on recorded-shape answers (tests/audit/vercel/README.md says what they hold)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.conclude import Collected, conclude
from audit.listings import fetch_vercel_project
from audit.model import LastUpdate
from audit.rest import JsonClient, RestError
from audit.state import inventory
from audit.vercel_checks import project_findings, vercel_projects
from scenarios import RecordedFetch, topology

HERE = Path(__file__).resolve().parent / "vercel"
API = "https://api.vercel.com"
PROJECT, TEAM = "prj_Kd82hFn3LsQ0wErT5yUi", "team_Hq7Lm2Nz9Xc4Vb1K"
LAST_UPDATE = LastUpdate("2026-11-22T00:00:00Z")


def recorded(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def answers() -> dict:
    return {
        f"/v10/projects/{PROJECT}/env?limit=100&teamId={TEAM}": {"body": recorded("env_page1.json")},
        f"/v10/projects/{PROJECT}/env?limit=100&teamId={TEAM}&until=1795300002000": {"body": recorded("env_page2.json")},
        f"/v9/projects/{PROJECT}/domains?limit=100&teamId={TEAM}": {"body": recorded("domains.json")},
    }


def client(answer_map=None) -> JsonClient:
    return JsonClient("vercel", API, "a" * 24, fetch=RecordedFetch(answer_map or answers(), root=API))


def managed():
    return inventory(recorded("state.json"))


def test_projects_in_state_and_their_team():
    assert vercel_projects(managed()) == {PROJECT: TEAM}


def test_both_pages_are_read():
    c = client()
    listing = fetch_vercel_project(c, PROJECT, TEAM)
    assert [e["key"] for e in listing.envs] == ["APP_ENV", "STRIPE_SECRET_KEY", "SUPABASE_SERVICE_ROLE_KEY", "DEBUG_PAYMENTS"]
    assert [d["name"] for d in listing.domains] == ["staging.koomy.app", "preview-payments.koomy.app"]
    assert c.calls == 3


def findings(last_update=LAST_UPDATE):
    listing = fetch_vercel_project(client(), PROJECT, TEAM)
    return {(f.cls.value, f.resource.name): f for f in project_findings("staging", managed(), listing, last_update)}


def test_each_class_on_vercel():
    assert set(findings()) == {
        ("secret_touched", "staging-vercel-stripe-secret-key"),  # sensitive, edited after the last update
        ("managed_drift", "staging-vercel-next-public-supabase-url"),  # managed, gone from the list
        ("unmanaged_addition", f"{PROJECT}/DEBUG_PAYMENTS"),  # added by hand
        ("unmanaged_addition", "preview-payments.koomy.app"),  # a domain added by hand
    }


def test_a_touched_sensitive_value_says_when_and_by_whom_never_what():
    touched = findings()[("secret_touched", "staging-vercel-stripe-secret-key")]
    (change,) = touched.changes
    assert change.secret and change.changed_at == "2026-11-22T01:46:40Z"
    assert "usr_jane_dashboard_3Lm9" in touched.evidence[0].detail
    assert "pulumi config set --secret --stack staging STRIPE_SECRET_KEY" in touched.fix


def test_without_a_known_last_update_no_date_is_judged():
    assert not any(cls == "secret_touched" for cls, _ in findings(last_update=None))


def test_an_edit_before_the_last_update_is_not_touched():
    assert not any(cls == "secret_touched" for cls, _ in findings(LastUpdate("2026-11-22T02:00:00Z")))


def test_a_refused_list_is_an_error_of_the_stack():
    refusal = {f"/v10/projects/{PROJECT}/env?limit=100&teamId={TEAM}": {
        "status": 403, "body": {"error": {"code": "forbidden", "message": "Not authorized"}}}}
    with pytest.raises(RestError) as err:
        fetch_vercel_project(client(refusal), PROJECT, TEAM)
    assert err.value.status == 403 and "Not authorized" in str(err.value)
    # What run.py makes of it: an error finding, the stack incomplete.
    from audit.conclude import collection_error
    stack = Collected("staging", managed=managed(), errors=[collection_error("staging", "the Vercel listing", str(err.value))])
    (audit,) = conclude([stack], topology(), None)
    assert audit.status == "error"


def test_through_conclude_with_the_rest_of_a_stack():
    listing = fetch_vercel_project(client(), PROJECT, TEAM)
    stack = Collected("staging", managed=managed(), last_update=LAST_UPDATE, vercel={PROJECT: listing})
    (audit,) = conclude([stack], topology(), None)
    assert {f.cls.value for f in audit.findings} == {"secret_touched", "managed_drift", "unmanaged_addition"}
    assert audit.status == "findings"
