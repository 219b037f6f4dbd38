"""Ambition vs realised (/pijplijn/ambities, and the partnership page), and entering ambitions.

A partnership steers on how many duaal and EVC trajectories it realised against the ambition it
set for a programme period. The rules, as the pages state them:

- *Stand* (read from the start tally, crm/models/tallies.py): trajectories of the partnership whose actual start date lies in the programme period
  (``starts_on`` .. ``ends_on``, both included) and whose status is gestart, afgerond or
  uitgevallen (``STARTED``): a trajectory that dropped out after it started still counts; one
  that dropped out before its start (no actual start date) does not.
- *Procent*: Stand / Ambitie x 100, rounded to a whole number, half up (32.5 -> 33); no
  ambition (0 or none entered) -> "–". The total row adds up ambitions and stands first.

Ambitions are entered per partnership, period and kind; a save that would overwrite an ambition
the user has not seen is refused (:class:`AmbitionsChanged`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from crm import permissions
from crm.extensions import db
from crm.i18n import format_date
from crm.i18n import lazy_gettext as _l
from crm.labels import (
    TRAJECTORY_KIND_LABELS,
)
from crm.lib.clock import today
from crm.models import (
    Ambition,
    AuditEvent,
    Partnership,
    ProgrammePeriod,
    TrajectoryStartTally,
    User,
)
from crm.models.trajectories import TRAJECTORY_KINDS
from crm.services.audit import audit
from crm.services.audit_log import actor_names
from crm.services.errors import ServiceError, StaleRecord
from crm.services.pipeline.exports import code_label, percent


@dataclass
class AmbitionLine:
    label: str
    kind: str | None  # None for the total row
    target: int
    realised: int

    @property
    def percent(self) -> int | None:
        return percent(self.realised, self.target)


@dataclass
class PeriodReport:
    period: ProgrammePeriod
    lines: list[AmbitionLine]  # duaal, EVC, total
    per_partnership: list[tuple[Partnership, list[AmbitionLine]]]
    chart: dict

    @property
    def has_ambition(self) -> bool:
        return any(line.target for line in self.lines)


def periods(period_id: int | None = None) -> list[ProgrammePeriod]:
    query = select(ProgrammePeriod).order_by(ProgrammePeriod.starts_on.desc(), ProgrammePeriod.id)
    if period_id is not None:
        query = query.where(ProgrammePeriod.id == period_id)
    return list(db.session.scalars(query))


def ambition_reports(
    partnership_ids: list[int] | None, period_id: int | None = None, *, on: date | None = None
) -> list[PeriodReport]:
    """For each programme period: Ambitie | Stand | Procent for duaal, EVC and the total, summed
    over the partnerships (``None``: all), and per partnership. Four queries in all.

    No permission check: the numbers carry no personal data (the partnership page shows them to
    every user); the pipeline page checks ``scope_for`` first."""
    on = on or today()
    shown = periods(period_id)
    if not shown:
        return []
    partnership_query = select(Partnership).order_by(Partnership.name)
    if partnership_ids is not None:
        partnership_query = partnership_query.where(Partnership.id.in_(partnership_ids or [-1]))
    partnerships = list(db.session.scalars(partnership_query))
    ids = [p.id for p in partnerships]
    period_ids = [p.id for p in shown]

    targets: dict[tuple[int, int, str], int] = {}
    for a_partnership, a_period, kind, target in db.session.execute(
        select(Ambition.partnership_id, Ambition.period_id, Ambition.kind, Ambition.target).where(
            Ambition.partnership_id.in_(ids or [-1]), Ambition.period_id.in_(period_ids)
        )
    ):
        targets[(a_partnership, a_period, kind)] = target

    # The Stand from the start tally (crm/models/tallies.py: started trajectories per
    # partnership, kind and start date, kept by triggers): a few thousand rows, not every trajectory.
    realised: dict[tuple[int, int, str], int] = {}
    tally = TrajectoryStartTally
    stand = (
        select(tally.partnership_id, ProgrammePeriod.id, tally.kind, func.sum(tally.n))
        .select_from(tally)
        .join(
            ProgrammePeriod,
            and_(tally.actual_start >= ProgrammePeriod.starts_on, tally.actual_start <= ProgrammePeriod.ends_on),
        )
        .where(tally.partnership_id.in_(ids or [-1]), ProgrammePeriod.id.in_(period_ids))
        .group_by(tally.partnership_id, ProgrammePeriod.id, tally.kind)
    )
    for r_partnership, r_period, kind, count in db.session.execute(stand):
        realised[(r_partnership, r_period, kind)] = count

    daily = _started_per_day(ids, min(p.starts_on for p in shown), max(p.ends_on for p in shown))

    reports = []
    for period in shown:
        per_partnership = []
        for partnership in partnerships:
            lines = _lines(
                {kind: targets.get((partnership.id, period.id, kind), 0) for kind in TRAJECTORY_KINDS},
                {kind: realised.get((partnership.id, period.id, kind), 0) for kind in TRAJECTORY_KINDS},
            )
            per_partnership.append((partnership, lines))
        lines = _lines(
            {
                kind: sum(t for (_p, pe, k), t in targets.items() if pe == period.id and k == kind)
                for kind in TRAJECTORY_KINDS
            },
            {
                kind: sum(n for (_p, pe, k), n in realised.items() if pe == period.id and k == kind)
                for kind in TRAJECTORY_KINDS
            },
        )
        reports.append(PeriodReport(period, lines, per_partnership, _cumulative_chart(period, lines, daily, on)))
    return reports


def _lines(targets: dict[str, int], realised: dict[str, int]) -> list[AmbitionLine]:
    lines = [
        AmbitionLine(code_label(TRAJECTORY_KIND_LABELS, kind), kind, targets[kind], realised[kind])
        for kind in TRAJECTORY_KINDS
    ]
    lines.append(AmbitionLine(str(_l("Totaal")), None, sum(targets.values()), sum(realised.values())))
    return lines


def _started_per_day(partnership_ids: list[int], first: date, last: date) -> dict[str, dict[date, int]]:
    """Started trajectories (the Stand rule) per kind and start date: one grouped query, on the
    start tally."""
    result: dict[str, dict[date, int]] = {kind: {} for kind in TRAJECTORY_KINDS}
    tally = TrajectoryStartTally
    query = (
        select(tally.kind, tally.actual_start, func.sum(tally.n))
        .where(
            tally.partnership_id.in_(partnership_ids or [-1]),
            tally.actual_start >= first,
            tally.actual_start <= last,
        )
        .group_by(tally.kind, tally.actual_start)
        .having(func.sum(tally.n) > 0)
    )
    for kind, day, count in db.session.execute(query):
        if isinstance(day, str):  # SQLite may hand back text for a grouped date
            day = date.fromisoformat(day)
        if day is not None:  # always: STARTED and the date range leave out a missing start
            result[kind][day] = count
    return result


def _month_ends(period: ProgrammePeriod) -> list[date]:
    ends, year, month = [], period.starts_on.year, period.starts_on.month
    while True:
        following = date(year + month // 12, month % 12 + 1, 1)
        end = min(following - timedelta(days=1), period.ends_on)
        ends.append(end)
        if end >= period.ends_on:
            return ends
        year, month = following.year, following.month


def _cumulative_chart(
    period: ProgrammePeriod, lines: list[AmbitionLine], daily: dict[str, dict[date, int]], on: date
) -> dict:
    """Cumulative started trajectories at each month's end (none after today), per kind, and the
    ambition as a straight line from 0 at the start to the target at the end of the period."""
    ends = _month_ends(period)
    length = (period.ends_on - period.starts_on).days + 1
    datasets: list[dict[str, Any]] = []
    targets = {line.kind: line.target for line in lines if line.kind}
    for kind in TRAJECTORY_KINDS:
        days = sorted((d, n) for d, n in daily[kind].items() if period.starts_on <= d <= period.ends_on)
        values, running, index = [], 0, 0
        for end in ends:
            while index < len(days) and days[index][0] <= end:
                running += days[index][1]
                index += 1
            month_start = date(end.year, end.month, 1)
            values.append(running if max(month_start, period.starts_on) <= on else None)
        ambition = [round(targets[kind] * ((end - period.starts_on).days + 1) / length, 1) for end in ends]
        name = code_label(TRAJECTORY_KIND_LABELS, kind)
        realised_label = str(_l("%(kind)s: gestart (cumulatief)", kind=name))
        datasets.append({"label": realised_label, "kind": kind, "role": "realised", "data": values})
        datasets.append(
            {"label": str(_l("%(kind)s: ambitie", kind=name)), "kind": kind, "role": "ambition", "data": ambition}
        )
    # month names in the user's language: "mrt 2025", "Mar 2025"
    return {"labels": [format_date(end, "LLL yyyy") for end in ends], "datasets": datasets}


# --- entering ambitions -----------------------------------------------------------------------


@dataclass
class AmbitionChange:
    """One kind whose ambition differs from what the form showed: who set it, and when."""

    kind: str
    seen: int | None
    now: int | None
    by: str = ""
    at: datetime | None = None


class AmbitionsChanged(StaleRecord):
    """The ambitions changed since the form was opened (or were never shown): nothing saved."""

    def __init__(self, current: dict[str, int | None], changes: list[AmbitionChange]):
        super().__init__("De ambities zijn intussen gewijzigd; er is niets opgeslagen.")
        self.current, self.changes = current, changes


def set_ambitions(
    actor: User,
    partnership: Partnership,
    period: ProgrammePeriod,
    targets: Mapping[str, int | None],
    *,
    seen: dict[str, int | None],
) -> list[Ambition]:
    """Enter (or change) the ambitions of a partnership for a period, per kind. One row per
    (partnership, period, kind): an existing one is updated. ``seen``: the ambitions the form
    showed (None: none yet). When they are no longer what is stored, nothing is saved and
    AmbitionsChanged says what changed, by whom: an ambition is never overwritten unseen.
    Flushes, never commits."""
    permissions.require(
        permissions.can_edit_ambitions(actor, partnership),
        _("Alleen coördinatoren van dit samenwerkingsverband en beheerders stellen de ambities vast."),
    )
    checked: dict[str, int] = {}
    for kind, target in targets.items():
        if kind not in TRAJECTORY_KINDS:
            raise ServiceError(_("Onbekende soort traject: %(kind)s.", kind=kind))
        if target is None or target < 0:
            raise ServiceError(_("Een ambitie is een aantal trajecten van 0 of meer; een negatief getal kan niet."))
        checked[kind] = target
    existing = {
        a.kind: a
        for a in db.session.scalars(
            select(Ambition)
            .where(Ambition.partnership_id == partnership.id, Ambition.period_id == period.id)
            .with_for_update()  # PostgreSQL: a concurrent save waits here, then sees this one's values
        )
    }
    _check_seen(existing, seen, checked)
    saved = []
    for kind, target in checked.items():
        ambition = existing.get(kind)
        if ambition is None:
            ambition = Ambition(partnership=partnership, period=period, kind=kind, target=target)
            try:
                with db.session.begin_nested():  # a savepoint: only this insert is undone below
                    db.session.add(ambition)
            except IntegrityError:  # created by a concurrent save in the meantime
                current = current_targets(partnership.id, period.id)
                raise AmbitionsChanged(
                    {k: current.get(k) for k in TRAJECTORY_KINDS},
                    [AmbitionChange(k, seen.get(k), current.get(k)) for k in checked if current.get(k) != seen.get(k)],
                ) from None
            audit(
                actor,
                "create",
                ambition,
                summary=f"Ambitie {kind} {period.name} voor {partnership.name}: {target}",
                changes={"target": [None, target]},
            )
        elif ambition.target != target:
            before = ambition.target
            ambition.target = target
            audit(
                actor,
                "update",
                ambition,
                summary=f"Ambitie {kind} {period.name} voor {partnership.name}: {before} -> {target}",
                changes={"target": [before, target]},
            )
        saved.append(ambition)
    db.session.flush()
    return saved


def _check_seen(existing: dict[str, Ambition], seen: dict[str, int | None], targets: dict[str, int]) -> None:
    current = {kind: existing[kind].target if kind in existing else None for kind in TRAJECTORY_KINDS}
    differs = [kind for kind in targets if current[kind] != seen.get(kind)]
    if not differs:
        return
    ids = [existing[kind].id for kind in differs if kind in existing]
    last: dict[int, AuditEvent] = {}
    if ids:
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "ambition", AuditEvent.object_id.in_(ids))
            .order_by(AuditEvent.id)
        )
        last = {event.object_id: event for event in events if event.object_id is not None}  # the latest per ambition
    names = actor_names(list(last.values()))
    changes = []
    for kind in differs:
        event = last.get(existing[kind].id) if kind in existing else None
        by = names.get(event.actor_id, "") if event is not None and event.actor_id is not None else ""
        changes.append(AmbitionChange(kind, seen.get(kind), current[kind], by, event.occurred_at if event else None))
    raise AmbitionsChanged(current, changes)


def editable_partnerships(actor: User) -> list[Partnership]:
    """The partnerships whose ambitions ``actor`` may enter."""
    if permissions.is_admin(actor):
        return list(db.session.scalars(select(Partnership).order_by(Partnership.name)))
    if not permissions.is_coordinator(actor):
        return []
    members = permissions.coordinated_partnerships(actor)
    return list(db.session.scalars(select(Partnership).where(Partnership.id.in_(members)).order_by(Partnership.name)))


def current_targets(partnership_id: int, period_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Ambition.kind, Ambition.target).where(
                Ambition.partnership_id == partnership_id, Ambition.period_id == period_id
            )
        ).all()
    )
