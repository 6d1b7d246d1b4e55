"""``python -m orionis``: see ``orionis.cli``."""

from orionis.cli import main

raise SystemExit(main())
