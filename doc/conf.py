"""Sphinx configuration for the fixturestmp documentation.

Build with ``tox -e docs`` (warnings are errors).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))
sys.path.insert(0, os.path.dirname(HERE))

project = "fixturestmp"
author = "fixturestmp developers"
copyright = "fixturestmp developers"
release = version = "0.1.0"

extensions = ["sphinx.ext.autodoc", "cli_help"]

exclude_patterns = ["_build"]
root_doc = "index"
pygments_style = "sphinx"

autoclass_content = "both"
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Document what fixturestmp says, not what unittest or testtools say.
autodoc_inherit_docstrings = False
# Keep signatures readable: no expanded default objects, no module prefixes.
autodoc_preserve_defaults = True
add_module_names = False


def _drop_testtools_constructor(app, what, name, obj, options, lines):
    # autoclass_content = "both" appends the docstring of testtools'
    # TestCase.__init__, which fixturestmp.TestCase does not override.
    if name == "fixturestmp.TestCase" and "Construct a TestCase." in lines:
        del lines[lines.index("Construct a TestCase.") :]


def setup(app):
    app.connect("autodoc-process-docstring", _drop_testtools_constructor)


html_theme = "alabaster"
html_title = "fixturestmp"
html_theme_options = {
    "description": "Temporary directories for test suites",
    "page_width": "1100px",
}
