"""Build: setup.cfg holds the metadata; this adds the start-up hook file."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "fixturestmp-adopt.pth"


class BuildPyWithPth(build_py):
    """Put ``fixturestmp-adopt.pth`` beside the package in site-packages.

    The convention coverage.py and pytest-cov follow for work at interpreter
    start-up; inert unless ``FIXTURESTMP_ADOPT`` is set.
    """

    def run(self) -> None:
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [
            *super().get_outputs(include_bytecode),
            os.path.join(self.build_lib, PTH),
        ]


setup(cmdclass={"build_py": BuildPyWithPth})
