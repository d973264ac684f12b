"""The example suite ``fixturestmp demo`` runs: passing, failing, leaking."""
