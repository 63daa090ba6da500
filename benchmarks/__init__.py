"""Benchmarks (run as scripts; they print their figures)."""
