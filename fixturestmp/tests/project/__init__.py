"""Tests of the project around the package: the docs' examples and commands,
and the benchmarks' harness.
"""
