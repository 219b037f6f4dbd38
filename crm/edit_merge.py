"""No edit is ever lost, also after a refusal: the form side of optimistic locking, for every
versioned form (employer, person at the employer, vacancy, trajectory, participant, organisation,
partnership, user).

A versioned form carries, besides ``version``, a signed snapshot (``opened``) of the values it
showed when it was opened. On save the posted values are compared with that snapshot, so the
view knows exactly which fields this user changed. When the service refuses the save as stale
(``StaleRecord``), ``save`` rolls back, reads the stored record and rebases the form on it:

- fields the user did not change get the stored values (a colleague's change is never undone
  by pressing Opslaan again);
- fields the user changed keep the user's values;
- a field that both changed, to different values, is a conflict: it is marked on the form
  (``field.conflict``: their value, who and when, from the audit trail) and the form is shown
  again with the new version and a new snapshot (= the stored values), so that saving then
  writes exactly the user's changes.

When nothing overlaps, the user's changes are applied onto the stored record at once and the
user is told that their save was merged with the colleague's change: that is what a user
expects from pressing Opslaan (their changes saved, the colleague's kept), without a second
round trip. The snapshot is signed with the app's secret key: a tampered or missing snapshot
counts as "every field differing from the stored record was changed by this user", and each
such field is marked as a conflict (nothing is saved unseen); a valid snapshot's version wins
over an edited ``version`` field, so that a form cannot be saved blind by editing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import current_app, flash
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField

from crm.extensions import db
from crm.models import AuditEvent
from crm.services import audit_log
from crm.services.errors import StaleRecord

SALT = "crm.edit-snapshot"
# Fields that are not the record's values: the form's own machinery.
NOT_VALUES = {"csrf_token", "version", "opened", "_form", "submit"}
NOT_VALUE_TYPES = {"CSRFTokenField", "SubmitField"}
MAX_ATTEMPTS = 3  # a merge that meets yet another save in between is retried, then shown


def opened_field() -> HiddenField:
    """The hidden field a versioned form declares as ``opened``."""
    return HiddenField()


def _plain(value: Any) -> Any:
    """A field's data in a comparable, JSON-safe form: empty is "", dates as ISO text, lists as
    sorted lists (a multi-select in another order is the same choice)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return str(value)


def value_fields(form: FlaskForm) -> list[str]:
    return [f.name for f in form if f.name not in NOT_VALUES and f.type not in NOT_VALUE_TYPES]


def values(form: FlaskForm) -> dict[str, Any]:
    """The record's values as ``form`` holds them."""
    return {name: _plain(form[name].data) for name in value_fields(form)}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def open_form(form: FlaskForm, version: int, stored: dict[str, Any] | None = None) -> None:
    """Stamp ``form`` with the stored values at ``version`` (``stored``, else what the form
    shows now): call on a GET of an edit form; ``save`` calls it after a rebase, with the
    stored values, so that the user's changes still count as theirs on the next save."""
    form.version.data = str(version)
    form.opened.data = _serializer().dumps({"v": version, "f": values(form) if stored is None else stored})


def opened_snapshot(form: FlaskForm) -> tuple[int, dict[str, Any]] | None:
    """The version and values the posted form showed when it was opened; None when the snapshot
    is missing or tampered with."""
    raw = form.opened.raw_data[0] if form.opened.raw_data else ""
    try:
        snapshot = _serializer().loads(raw)
    except BadSignature:
        return None
    if (
        not isinstance(snapshot, dict)
        or not isinstance(snapshot.get("v"), int)
        or not isinstance(snapshot.get("f"), dict)
    ):
        return None
    return snapshot["v"], snapshot["f"]


