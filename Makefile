# The two commands: `make run` starts Chorus with a demo region; `make test` runs everything.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: setup run test lint typecheck unit bench clean deploy-tools deploy-check

setup:
	@scripts/bootstrap.sh

run: setup
	$(UV) run --frozen chorus up

# Two worker processes (pytest-xdist), each with its own Kafka broker and PostgreSQL server;
# a file's tests stay together in one worker. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2

test: setup lint typecheck deploy-tools
	@scripts/install-browser.sh
	@scripts/test-servers.sh
	$(UV) run --frozen pytest -n $(TEST_WORKERS) --dist loadfile

lint: setup
	$(UV) run --frozen ruff check .

typecheck: setup
	$(UV) run --frozen mypy shared/chorus services/registry/registry services/opportunities/opportunities services/feedback/feedback services/notifications/notifications services/portal/portal

unit: setup
	$(UV) run --frozen pytest tests/unit tests/kernel -m "not postgres and not kafka"

deploy-tools:
	@scripts/install-kustomize.sh

deploy-check: setup deploy-tools
	$(UV) run --frozen pytest tests/deploy

bench: setup
	@scripts/test-servers.sh
	$(UV) run --frozen python -m bench.kernel
	$(UV) run --frozen python -m bench.opportunities
	$(UV) run --frozen python -m bench.feedback
	$(UV) run --frozen python -m bench.platform

clean:
	rm -rf .chorus bench/results/*.tmp
