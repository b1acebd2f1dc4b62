"""``python -m training``: the command line (see :mod:`training.cli`)."""

import sys

from training.cli import main

sys.exit(main())
