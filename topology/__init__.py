"""The declared release topology: typed model (model.py), the stack's Release validated by pure functions
(release.py) and read from the Pulumi runtime at the edge (config.py), the project's files (project.py), pure
rule functions (rules.py), what each GitHub/Vercel plan accepts (plans.py), the limits the APIs enforce
(limits.py), what the program registers (registry.py), CODEOWNERS (codeowners.py), and the mock evaluation
shared by tests, benchmarks and the offline check (offline.py). Imports no component."""