def _shown(f, value: Any) -> Any:
    """A field's data as the user reads it: a select's label, a list joined, ja/nee."""
    if isinstance(value, bool):
        from flask_babel import gettext as _

        return _("ja") if value else _("nee")
    choices = getattr(f, "choices", None)
    if choices and not callable(choices):
        labels = {}
        for choice in choices:
            if isinstance(choice, tuple | list) and len(choice) >= 2:
                labels[_plain(choice[0])] = str(choice[1])
        if isinstance(value, list):
            return ", ".join(labels.get(v, str(v)) for v in value)
        return labels.get(value, value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


@dataclass
class Outcome:
    """What became of a save: ``saved`` (commit and redirect), ``merged`` (who changed what
    meanwhile, when the user's changes were merged onto theirs), or refused: ``changes`` (the
    described events since the form was opened) and ``conflicts`` (fields both changed)."""

    saved: bool = False
    merged: list[dict] = field(default_factory=list)
    changes: list[dict] | None = None
    conflicts: list[dict] = field(default_factory=list)


def save(
    form: FlaskForm,
    *,
    write: Callable[[int], Any],
    reload: Callable[[], tuple[Any, FlaskForm]],
    changes_since: Callable[[Any, int], list[AuditEvent]],
    label_for: Callable[[str], str] | None = None,
    audit_keys: dict[str, str | Iterable[str]] | None = None,
    value_labels: dict[str, dict] | None = None,
    version_attr: str = "version",
) -> Outcome:
    """Save ``form`` through ``write(version)`` (the service call; raises ``StaleRecord`` when
    someone saved in between) and merge as the module docstring says.

    ``reload()`` runs after the rollback and returns the stored record and a form built from it
    (``formdata=None``); ``changes_since(record, version)`` gives the audited changes since;
    ``audit_keys`` maps a form field to the audit trail's key(s) where they differ. Other
    ``ServiceError``s pass through to the view, with ``form`` already rebased when it was."""
    snapshot = opened_snapshot(form)
    # The signed snapshot says which version the form was opened on; a posted ``version`` that
    # disagrees with it was edited, and the older of the two is the one to check against.
    version = form.submitted_version() if snapshot is None else min(snapshot[0], form.submitted_version())
    opened = snapshot[1] if snapshot is not None and snapshot[0] == version else None
    mine_all = values(form)
    first_version = version
    record: Any = None
    for _attempt in range(MAX_ATTEMPTS):
        try:
            write(version)
        except StaleRecord:
            db.session.rollback()  # the refused save is undone here, not in the service
        else:
            if version == first_version:
                return Outcome(saved=True)
            return Outcome(
                saved=True, merged=_describe(record, first_version, changes_since, form, label_for, value_labels)
            )
        record, fresh = reload()
        stored = values(fresh)
        if opened is None:  # no trustworthy snapshot: every difference may be the user's
            mine = {n for n in stored if mine_all.get(n) != stored[n]}
            theirs = set(mine)
        else:
            mine = {n for n in stored if mine_all.get(n) != opened.get(n)}
            theirs = {n for n in stored if stored[n] != opened.get(n)}
        conflicting = {n for n in mine & theirs if mine_all.get(n) != stored[n]}
        for name in value_fields(form):  # rebase: the stored record plus the user's own changes
            if name not in mine:
                form[name].process(None, fresh[name].data)
                form[name].raw_data = []  # shown from data (a number field shows raw_data first)
        open_form(form, getattr(record, version_attr), stored)
        if not conflicting:
            version = getattr(record, version_attr)
            continue
        changes = _describe(record, first_version, changes_since, form, label_for, value_labels)
        events = changes_since(record, first_version)
        conflicts = []
        for name in value_fields(form):
            if name not in conflicting:
                continue
            keys = (audit_keys or {}).get(name, name)
            keys = {keys} if isinstance(keys, str) else set(keys)
            last = next((e for e in reversed(events) if keys & set((e.changes or {}).keys())), None)
            who = described_who(changes, last)
            conflict = {
                "name": name,
                "label": str(form[name].label.text),
                "yours": _shown(form[name], mine_all.get(name)),
                "theirs": _shown(fresh[name], stored[name]),
                "who": who,
                "when": last.occurred_at if last is not None else None,
            }
            form[name].conflict = conflict  # read by _macros/forms.html
            conflicts.append(conflict)
        return Outcome(changes=changes, conflicts=conflicts)
    # yet another save each time: show the rebased form, nothing overlapping, ready to save
    return Outcome(changes=_describe(record, first_version, changes_since, form, label_for, value_labels))


def described_who(changes: list[dict], event: AuditEvent | None) -> str:
    if event is None:
        return ""
    return next((c["who"] for c in changes if c["id"] == event.id), "")


def _describe(record, version, changes_since, form, label_for, value_labels) -> list[dict]:
    def label(key: str) -> str:
        if label_for is not None:
            return label_for(key)
        return str(form[key].label.text) if key in form else audit_log.field_label(key)

    return audit_log.describe_changes(changes_since(record, version), label, value_labels=value_labels)


def merged_message(merged: list[dict]) -> str:
    """The flash after an automatic merge: whose changes were kept."""
    from flask_babel import gettext as _

    who = ", ".join(dict.fromkeys(c["who"] for c in merged)) or _("iemand anders")
    fields = ", ".join(dict.fromkeys(str(r["field"]) for c in merged for r in c["rows"]))
    if fields:
        return _(
            "Intussen had %(who)s ook iets gewijzigd (%(fields)s). Uw wijzigingen zijn daaraan toegevoegd; "
            "beide zijn bewaard.",
            who=who,
            fields=fields,
        )
    return _("Intussen had %(who)s ook iets gewijzigd. Uw wijzigingen zijn daaraan toegevoegd.", who=who)


def commit_saved(outcome: Outcome) -> bool:
    """The view's last step of a save: commit when it was saved, and say whose changes were
    kept when it was merged. True when saved (the view then flashes its own message)."""
    if not outcome.saved:
        return False
    db.session.commit()
    if outcome.merged:
        flash(merged_message(outcome.merged), "info")
    return True
