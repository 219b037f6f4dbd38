"""Programme periods (programmaperiodes): the periods ambitions are entered for and results
("stand") are counted in. Admins create, change and delete them (``/beheer/programmaperiodes``).

The rules:

- A name is required and unique (ignoring case and surrounding spaces).
- A period ends on or after the day it starts (also a constraint on the table).
- Periods do not overlap. Both dates belong to the period, as in the stand rule of
  ``crm.services.pipeline`` (actual start date from ``starts_on`` through ``ends_on``): a
  trajectory that started on a day two periods share would count in the stand of both, and
  ``crm.services.trajectories.period_containing`` could not tell which period a start belongs
  to. A period that ends on 31 December and one that starts on 1 January do not overlap.
- Changing the dates of a period changes which trajectories count in its stand; the ambitions
  and the trajectories linked to it stay linked. The edit page shows how many there are.
- A period is deleted only when no ambition and no trajectory refers to it.

Every change writes an audit event. Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, select, text
from sqlalchemy.exc import IntegrityError

from crm import permissions
from crm.extensions import db
from crm.i18n import lazy_gettext as _l
from crm.models import Ambition, ProgrammePeriod, Trajectory, User
from crm.services import versions
from crm.services.audit import audit, diff
from crm.services.errors import ServiceError, StaleRecord
from crm.services.pipeline import STARTED
from crm.services.validation import Invalid, no_bidi_controls

NAME_MAX = 50
NOT_ALLOWED = _l("Alleen beheerders leggen programmaperiodes vast.")


class PeriodRefused(ServiceError):
    """A rule refused the period; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PeriodUsage:
    """What refers to a period, and what its dates make count."""

    ambitions: int = 0  # ambition rows (partnership x kind) entered for the period
    trajectories: int = 0  # trajectories linked to the period (their "programmaperiode")
    started: int = 0  # trajectories in the stand: started (rule of the pipeline) within its dates

    @property
    def in_use(self) -> bool:
        return bool(self.ambitions or self.trajectories)


def _count(n: int, one: str, more: str) -> str:
    return f"{n} {one if n == 1 else more}"


def _dmy(day: date) -> str:
    return f"{day:%d-%m-%Y}"


def describe(period: ProgrammePeriod) -> str:
    return f"{period.name} ({_dmy(period.starts_on)} t/m {_dmy(period.ends_on)})"


# --- reading ---------------------------------------------------------------------------------


def list_periods(actor: User) -> list[tuple[ProgrammePeriod, PeriodUsage]]:
    """Every period, newest first (by start date), with what refers to it: four queries."""
    permissions.require(permissions.can_manage_programme_periods(actor), NOT_ALLOWED)
    periods = list(
        db.session.scalars(
            select(ProgrammePeriod).order_by(ProgrammePeriod.starts_on.desc(), ProgrammePeriod.id.desc())
        )
    )
    counted = usage([p.id for p in periods])
    return [(period, counted.get(period.id, PeriodUsage())) for period in periods]


def usage(period_ids: list[int]) -> dict[int, PeriodUsage]:
    """Per period id: its ambitions, linked trajectories and stand (three grouped queries)."""
    if not period_ids:
        return {}
    ambitions = dict(
        db.session.execute(
            select(Ambition.period_id, func.count())
            .where(Ambition.period_id.in_(period_ids))
            .group_by(Ambition.period_id)
        ).all()
    )
    linked = dict(
        db.session.execute(
            select(Trajectory.period_id, func.count())
            .where(Trajectory.period_id.in_(period_ids))
            .group_by(Trajectory.period_id)
        ).all()
    )
    started = dict(
        db.session.execute(
            select(ProgrammePeriod.id, func.count(Trajectory.id))
            .join(
                Trajectory,
                and_(
                    Trajectory.actual_start >= ProgrammePeriod.starts_on,
                    Trajectory.actual_start <= ProgrammePeriod.ends_on,
                ),
            )
            .where(STARTED, ProgrammePeriod.id.in_(period_ids))
            .group_by(ProgrammePeriod.id)
        ).all()
    )
    return {
        period_id: PeriodUsage(
            ambitions=ambitions.get(period_id, 0),
            trajectories=linked.get(period_id, 0),
            started=started.get(period_id, 0),
        )
        for period_id in period_ids
    }


