"""Isolation across stacks by keyed fingerprints: shared secrets, production's services used elsewhere."""

from __future__ import annotations

from audit.isolation import (Fingerprints, config_fingerprints, fingerprint, isolation_findings, new_key,
                             normalize_url, variable_fingerprints, with_variables)
from audit.conclude import conclude
from scenarios import by_stack, collected, facts, load, topology

NS = "release-topology"


def config(**values):
    """'ns:key' -> (value, secret): names in upper case are catalogue entries; secret when the value says so."""
    return {f"{NS}:{k}": (v, k in SECRETS) for k, v in values.items()}


SECRETS = {"STRIPE_SECRET_KEY", "SUPABASE_SERVICE_ROLE_KEY", "STRIPE_WEBHOOK_SECRET", "NEXT_PUBLIC_SUPABASE_ANON_KEY"}


def fps(stack, key, live=None, **values):
    """One stack's fingerprints as audit/run.py makes them: its config's, then its live GitHub variables'."""
    env = topology().environment(stack)
    return with_variables(config_fingerprints(stack, bool(env and env.production), key, topology().catalogue, config(**values)),
                          variable_fingerprints(key, live or {}))


def test_a_secret_shared_by_two_environments_is_reported_on_both():
    key = new_key()
    found = isolation_findings([
        fps("staging", key, STRIPE_SECRET_KEY="sk_test_same", SUPABASE_SERVICE_ROLE_KEY="svc-staging-000"),
        fps("production", key, STRIPE_SECRET_KEY="sk_test_same", SUPABASE_SERVICE_ROLE_KEY="svc-prod-000"),
    ])
    assert {(f.stack, f.resource.name) for f in found} == {("staging", f"{NS}:STRIPE_SECRET_KEY"),
                                                           ("production", f"{NS}:STRIPE_SECRET_KEY")}
    assert all(f.cls.value == "isolation" for f in found)


def test_a_secret_equal_under_another_name_counts():
    key = new_key()
    found = isolation_findings([fps("staging", key, STRIPE_WEBHOOK_SECRET="whsec_x1"),
                                fps("production", key, SUPABASE_SERVICE_ROLE_KEY="whsec_x1")])
    assert "SUPABASE_SERVICE_ROLE_KEY of stack production" in next(f for f in found if f.stack == "staging").summary


def test_production_urls_used_elsewhere():
    key = new_key()
    found = isolation_findings([
        fps("staging", key, NEXT_PUBLIC_SUPABASE_URL="https://PRODUCTION-ref.supabase.co/"),
        fps("production", key, NEXT_PUBLIC_SUPABASE_URL="https://production-ref.supabase.co"),
    ])
    assert [(f.stack, f.resource.name) for f in found] == [("staging", "config NEXT_PUBLIC_SUPABASE_URL")]
    # Production using staging's service is not this rule's business (the policy pack's Stripe modes are).
    assert not isolation_findings([fps("staging", key, NEXT_PUBLIC_SUPABASE_URL="https://a.supabase.co"),
                                   fps("production", key, APP_URL="https://b.example.com")])


def test_a_live_github_variable_pointing_at_production():
    key = new_key()
    found = isolation_findings([
        fps("staging", key, {"NEXT_PUBLIC_SUPABASE_URL": "https://production-ref.supabase.co/"},
            NEXT_PUBLIC_SUPABASE_URL="https://staging-ref.supabase.co"),
        fps("production", key, NEXT_PUBLIC_SUPABASE_URL="https://production-ref.supabase.co"),
    ])
    assert [(f.stack, f.resource.name, f.evidence[0].source) for f in found] == [
        ("staging", "GitHub variable NEXT_PUBLIC_SUPABASE_URL", "github-rest")]


def test_distinct_values_are_quiet_and_project_keys_are_ignored():
    key = new_key()
    assert not isolation_findings([
        fps("staging", key, STRIPE_SECRET_KEY="sk_test_a", repository="koomy-app/koomy", NEXT_PUBLIC_SUPABASE_URL="https://s.co"),
        fps("production", key, STRIPE_SECRET_KEY="sk_live_b", repository="koomy-app/koomy", NEXT_PUBLIC_SUPABASE_URL="https://p.co"),
    ])


def test_fingerprints_are_keyed_per_run():
    a, b = new_key(), new_key()
    assert a != b and len(a) == 32
    assert fingerprint(a, "sk_live_x") != fingerprint(b, "sk_live_x")
    assert fingerprint(a, "sk_live_x") == fingerprint(a, "sk_live_x")
    # Stacks fingerprinted under different keys never match: the comparison needs the run's one key.
    assert not isolation_findings([fps("staging", a, STRIPE_SECRET_KEY="same"), fps("production", b, STRIPE_SECRET_KEY="same")])


def test_no_fingerprint_or_value_reaches_a_finding():
    key = new_key()
    staging = fps("staging", key, STRIPE_SECRET_KEY="sk_test_SHAREDvalue123")
    production = fps("production", key, STRIPE_SECRET_KEY="sk_test_SHAREDvalue123")
    text = repr(isolation_findings([staging, production]))
    assert "SHAREDvalue" not in text
    assert staging.secrets["STRIPE_SECRET_KEY"] not in text


def test_normalize_url():
    assert normalize_url("HTTPS://Prod-Ref.Supabase.co:443/") == "https://prod-ref.supabase.co"
    assert normalize_url("postgres://db.example.com:5432/app") == "postgres://db.example.com:5432/app"
    assert normalize_url("staging.koomy.app") is None
    assert normalize_url("pk_test_123") is None


def test_isolation_joins_the_recorded_edits():
    """The recorded edit set staging's live Supabase URL variable to production's: drift and isolation."""
    key = new_key()
    data = load("edited")
    stacks, repo = collected(data)
    for c in stacks:
        live = {v["name"]: v["value"] for v in c.environment.variables}
        c.fingerprints = fps(c.stack, key, live, NEXT_PUBLIC_SUPABASE_URL=f"https://{c.stack}-ref.supabase.co")
    audits = by_stack(conclude(stacks, topology(), repo))
    assert ("isolation", "GitHub variable NEXT_PUBLIC_SUPABASE_URL") in facts(audits["staging"])
    assert ("managed_drift", "staging-secrets-next-public-supabase-url-github") in facts(audits["staging"])
    # production's one isolation finding is the repository secret the edits added (every deploy job inherits it)
    assert [f.resource.name for f in audits["production"].findings if f.cls.value == "isolation"] == ["LEGACY_DEPLOY_KEY"]
    assert isinstance(stacks[0].fingerprints, Fingerprints)
