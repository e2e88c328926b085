"""`python -m core`: the model-config command line."""

import sys

from .cli import main

sys.exit(main())
