"""Benchmarks, run by ``ktstat bench-*`` commands (never by the default test run)."""
