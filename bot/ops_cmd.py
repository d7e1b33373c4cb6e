"""``signalpilot backup``, ``signalpilot restore FILE`` and ``signalpilot export --trades FILE.csv``.

SQLite only for backup and restore (PostgreSQL: the pg_dump recipe is printed, exit 2). A restore
refuses while a bot runs on the database (exit 2) and keeps the replaced file beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from config.settings import Settings
from engine.errors import BackupError
from engine.storage import backup as backups

EXIT_FAILED = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("backup", help="copy the SQLite database into SP_BACKUP__DIR now (PostgreSQL: how to pg_dump)")
    restore = sub.add_parser("restore", help="replace the SQLite database by a backup (the bot must be stopped)")
    restore.add_argument("file", type=Path, help="a backup file, e.g. data/backups/signalpilot-paper-….db")
    export = sub.add_parser("export", help="write closed trades as CSV")
    export.add_argument("--trades", type=Path, required=True, metavar="FILE.csv", help="the CSV file to write")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.command == "backup":
            db = backups.sqlite_path(settings.database_url)
            path = backups.backup(db, Path(settings.backup.dir), datetime.now(UTC), settings.backup.keep)
            print(f"backup written: {path} ({path.stat().st_size:,} bytes); "
                  f"{len(backups.backups(path.parent, db))} kept in {path.parent}")
            return 0
        if args.command == "restore":
            db = backups.sqlite_path(settings.database_url)
            kept = backups.restore(args.file, db, datetime.now(UTC))
            print(f"restored {db} from {args.file}" + (f"; the replaced database is kept as {kept}" if kept else ""))
            return 0
        from engine.exports import export_trades

        count = asyncio.run(export_trades(settings.database_url, args.trades))
        print(f"{count} closed trades written to {args.trades}")
        return 0
    except BackupError as exc:
        print(f"signalpilot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"signalpilot: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_FAILED
