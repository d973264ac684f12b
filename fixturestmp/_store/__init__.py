"""The on-disk session store: base directory, sessions, per-test
directories, manifest, owner records, pruning and removal.

It never imports fixtures or testtools: ``fixturestmp run`` and the other
commands use it without them.
"""
