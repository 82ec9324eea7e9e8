"""``python -m pipbench`` runs the CLI."""

import sys

from pipbench.cli import main

sys.exit(main())
