# CityContact — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
DATA  := $(CURDIR)/.data
PGDIR := $(DATA)/pg
PGPORT ?= 55432

.PHONY: run test bench db migrate clean

run: db
	@bash scripts/run.sh "$(PGPORT)"

test:
	@bash scripts/test.sh

bench:
	@bash scripts/bench.sh

db:
	@bash scripts/deps.sh
	@bash scripts/pg.sh start "$(PGDIR)" "$(PGPORT)" >/dev/null
	@echo "PostgreSQL: Host=127.0.0.1;Port=$(PGPORT);Username=postgres (data in .data/pg)"

clean:
	-@bash scripts/pg.sh stop "$(PGDIR)"
	rm -rf $(DATA) */*/bin */*/obj TestResults BenchmarkDotNet.Artifacts
