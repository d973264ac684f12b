"""The reliability suites: hostile disks and input, injected faults, load and
crashes, memory over many tests, and a model-based test of the store.
Their figures feed doc/reliability.rst (see support.reliability).
"""
