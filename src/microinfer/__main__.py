"""``python -m microinfer``: the same as the ``microinfer`` command."""

import sys

from .cli import main

sys.exit(main())
