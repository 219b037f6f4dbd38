"""Keeping an import in progress between the steps (upload, mapping, preview, import): a folder
per import on the server, named by a random token and readable only by its owner.

The import itself runs in a Celery task on the ``bulk`` queue (tasks/imports.py), perhaps on
another machine: the folder is where web and worker meet (``CRM_IMPORT_DIR``, shared storage
when they run apart). ``meta.json`` says where the import is: ``uploaded``/``checked`` (the
steps), ``queued`` (confirmed, waiting for a worker), ``running`` (with rows checked so far),
``done``; a failed run goes back to ``checked`` with its message in ``error``."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from flask import current_app

from crm import permissions
from crm.forms import CONTROL_CHARS
from crm.i18n import lazy_gettext as _l
from crm.lib.job_folders import DONE, QUEUED, RUNNING, TOKEN, JobFolder, new_folder, read_meta, remove_old
from crm.models import User
from crm.models.base import utcnow
from crm.services.imports.checking import Check, KnownRow, known_rows
from crm.services.imports.fields import FIELD_BY_KEY
from crm.services.imports.importing import ImportResult
from crm.services.imports.reading import Table

MAX_AGE_SECONDS = 24 * 3600

# Why a run wrote nothing, by code (``StoredImport.failed``): kept as the code, so the owner
# reads it in their own language (a ServiceError's message is kept as its text).
FAILURES = {
    "not_allowed": _l("U mag geen werkgevers (meer) importeren. Er is niets opgeslagen."),
    "kvk_race": _l(
        "Terwijl u importeerde, is er een werkgever met een van deze KvK-nummers aangemaakt. "
        "Er is niets opgeslagen; controleer het bestand opnieuw."
    ),
    "interrupted": _l(
        "De import is onderbroken. Kijk in de werkgeverslijst of de werkgevers zijn aangemaakt "
        "voordat u het bestand opnieuw importeert."
    ),
    "server_error": _l("De import is mislukt door een fout op de server. Er is niets opgeslagen."),
    "not_queued": _l("De import kon niet worden gestart. Probeer het over een paar minuten opnieuw."),
}


def failure_text(error: str) -> str:
    """The message for a failed run's ``error``: a code of ``FAILURES``, or a message as such."""
    return str(FAILURES.get(error, error))


