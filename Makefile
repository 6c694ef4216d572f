# release-topology: set-up, tests and the main job. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= staging
POLICY_CONFIG ?=

.PHONY: help install engine test unit check preview rehearse audit bench bench-engine lint-workflows

help:
	@echo "make install            create .venv and install pinned dependencies (constraints.txt)"
	@echo "make engine             make the pinned pulumi CLI and provider plugins available (builds offline if needed)"
	@echo "make test               all tests: unit (mocks), policy, workflows, integration (real engine)"
	@echo "make unit               the fast tests only (no engine)"
	@echo "make check STACK=name   offline release-policy check of a stack (no credentials, no engine)"
	@echo "make preview STACK=name pulumi preview of a stack on the local file backend, with the policy pack"
	@echo "                        (without GITHUB_TOKEN: against a local GitHub double, nothing reaches GitHub)"
	@echo "make rehearse STACK=name a full up against a fresh local GitHub double; prints the REST calls it made"
	@echo "make audit [STACKS=a,b] read-only drift audit of every stack: report in .state/audit/; exit 0 clean, 2 findings, 3 mandatory policy, 4 incomplete"
	@echo "make bench              benchmark of the program under mocks (prints figures)"
	@echo "make bench-engine       real-engine preview time per stack against an empty program"

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	@touch $@

engine: install
	bash scripts/engine.sh

test: install engine
	$(BIN)/python -m pytest tests

unit: install
	$(BIN)/python -m pytest tests --ignore=tests/integration

check: install
	$(BIN)/python -m policy.check --stack $(STACK) $(if $(POLICY_CONFIG),--policy-config $(POLICY_CONFIG))

preview: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python scripts/pulumi_run.py preview --stack $(STACK)

rehearse: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python scripts/pulumi_run.py rehearse --stack $(STACK)

audit: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python -m audit $(if $(STACKS),--stacks $(STACKS))

bench: install
	$(BIN)/python bench/bench_program.py

bench-engine: install
	eval "$$(bash scripts/engine.sh)" && $(BIN)/python bench/bench_engine.py

lint-workflows: install
	bash scripts/lint-workflows.sh
