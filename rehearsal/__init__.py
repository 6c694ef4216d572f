"""Pulumi's own CLI run on this project, against the local GitHub and Vercel doubles when there is no token.

The one way the project runs its program for real: `make preview`, `make rehearse`, `make demo`, the
integration tests and the engine benchmarks all go through `pulumi` (the CLI, its language host and the
provider plugins), never through an in-process program.
"""
