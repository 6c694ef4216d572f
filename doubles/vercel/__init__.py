"""A stateful Vercel REST double behind a loopback HTTPS proxy, for the vercel provider (see doubles/README.md)."""

from .plans import PLANS
from .server import DEFAULT_TOKEN, VercelDouble
from .store import Store

__all__ = ["DEFAULT_TOKEN", "PLANS", "Store", "VercelDouble"]
