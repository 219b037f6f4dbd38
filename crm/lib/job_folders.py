"""A job kept as a folder, not a row: imports (crm.services.imports.store) and exports
(crm.services.export_jobs) each live in a folder named by a random token, with ``meta.json``
saying where they are, on storage that web and worker share. What both need is here: a new
folder, ``meta.json`` read and written whole (a reader never sees half a file), the states a
worker goes through, and removing folders left alone too long."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TOKEN = re.compile(r"[0-9a-f]{32}")  # a folder name: secrets.token_hex(16)
QUEUED, RUNNING, DONE = "queued", "running", "done"


def new_folder(parent: Path) -> Path:
    """A new folder under ``parent`` named by a random token, readable only by this user."""
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = parent / secrets.token_hex(16)
    folder.mkdir(mode=0o700)
    return folder


def read_meta(folder: Path) -> dict | None:
    """The folder's ``meta.json``; None when it is gone or unreadable."""
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def remove_old(folders: Iterable[Path], max_age: int) -> int:
    """Remove the folders left alone longer than ``max_age`` seconds; returns how many."""
    limit = time.time() - max_age
    removed = 0
    for folder in folders:
        if folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


class JobFolder:
    """One job: its folder and its ``meta.json`` (``meta``)."""

    def __init__(self, folder: Path, meta: dict):
        self.folder = folder
        self.meta = meta

    @property
    def token(self) -> str:
        return self.folder.name

    @property
    def done(self) -> bool:
        return self.meta.get("state") == DONE

    @property
    def busy(self) -> bool:
        """Handed to a worker and not finished: queued, or running."""
        return self.meta.get("state") in (QUEUED, RUNNING)

    def write(self, name: str, content: bytes) -> None:
        """A file of the job, complete or not at all."""
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(content)
        os.replace(temporary, self.folder / name)

    def write_json(self, name: str, data: Any) -> None:
        self.write(name, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def save_meta(self) -> None:
        self.write_json("meta.json", self.meta)
