"""`python -m analysis ...` is `algoprogress ...` (the workflow's rules call it this way)."""

import sys

from .cli import main

sys.exit(main())
