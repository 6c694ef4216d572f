"""A stateful GitHub REST double for the github provider (see doubles/README.md)."""

from .plans import PLANS, VISIBILITIES
from .server import GitHubDouble
from .store import DEFAULT_USERS, Store

__all__ = ["DEFAULT_USERS", "GitHubDouble", "PLANS", "Store", "VISIBILITIES"]
