"""``python -m shenjing``: the command line."""

import sys

from shenjing.cli import main

sys.exit(main())
