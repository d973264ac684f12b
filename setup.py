"""Build: setup.cfg holds the metadata; this adds the start-up hook file."""

import base64
import hashlib
import os
import zipfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

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


class EditableWheelWithPth(editable_wheel):
    """An editable install (``pip install -e``) gets the start-up hook too.

    The editable wheel holds no build output, only the files that point
    Python at the source tree: the hook file is added to it, with its line
    in ``RECORD``. Its name sorts after setuptools' ``__editable__.*.pth``,
    so the source tree is importable when Python reads it.
    """

    def run(self) -> None:
        super().run()
        for wheel in Path(self.dist_dir).glob("*.whl"):
            _add_to_wheel(wheel, PTH, Path(PTH).read_bytes())


def _add_to_wheel(wheel: Path, name: str, data: bytes) -> None:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    line = f"{name},sha256={digest.rstrip(b'=').decode()},{len(data)}\n"
    with zipfile.ZipFile(wheel) as source:
        if name in source.namelist():
            return
        rewritten = wheel.with_suffix(".tmp")
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                payload = source.read(item.filename)
                if item.filename.endswith(".dist-info/RECORD"):
                    payload = payload.rstrip(b"\n") + b"\n" + line.encode()
                target.writestr(item, payload)
            target.writestr(name, data)
    os.replace(rewritten, wheel)


setup(cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth})
