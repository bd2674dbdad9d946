"""`make bench`: what the collection costs at fleet scale (API calls, enrollment time, mirror bytes,
controller memory and CPU), written to bench/results.json and bench/results.md. See bench/README.md."""
