"""The one adapter to private internals: of unittest and testtools (the
running case, its outcome, its result) and of the interpreter (the
environment's encoded copy, multiprocessing's and eventlet's state).
"""
