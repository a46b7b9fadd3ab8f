"""The process harness shared by tests and benchmarks: a real split started from a Procfile."""
