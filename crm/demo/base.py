"""What every step of the demo seeder shares: the random generator and the clock (office-hour
moments, never in the future), names and phone numbers, open follow-ups, and the bulk inserts."""

from __future__ import annotations

import bisect
import itertools
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from crm.demo.data import COMPANY_WORDS, FIRST_NAMES, POSTCODE_LETTERS, SEED, SURNAMES, YOUNG_FIRST_NAMES, Job, Sector
from crm.extensions import db
from crm.lib.clock import AMSTERDAM
from crm.models import Partnership, User


class Picker:
    """A weighted choice with precomputed cumulative weights (one random() per pick)."""

    def __init__(self, rng: random.Random, items: Sequence[Any], weights: Sequence[float]):
        self.rng = rng
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self) -> Any:
        return self.items[bisect.bisect_right(self.cum, self.rng.random() * self.cum[-1])]


def pick_pairs(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Picker:
    return Picker(rng, [p[0] for p in pairs], [p[1] for p in pairs])


def slug(text: str, sep: str = "") -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("ı", "i")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, ascii_text.lower()).strip(sep)


def capitalise(surname: str) -> str:
    return surname[:1].upper() + surname[1:]


class SeederBase:
    """The state the steps share: one ``random.Random(SEED)`` (so every run draws the same
    sequence, and the steps must keep their order), "now" and today, and the counts for the report.
    Each step adds what the later steps read (``orgs``, ``users``, ``leerbedrijven``, ...)."""

    # What one step sets and a later one reads (each step keeps the rest to itself).
    # partnership:
    partnerships: dict[str, Partnership]
    org_ids: dict[str, int]
    user_org: dict[int, int]
    user_name: dict[int, str]
    users_by_org: dict[int, list[int]]  # organisation -> users (no admins)
    demo_am: User
    coordinator_id: int
    non_admin_ids: list[int]
    am_ids: list[int]
    period_ids: dict[int, int]  # year -> programme period
    municipality_ids: list[int]
    pick_place: Picker
    pick_sector: Picker
    pick_channel: Picker
    pick_contacts: Picker
    pick_status: Picker
    pick_cp: Picker
    pick_vacancy_status: Picker
    sections: list[tuple[int, int, str]]  # SBI divisions from, to: section
    existing_kvk: set[str]
    kvk_next: int
    kvk_gap: int
    # employers:
    leerbedrijven: list[tuple[int, date, bool, int]]  # id, created day, techniek, contactpersoon
    bbl_vacancies: dict[int, list[tuple[int, Job, date]]]  # employer -> (vacancy, job, created day)
    all_employers: list[tuple[int, int]]  # id, contactpersoon
    employer_count: int

    def __init__(self, employers: int, echo: Callable[[str], Any], now: datetime | None = None):
        self.total = employers
        self.echo = echo
        self.rng = random.Random(SEED)
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.today = self.now.astimezone(AMSTERDAM).date()
        self.open_follow_ups: dict[int, int] = {}  # owner -> explicit open follow-ups planned
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "assignments",
                "employer_contacts",
                "contacts",
                "follow_ups",
                "vacancies",
                "vacancy_status_changes",
                "participants",
                "trajectories",
                "trajectory_status_changes",
                "notifications",
                "users",
                "organisations",
                "partnerships",
                "ambitions",
            ),
            0,
        )

    # -- time -----------------------------------------------------------------------------------

    def moment(self, day: date, not_before: datetime | None = None) -> datetime:
        """A moment during office hours (Amsterdam) on the working day at or before ``day``,
        never in the future and never before ``not_before``."""
        rng = self.rng
        for _ in range(10):
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            minutes = rng.randint(8 * 60 + 15, 17 * 60)
            local = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=AMSTERDAM)
            value = local.astimezone(UTC)
            if value <= self.now:
                break
            day -= timedelta(days=1)
        else:  # pragma: no cover - only when "now" is just after midnight on a Monday etc.
            value = self.now - timedelta(hours=1)
        if not_before is not None and value <= not_before:
            value = min(not_before + timedelta(minutes=rng.randint(10, 240)), self.now)
        return value

    def local_day(self, value: datetime) -> date:
        return value.astimezone(AMSTERDAM).date()

    def recent_day(self, since: datetime, skew: float = 1.8) -> date:
        """A day between ``since`` and today, more often recent (skew > 1) than long ago."""
        span = (self.today - self.local_day(since)).days
        if span <= 0:
            return self.today
        return self.today - timedelta(days=int(span * self.rng.random() ** skew))

    # -- names ----------------------------------------------------------------------------------

    def person_name(self, young: bool = False) -> tuple[str, str]:
        first = self.rng.choice(YOUNG_FIRST_NAMES if young else FIRST_NAMES)
        return first, self.rng.choice(SURNAMES)

    def company_name(self, sector: Sector, prefix: str, town: str) -> str:
        rng = self.rng
        style = rng.random()
        surname = capitalise(rng.choice(SURNAMES))
        if sector.prefixes[0][0] in ("Zorggroep", "Kinderopvang") and style < 0.6:
            base = f"{prefix} {rng.choice(COMPANY_WORDS)}"
        elif style < 0.55:
            base = f"{prefix} {surname}"
        elif style < 0.75:
            base = f"{prefix} {rng.choice((town, town, 'Twente', 'Oost'))}"
        elif style < 0.9:
            base = f"{surname} {prefix}"
        else:
            base = f"{prefix} {surname} & Zn."
        suffix = rng.random()
        if suffix < 0.45:
            return f"{base} B.V."
        if suffix < 0.52:
            return f"{base} V.O.F."
        return base

    def mobile(self) -> str:
        return f"06 {self.rng.randint(1000, 9999)} {self.rng.randint(1000, 9999)}"

    def landline(self, area: str) -> str:
        rng = self.rng
        if len(area) == 3:
            return f"{area} {rng.randint(200, 899)} {rng.randint(0, 9999):04d}"
        return f"{area} {rng.randint(20, 89)} {rng.randint(10, 99)} {rng.randint(10, 99)}"

    def postcode_letters(self) -> str:
        while True:
            letters = self.rng.choice(POSTCODE_LETTERS) + self.rng.choice(POSTCODE_LETTERS)
            if letters not in ("SA", "SD", "SS"):
                return letters

    def plan_open_follow_up(self, owner: int, not_before: datetime, subject: str, vacancy: int | None) -> dict:
        """An open follow-up: overdue, due today or within three weeks. Everyone's first three
        are one of each, so every worklist shows all three groups."""
        rng = self.rng
        roll = rng.random()
        seen = self.open_follow_ups.get(owner, 0)
        self.open_follow_ups[owner] = seen + 1
        if seen < 3:
            roll = (0.9, 0.1, 0.3)[seen]
        if roll < 0.25:
            due = self.today - timedelta(days=rng.randint(1, 21))
        elif roll < 0.4:
            due = self.today
        else:
            due = self.today + timedelta(days=rng.randint(1, 21))
        created = self.moment(min(due, self.today) - timedelta(days=rng.randint(1, 14)), not_before)
        return {
            "row": {
                "owner_id": owner,
                "created_by_id": owner,
                "subject": subject,
                "due_date": due,
                "status": "open",
                "done_at": None,
                "vacancy_id": None,
                "trajectory_id": None,
                "created_at": created,
                "updated_at": created,
            },
            "contact": None,
            "vacancy": vacancy,
        }


def insert_rows(model, rows: list[dict]) -> None:
    """A Core executemany on the model's table: one statement per batch. (The ORM's bulk insert
    groups rows by which values are None, which turns sparse rows into many small statements.)"""
    if not rows:
        return
    db.session.execute(insert(getattr(model, "__table__", model)), rows)


def insert_with_ids(model, rows: list[dict]) -> list[int]:
    """Bulk insert with primary keys chosen up front, so children can point at the new rows.

    (An ORM bulk insert with ``RETURNING ... sort_by_parameter_order`` runs row by row on SQLite.)
    PostgreSQL hands out the ids from the table's own sequence, so it stays in step; on SQLite the
    seed already holds the write lock, so nobody else can take ``max(id) + 1`` meanwhile.
    """
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": model.__tablename__, "n": len(rows)},
            )
        )
    else:
        start = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    insert_rows(model, rows)
    return ids
