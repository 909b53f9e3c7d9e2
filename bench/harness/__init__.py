"""Lucid benchmark harness internals (see bench/run.py)."""
