"""Whole features run for real across the layers: the outcome matrix of
every runner, and the leak checks in real pytest and stestr runs.
"""
