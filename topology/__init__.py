"""The declared release topology: typed model, config read at the edge, pure rule functions, what
each GitHub/Vercel plan accepts (plans.py), the limits the APIs enforce (limits.py), CODEOWNERS
(codeowners.py), and the mock evaluation shared by tests, benchmarks and the offline check. Imports no
component."""
