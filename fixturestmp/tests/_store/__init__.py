"""Tests of fixturestmp._store: the on-disk store, one module each."""
