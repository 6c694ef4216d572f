"""Loopback API doubles used by tests and rehearsals (see doubles/README.md)."""
