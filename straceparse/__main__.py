"""``python -m straceparse``: the same as the ``straceparse`` command."""

import sys

from .cli import main

sys.exit(main())
