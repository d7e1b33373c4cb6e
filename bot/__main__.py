"""``python -m bot``: the same as the ``signalpilot`` command."""

from bot.cli import main

raise SystemExit(main())
