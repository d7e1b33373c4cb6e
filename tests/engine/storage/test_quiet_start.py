"""Start-up logs only what matters: migrating a fresh database in a fresh process (the way
``signalpilot run`` does, logging at INFO) prints "database ready" and no alembic line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, sys
from engine.redaction import setup_logging
setup_logging("INFO")
from engine.storage.db import Database

async def main():
    db = Database(sys.argv[1])
    await db.migrate()
    await db.close()

asyncio.run(main())
"""


def test_migrating_at_info_level_prints_no_alembic_lines(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "-c", SCRIPT, f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"],
                          cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert any("engine.storage: database ready (sqlite)" in line for line in lines), lines
    assert [line for line in lines if "alembic" in line] == []