class StoredImport(JobFolder):
    """One import in progress: a folder named by a random token, readable only by its owner.

    ``meta.json`` (owner, file name, mapping, state), ``table.json`` (the parsed file),
    ``check.json`` (the preview), ``report.csv`` (refused rows, after the import).
    """

    @property
    def file_name(self) -> str:
        return self.meta["file_name"]

    def _read_json(self, name: str) -> Any:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))

    def table(self) -> Table:
        return Table.from_json(self._read_json("table.json"))

    @property
    def mapping(self) -> dict[str, int]:
        return {key: int(column) for key, column in (self.meta.get("mapping") or {}).items()}

    def save_preview(self, check: Check) -> None:
        self.write_json(
            "check.json",
            {
                "totals": check.totals,
                "rows": [
                    {
                        "number": r.number,
                        "status": r.status,
                        "name": r.shown("name"),
                        "kvk": r.shown("kvk_number"),
                        "place": " ".join(p for p in (r.shown("postcode"), r.shown("city")) if p),
                        "municipality": r.shown("municipality"),
                        "errors": [[str(FIELD_BY_KEY[key].label), message] for key, message in r.errors],
                        "existing": list(r.existing) if r.existing else None,
                        "same_as_row": r.same_as_row,
                    }
                    for r in check.rows
                ],
            },
        )

    def save_known(self, check: Check) -> None:
        self.write_json("known.json", {"mapping": check.mapping, "rows": known_rows(check)})

    def known(self) -> list[KnownRow] | None:
        """The preview's ``known_rows``, when they were made with the current mapping."""
        try:
            saved = self._read_json("known.json")
        except (FileNotFoundError, ValueError):
            return None
        if saved.get("mapping") != self.mapping:
            return None
        return [(values, [(key, message) for key, message in errors]) for values, errors in saved["rows"]]

    def preview(self) -> dict | None:
        try:
            return self._read_json("check.json")
        except FileNotFoundError:
            return None

    def claim(self) -> bool:
        """True for exactly one caller: the one that may run the import (a double submit gets False)."""
        try:
            descriptor = os.open(self.folder / "importing.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        os.close(descriptor)
        return True

    def release(self) -> None:
        (self.folder / "importing.lock").unlink(missing_ok=True)

    def queued(self, actor: User) -> None:
        """Claimed by ``actor`` and handed to the worker; the last message of a failed run goes."""
        self.meta.update(state=QUEUED, queued_at=utcnow().isoformat(), queued_by=actor.id, error=None, progress=None)
        self.save_meta()

    def running(self) -> None:
        self.meta.update(state=RUNNING, started_at=utcnow().isoformat())
        self.save_meta()

    def progress(self, done: int, total: int) -> None:
        """Rows checked so far (the import calls this every ``PROGRESS_EVERY`` rows)."""
        self.meta["progress"] = {"done": done, "total": total}
        self.save_meta()

    def failed(self, message: str) -> None:
        """The run wrote nothing: back to the preview, with why (a code of ``FAILURES`` or a
        message); the claim is released."""
        self.meta.update(state="checked", error=message, progress=None)
        self.save_meta()
        self.release()

    def finish(self, result: ImportResult, report: bytes) -> None:
        """Record the outcome and the report; the uploaded data itself is removed."""
        self.write("report.csv", report)
        totals = result.check.totals
        self.meta.update(state=DONE, result={**totals, "created": result.created}, announce=True, progress=None)
        self.save_meta()
        for name in ("table.json", "check.json", "known.json"):
            (self.folder / name).unlink(missing_ok=True)

    def report_path(self) -> Path:
        return self.folder / "report.csv"

    def delete(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class ImportStore:
    """The folder holding imports in progress (``instance/imports`` unless configured)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self, owner: User, file_name: str, table: Table, mapping: dict[str, int]) -> StoredImport:
        stored = StoredImport(
            new_folder(self.root),
            {
                "owner_id": owner.id,
                "file_name": file_name,
                "created_at": utcnow().isoformat(),
                "kind": table.kind,
                "encoding": table.encoding,
                "delimiter": table.delimiter,
                "rows": len(table.rows),
                "mapping": mapping,
                "contactpersoon_id": None,
                "state": "uploaded",
            },
        )
        stored.write_json("table.json", table.as_json())
        stored.save_meta()
        return stored

    def get_for_task(self, token: str) -> StoredImport | None:
        """The import with this token, for the worker (which checks its acting user itself)."""
        if not TOKEN.fullmatch(token or ""):
            return None
        folder = self.root / token
        meta = read_meta(folder)
        return None if meta is None else StoredImport(folder, meta)

    def get(self, token: str, user: User) -> StoredImport | None:
        """The import with this token if ``user`` may see it (``permissions.can_view_import``:
        its owner, while allowed to import); None for a malformed token, someone else's or a
        gone one."""
        stored = self.get_for_task(token)
        if stored is None or not permissions.can_view_import(user, stored.meta.get("owner_id")):
            return None
        return stored

    def sweep(self, max_age: int = MAX_AGE_SECONDS) -> int:
        """Remove imports left alone longer than ``max_age`` seconds (abandoned or long done)."""
        if not self.root.is_dir():
            return 0
        return remove_old((f for f in self.root.iterdir() if f.is_dir() and TOKEN.fullmatch(f.name)), max_age)


def configured_store() -> ImportStore:
    """The installation's store (``IMPORT_FOLDER``, else ``instance/imports``): web and worker alike."""
    folder = current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports"
    return ImportStore(Path(folder))


def display_file_name(name: str | None) -> str:
    """The uploaded file's own name, for the pages and the audit trail (never used as a path)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = CONTROL_CHARS.sub("", base).strip()
    return base[:200] or "bestand"
