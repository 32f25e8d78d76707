"""``python -m interfaces``: the ``symbiosis`` command line, for when the script is not on PATH."""

import sys

from interfaces.cli import main

sys.exit(main())
