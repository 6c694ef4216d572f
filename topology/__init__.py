"""The declared release topology: typed model, config read at the edge, pure rule functions,
and the mock evaluation shared by tests, benchmarks and the offline check. Imports no component."""
