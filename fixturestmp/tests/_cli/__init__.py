"""Tests of fixturestmp._cli: the ``fixturestmp`` command, one module each."""
