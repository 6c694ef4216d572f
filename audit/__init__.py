"""The read-only drift audit: every stack's live objects against its state, its code and its policy (docs/audit.md)."""
