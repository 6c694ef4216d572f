"""The state of a team's work on the double: the git repository, who acts with which role, pull
requests, reviews, statuses, check runs, deployments, workflow runs and releases.

It lives beside the Store (store.flow) and uses the Store's lock: a push's ref updates, a merge and
every REST call see one consistent state. The bare repository is created on first use and removed
by close() (GitHubDouble.stop).
"""

from __future__ import annotations

from . import accounts, errors
from .gitrepo import ZERO, BareRepository
from .push_rules import RefChange, evaluate, push_messages

# Why a refused ref update is refused, as git prints it: `! [remote rejected] main -> main (<reason>)` [c1].
DECLINED = "push declined due to repository rule violations"


class Flow:
    def __init__(self, store, roles: dict[str, str] | None = None):
        self.store = store
        self._seed_roles = dict(roles or {})
        self._repo: BareRepository | None = None
        self.reset()

    def reset(self) -> None:
        """Everything back to nothing, an empty repository included."""
        self.close()
        self.roles: dict[str, str] = {}
        for login, _ in self.store._users.values():
            self.roles[login.casefold()] = "admin" if login.casefold() == self.store.token_user.casefold() else "write"
        self.roles.update({login.casefold(): role for login, role in self._seed_roles.items()})
        self.pulls: dict[int, dict] = {}
        self.reviews: dict[int, list[dict]] = {}
        self.statuses: list[dict] = []
        self.check_runs: list[dict] = []
        self.deployments: dict[int, dict] = {}
        self.runs: dict[int, dict] = {}
        self.releases: dict[int, dict] = {}
        self.pushers: dict[str, str] = {}  # ref -> login of the last pusher (for last-push approval)
        self.number = 0  # pull request numbers (issues share them, as on GitHub)
        self.issues: dict[int, dict] = {}  # issues.py: issues, their comments (PRs' too) and labels
        self.comments: dict[int, dict] = {}
        self.labels: dict[str, dict] = {}

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    @property
    def repo(self) -> BareRepository:
        if self._repo is None:
            self._repo = BareRepository(self.store.owner, self.store.repo_name)
        return self._repo

    def next_id(self) -> int:
        return self.store._new_id()

    def now(self) -> str:
        return self.store._clock.tick()

    # ---- accounts -----------------------------------------------------------------------------

    def login(self, name: str) -> str:
        return self.store._user(name)[0]

    def user_id(self, name: str) -> int | None:
        found = self.store._users.get((name or "").casefold())
        return found[1] if found else None

    def role_of(self, name: str) -> str | None:
        return self.roles.get((name or "").casefold())

    def actor_for_token(self, token: str | None) -> str:
        """The login a REST token acts as; an unknown token acts as the token user (the provider's)."""
        for login, _ in self.store._users.values():
            if token and token == accounts.token_for(login):
                return login
        return self.store.token_user

    def actor_for_password(self, login: str, password: str) -> str | None:
        """git basic auth: the login, if the password is its token. The user `x-access-token` with a user's
        token is that user: how actions/checkout sends GITHUB_TOKEN (git-auth-helper.ts,
        `x-access-token:<token>`; docs "Authenticating as a GitHub App installation")."""
        if login == "x-access-token":
            found = next((user for user in self.store._users.values() if password == accounts.token_for(user[0])), None)
            return found[0] if found else None
        found = self.store._users.get(login.casefold())
        return found[0] if found and password == accounts.token_for(found[0]) else None

    def user_json(self, login: str) -> dict:
        from . import shapes
        name, number = self.store._user(login)
        return shapes.simple_user(self.store.api_url, name, number)

    # ---- pushes -------------------------------------------------------------------------------

    def receive(self, actor: str, updates: list[dict]) -> dict:
        """A push's ref updates, from the proc-receive hook: check each, move the allowed ones."""
        results, messages = [], ""
        for update in updates:
            change = RefChange(update["ref"], update["old"], update["new"])
            verdict = evaluate(self, change, actor)
            messages += push_messages(self, change, verdict)
            if not verdict.allowed:
                results.append({"ref": change.ref, "ok": False, "reason": DECLINED})
            elif not self.repo.update_ref(change.ref, change.new, change.old):
                results.append({"ref": change.ref, "ok": False, "reason": "failed to update ref"})
            else:
                self.after_ref_moved(change, actor)
                results.append({"ref": change.ref, "ok": True})
        return {"results": results, "messages": messages}

    def after_ref_moved(self, change: RefChange, actor: str) -> None:
        from .pulls import branch_moved
        if change.new != ZERO:
            self.pushers[change.ref] = actor
        branch_moved(self, change, actor)

    def require_repo_sha(self, sha: str, docs: str = errors.DOCS) -> str:
        resolved = self.repo.resolve(sha) if sha else None
        if resolved is None:
            raise errors.validation_failed("Commit", "sha", "invalid", f"No commit found for SHA: {sha}", docs)
        return resolved
