"""The ``fixturestmp`` command's subcommands and what they print or write:
``run``, ``ls``/``show``/``clean``, ``collect``, ``report``, ``demo``.
"""