def usage_of(period: ProgrammePeriod) -> PeriodUsage:
    return usage([period.id])[period.id]


# --- checks ----------------------------------------------------------------------------------


def _name_taken(name: str, exclude_id: int | None) -> ProgrammePeriod | None:
    query = select(ProgrammePeriod).where(func.lower(ProgrammePeriod.name) == name.lower())
    if exclude_id is not None:
        query = query.where(ProgrammePeriod.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def overlapping(starts_on: date, ends_on: date, exclude_id: int | None = None) -> ProgrammePeriod | None:
    """The first other period sharing a day with ``starts_on`` .. ``ends_on`` (both included)."""
    query = select(ProgrammePeriod).where(ProgrammePeriod.starts_on <= ends_on, ProgrammePeriod.ends_on >= starts_on)
    if exclude_id is not None:
        query = query.where(ProgrammePeriod.id != exclude_id)
    return db.session.scalars(query.order_by(ProgrammePeriod.starts_on).limit(1)).first()


def _lock() -> None:
    """Serialise changes to periods for the rest of the transaction, so two admins cannot both
    pass the overlap check with periods that overlap each other. Reading is not blocked, nor
    are ambitions and trajectories that refer to a period. (SQLite: every transaction already
    holds the write lock from its start.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE programme_period IN SHARE ROW EXCLUSIVE MODE"))


def _check(name: str, starts_on: date | None, ends_on: date | None, exclude_id: int | None) -> str:
    name = " ".join((name or "").split())
    try:
        no_bidi_controls(name)
    except Invalid as error:
        raise PeriodRefused(str(error)) from None
    if not name:
        raise PeriodRefused(_("Vul een naam in, bijvoorbeeld '2026' of '2025-2026'."))
    if len(name) > NAME_MAX:
        raise PeriodRefused(_("Een naam heeft hoogstens %(max)s tekens.", max=NAME_MAX))
    if starts_on is None:
        raise PeriodRefused(_("Vul de begindatum in."), "starts_on")
    if ends_on is None:
        raise PeriodRefused(_("Vul de einddatum in."), "ends_on")
    if ends_on < starts_on:
        raise PeriodRefused(
            _(
                "De einddatum (%(ends_on)s) ligt vóór de begindatum (%(starts_on)s). "
                "Een periode eindigt op of na de dag waarop ze begint.",
                ends_on=_dmy(ends_on),
                starts_on=_dmy(starts_on),
            ),
            "ends_on",
        )
    if (taken := _name_taken(name, exclude_id)) is not None:
        raise PeriodRefused(_taken(taken.name))
    if (other := overlapping(starts_on, ends_on, exclude_id)) is not None:
        raise PeriodRefused(
            _(
                "Deze periode overlapt met programmaperiode %(other)s. Periodes mogen niet overlappen: "
                "de stand telt de trajecten die in een periode gestart zijn, en een traject zou dan in twee "
                "periodes meetellen. %(advice)s",
                other=describe(other),
                advice=_advice(starts_on, ends_on, other),
            ),
            "starts_on",
        )
    return name


def _taken(name: str) -> str:
    return _("Er bestaat al een programmaperiode met de naam '%(name)s'. Kies een andere naam.", name=name)


def _advice(starts_on: date, ends_on: date, other: ProgrammePeriod) -> str:
    if starts_on >= other.starts_on and ends_on > other.ends_on:
        return _("Laat de periode na %(day)s beginnen.", day=_dmy(other.ends_on))
    if starts_on < other.starts_on and ends_on <= other.ends_on:
        return _("Laat de periode vóór %(day)s eindigen.", day=_dmy(other.starts_on))
    return _(
        "Laat de periode na %(after)s beginnen of vóór %(before)s eindigen.",
        after=_dmy(other.ends_on),
        before=_dmy(other.starts_on),
    )


def _state(period: ProgrammePeriod) -> dict:
    return {"name": period.name, "starts_on": period.starts_on, "ends_on": period.ends_on}


# --- changes ---------------------------------------------------------------------------------


PERIOD_CHANGED = _l("Iemand anders heeft deze programmaperiode intussen gewijzigd.")


def save_period(
    actor: User,
    period: ProgrammePeriod | None,
    *,
    name: str,
    starts_on: date | None,
    ends_on: date | None,
    version: int | None = None,
) -> ProgrammePeriod:
    """Create a period (``period`` None) or change one; a change needs the ``version`` the
    form was opened on (optimistic locking: StaleRecord when someone saved in between). Raises
    PeriodRefused with a message for the field it concerns; changes nothing then."""
    permissions.require(permissions.can_manage_programme_periods(actor), NOT_ALLOWED)
    if period is not None and version != period.version:
        raise StaleRecord(PERIOD_CHANGED)
    _lock()
    name = _check(name, starts_on, ends_on, period.id if period is not None else None)
    assert starts_on is not None and ends_on is not None  # _check refuses a missing date
    creating = period is None
    before = {} if period is None else _state(period)
    after = {"name": name, "starts_on": starts_on, "ends_on": ends_on}
    changes = diff(before, after)
    if not changes:
        assert period is not None  # creating always changes the name and dates
        return period
    db.session.flush()  # anything pending, before the SAVEPOINT (begin_nested would flush it outside)
    try:
        with db.session.begin_nested():
            period = period or ProgrammePeriod()
            period.name, period.starts_on, period.ends_on = name, starts_on, ends_on
            db.session.add(period)
            versions.flush_versioned(PERIOD_CHANGED)  # a concurrent save that slipped past the check
    except IntegrityError:
        # the unique name, taken by someone else between the check and the write
        raise PeriodRefused(_taken(name)) from None
    if creating:
        summary = f"Programmaperiode {describe(period)} aangemaakt"
    else:
        summary = f"Programmaperiode {describe(period)} gewijzigd"
        in_use = usage_of(period)
        if in_use.in_use and ("starts_on" in changes or "ends_on" in changes):
            summary += (
                f" (met {_count(in_use.ambitions, 'ambitie', 'ambities')} en "
                f"{_count(in_use.trajectories, 'gekoppeld traject', 'gekoppelde trajecten')})"
            )
    audit(actor, "create" if creating else "update", period, summary=summary, changes=changes)
    db.session.flush()
    return period


def delete_period(actor: User, period: ProgrammePeriod) -> None:
    """Delete a period that nothing refers to; refused (with the counts) otherwise."""
    permissions.require(permissions.can_manage_programme_periods(actor), NOT_ALLOWED)
    _lock()
    in_use = usage_of(period)
    if in_use.in_use:
        raise PeriodRefused(refusal(period, in_use))
    state = _state(period)
    period_id, summary = period.id, f"Programmaperiode {describe(period)} verwijderd"
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.delete(period)
            db.session.flush()
    except IntegrityError:
        # an ambition or trajectory referred to it between the count and the delete
        raise PeriodRefused(
            _(
                "Deze programmaperiode is net in gebruik genomen (een ambitie of traject verwijst ernaar) "
                "en is niet verwijderd."
            )
        ) from None
    audit(
        actor,
        "delete",
        object_type="programme_period",
        object_id=period_id,
        summary=summary,
        changes=diff(state, dict.fromkeys(state)),
    )
    db.session.flush()


def refusal(period: ProgrammePeriod, in_use: PeriodUsage) -> str:
    """Why ``period`` cannot be deleted, in the words of the page."""
    return _(
        "Programmaperiode %(name)s kan niet worden verwijderd: er verwijzen nog %(ambitions)s en "
        "%(trajectories)s naar. "
        "Een periode waar ambities of trajecten bij horen blijft bestaan; pas zo nodig de naam of de data aan.",
        name=period.name,
        ambitions=ngettext("%(num)d ambitie", "%(num)d ambities", in_use.ambitions),
        trajectories=ngettext("%(num)d traject", "%(num)d trajecten", in_use.trajectories),
    )
