"""The program refuses an update that breaks a mandatory release-policy rule before it registers anything.

The policy pack judges the deploy window and CODEOWNERS too, but as stack policies: during `up` they run
after the resources were written. The program judges them first (topology/release.py policy_refusals, at
the edge topology/config.py release_run), with the same pure rules (topology/rules.py, topology/codeowners.py).
The real engine and the doubles' request logs prove it: tests/integration/test_mandatory.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from harness import IN_WINDOW, run_failing, run_stack
from topology import codeowners
from topology.model import ConfigError, PolicyRefusal
from topology.offline import ROOT
from topology.project import file_release
from topology.release import Run, policy_refusals, run_from_env

SATURDAY = dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.timezone.utc)
LOOPBACK = {"GITHUB_BASE_URL": "http://127.0.0.1:8765/"}


@pytest.fixture(scope="module")
def production():
    return file_release("production", ROOT)


def refusals(release, run, text=None, owners=("koomy-cto",)):
    return [(p.key, p.message) for p in policy_refusals(release, run, codeowners_text=text, production_reviewers=owners)]


def test_an_update_outside_the_window_is_refused(production):
    found = refusals(production, Run(dry_run=False, now=SATURDAY))
    assert found == [("deploy-window", "stack 'production': Sun 00:00 CET is outside the deploy window "
                                        "(mon,tue,wed,thu,fri 09:00-18:00 Europe/Paris)")]


def test_inside_the_window_or_in_a_preview_nothing_is_refused(production):
    assert refusals(production, Run(dry_run=False, now=IN_WINDOW)) == []
    # A preview writes nothing: the pack reports the window there, as a warning.
    assert refusals(production, Run(dry_run=True, now=SATURDAY)) == []


def test_staging_has_no_window():
    assert refusals(file_release("staging", ROOT), Run(dry_run=False, now=SATURDAY)) == []


def test_an_emergency_passes_with_a_reason_and_is_refused_without(production):
    assert refusals(production, Run(False, SATURDAY, emergency=True, emergency_reason="payment outage INC-42")) == []
    for blank in ("", "  "):
        found = refusals(production, Run(False, IN_WINDOW, emergency=True, emergency_reason=blank))
        assert [k for k, _ in found] == ["deploy-window"] and "needs a reason" in found[0][1]
    # The rehearsal knob relaxes the window, never the reason.
    found = refusals(production, Run(False, SATURDAY, emergency=True, window_advisory=True))
    assert "needs a reason" in found[0][1]


def test_the_rehearsal_knob_relaxes_the_window(production):
    assert refusals(production, Run(False, SATURDAY, window_advisory=True)) == []


def test_codeowners_that_do_not_name_the_reviewers_are_refused(production):
    good = codeowners.render(["koomy-cto"])
    assert refusals(production, Run(False, IN_WINDOW), text=good) == []
    found = refusals(production, Run(False, IN_WINDOW), text="* @someone-else\n")
    assert found == [("code-owners", "stack 'production': CODEOWNERS line 1: `*` is owned by @someone-else, not by "
                                     "the production reviewers @koomy-cto")]
    # No CODEOWNERS in the checkout: the pack's advisory `code-owners-file` says so, nothing to refuse here.
    assert refusals(production, Run(False, IN_WINDOW), text=None) == []


def test_the_knob_is_refused_unless_github_is_the_local_double():
    run = run_from_env("production", {**LOOPBACK, "RELEASE_DEPLOY_WINDOW": "advisory"}, dry_run=False, now=SATURDAY)
    assert run.window_advisory
    for base in ("", "https://api.github.com/", "https://ghes.example.com/api/v3/"):
        with pytest.raises(ConfigError) as error:
            run_from_env("production", {"GITHUB_BASE_URL": base, "RELEASE_DEPLOY_WINDOW": "advisory"}, dry_run=True,
                         now=IN_WINDOW)
        assert "RELEASE_DEPLOY_WINDOW: makes the deploy window advisory" in str(error.value)
    with pytest.raises(ConfigError, match="must be one of mandatory, advisory"):
        run_from_env("production", {**LOOPBACK, "RELEASE_DEPLOY_WINDOW": "off"}, dry_run=False, now=IN_WINDOW)
    assert not run_from_env("production", {"RELEASE_DEPLOY_WINDOW": "mandatory"}, dry_run=False, now=SATURDAY).window_advisory


# --- the program under mocks: nothing registered ---------------------------------------------------
# An update of the demo stacks is a rehearsal against the local GitHub double (topology/keys.py refuses
# it against GitHub): these runs say so with a loopback GITHUB_BASE_URL.


@pytest.fixture(autouse=True)
def rehearsal_endpoint(monkeypatch):
    monkeypatch.setenv("GITHUB_BASE_URL", LOOPBACK["GITHUB_BASE_URL"])


def test_the_program_registers_nothing_for_an_update_outside_the_window():
    error, registered = run_failing("production", now=SATURDAY)
    assert isinstance(error, PolicyRefusal) and registered == []
    assert str(error).startswith("stack 'production': the update breaks 1 mandatory release-policy rule; "
                                 "nothing was registered, nothing was written.")
    assert "fix: deploy inside the window, or as an emergency with a reason" in str(error)


def test_a_preview_outside_the_window_registers_everything():
    assert run_stack("production", now=SATURDAY, preview=True).registrations


def test_an_emergency_with_a_reason_deploys_and_is_recorded(monkeypatch):
    monkeypatch.setenv("RELEASE_EMERGENCY", "true")
    monkeypatch.setenv("RELEASE_EMERGENCY_REASON", "  payment outage INC-42 ")
    run = run_stack("production", now=SATURDAY)
    assert run.registrations and run.outputs["emergencyOverride"] == {"reason": "payment outage INC-42"}
    monkeypatch.setenv("RELEASE_EMERGENCY_REASON", " ")
    error, registered = run_failing("production", now=IN_WINDOW)
    assert "needs a reason" in str(error) and registered == []


def test_the_knob_against_github_registers_nothing(monkeypatch):
    monkeypatch.delenv("GITHUB_BASE_URL", raising=False)
    monkeypatch.setenv("RELEASE_DEPLOY_WINDOW", "advisory")
    with pytest.raises(ConfigError, match="RELEASE_DEPLOY_WINDOW: makes the deploy window advisory"):
        run_stack("production", preview=True)  # refused even in a preview


def test_a_code_owner_the_checkout_does_not_name_registers_nothing():
    # This checkout's CODEOWNERS names @koomy-cto; the stack's reviewers say otherwise (private Team: code owners approve).
    error, registered = run_failing("production", overrides={"reviewers": [{"handle": "new-cto", "id": 7}]})
    assert isinstance(error, PolicyRefusal) and registered == []
    assert "code-owners: stack 'production': CODEOWNERS line 5: `*` is owned by @koomy-cto" in str(error)
