"""python -m bot: the same command line as `revbot`."""

from bot.cli import main

raise SystemExit(main())
