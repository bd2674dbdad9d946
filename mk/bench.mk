# Benchmarks (issue 8): what the collection costs at fleet scale. Not part of `make test`.
#   make bench                     everything: API cost at 100/1,000/5,000 instances, then enrollment on 1/3/6 hosts
#   make bench BENCH=api           the API part only (a few minutes, no Docker)
#   make bench BENCH=hosts         the enrollment part only
#   make bench BENCH_SIZES=100,1000 BENCH_HOSTS=1,3   smaller runs
# Writes bench/results.json and bench/results.md; a part not run keeps its earlier figures. See bench/README.md.

BENCH       ?= all
BENCH_SIZES ?= 100,1000,5000
BENCH_HOSTS ?= 1,3,6

.PHONY: bench

bench: venv collection-link $(if $(filter api,$(BENCH)),,docker-up)  ## benchmarks (BENCH=api|hosts|all) → bench/results.{json,md}
	$(PYTHON) -m bench --part $(BENCH) --sizes $(BENCH_SIZES) --hosts $(BENCH_HOSTS)
