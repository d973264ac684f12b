"""Hooks into a suite that asks for nothing: the ``.pth`` start-up hook
(``fixturestmp run --adopt`` and per-test leak checks), patching a module
as it is imported, and a start hook for every test.
"""
