"""``python -m fixturestmp``: the ``fixturestmp`` command."""

import sys

from fixturestmp.cli import main

sys.exit(main())
