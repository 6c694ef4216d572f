"""Test helpers: run a stack's program under mocks from its real files, with test secrets injected.

The machinery (recording monitor, config loading) is topology/offline.py, shared with the
offline check; this adds sentinel test secrets that make leaks easy to detect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from topology.model import ConfigError
from topology.offline import PROJECT, ROOT as ROOT_DIR, RecordingMonitor, ResourceMocks, Run, run_program, stack_inputs

TEST_SECRETS = {
    "staging": {
        "STRIPE_SECRET_KEY": "sk_test_SENTINELstagingSECRET0001",
        "STRIPE_WEBHOOK_SECRET": "whsec_SENTINELstagingWEBHOOK0002",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY": "eyJSENTINELstagingANON0003",
        "SUPABASE_SERVICE_ROLE_KEY": "eyJSENTINELstagingSERVICE0004",
    },
    "production": {
        "STRIPE_SECRET_KEY": "sk_live_SENTINELproductionSECRET0005",
        "STRIPE_WEBHOOK_SECRET": "whsec_SENTINELproductionWEBHOOK0006",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY": "eyJSENTINELproductionANON0007",
        "SUPABASE_SERVICE_ROLE_KEY": "eyJSENTINELproductionSERVICE0008",
    },
}
# Publishable keys are plain variables (public by design) but still mode-checked.
TEST_VARIABLES = {
    "staging": {"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_test_publishableSTAGING"},
    "production": {"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_live_publishablePRODUCTION"},
}


# Mock runs are updates (preview=False): judged inside Pulumi.yaml's deploy window (Mon-Fri 09:00-18:00 Paris)
# unless a test gives its own `now`.
IN_WINDOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)  # a Tuesday noon


def inputs_for(stack: str, secrets: dict[str, str] | None = None, variables: dict[str, str] | None = None, **kwargs: Any):
    return stack_inputs(
        stack,
        secrets=TEST_SECRETS.get(stack, TEST_SECRETS["staging"]) if secrets is None else secrets,
        variables=TEST_VARIABLES.get(stack, TEST_VARIABLES["staging"]) if variables is None else variables,
        **kwargs,
    )


def run_stack(stack: str, now: dt.datetime = IN_WINDOW, preview: bool = False, **kwargs: Any) -> Run:
    config, secret_keys = inputs_for(stack, **kwargs)
    return run_program(stack, config, secret_keys, now=now, preview=preview)


def run_failing(stack: str, now: dt.datetime = IN_WINDOW, **kwargs: Any):
    """Run a stack that must fail validation: the ConfigError and what got registered anyway."""
    config, secret_keys = inputs_for(stack, **kwargs)
    monitor = RecordingMonitor(ResourceMocks(), PROJECT, stack)
    try:
        run_program(stack, config, secret_keys, monitor=monitor, now=now)
    except ConfigError as error:
        return error, monitor.registrations
    raise AssertionError(f"stack {stack} was expected to fail validation")
