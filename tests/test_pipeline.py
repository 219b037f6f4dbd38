"""The coordinator's pipeline review and the ambition table, on hand-made data.

The world: partnership "Leerwerkakkoord Noord" (P1) with Gemeente Noord and ROC Noord as
members, partnership "Sectorakkoord Zorg" (P2) with ROC Noord and Zorgwerk. Coordinator Cora
works at Gemeente Noord (so reviews P1 only); account managers Anna (Gemeente Noord) and Bram
(ROC Noord).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm import permissions
from crm.extensions import db
from crm.lib.clock import today
from crm.models import Ambition, AuditEvent, Trajectory, Vacancy
from crm.models.base import utcnow
from crm.models.trajectories import TRAJECTORY_STATUSES
from crm.models.vacancies import VACANCY_STATUSES
from crm.services import pipeline
from crm.services.errors import PermissionDenied, ServiceError
from tests.conftest import counted_queries, csrf_token, login_as

PERIOD_START, PERIOD_END = date(2025, 1, 1), date(2025, 12, 31)


# --- reading tables from a page -------------------------------------------------------------


class Tables(HTMLParser):
    """``tables[key]``: the rows of ``<section data-table=key>`` as lists of ``(text, href)``."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str | None]]]] = {}
        self.key = None
        self.row = None
        self.cell = None
        self.href = None
        self.in_body = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "data-table" in attrs:
            self.key = attrs["data-table"]
            self.tables[self.key] = []
        elif tag == "tbody" and self.key:
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell, self.href = "", None
        elif tag == "a" and self.cell is not None:
            self.href = unescape(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append((" ".join(self.cell.split()), self.href))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.key].append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "section":
            self.key = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def tables(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return Tables(response.get_data(as_text=True)).tables


def row(table, label: str) -> list[str]:
    for cells in table:
        if cells[0][0] == label:
            return [text for text, _href in cells[1:]]
    raise AssertionError(f"no row {label!r} in {[c[0][0] for c in table]}")


def link(table, label: str, column: int) -> str:
    for cells in table:
        if cells[0][0] == label:
            href = cells[column][1]
            assert href and href.startswith("/pijplijn/lijst?"), cells[column]
            return href
    raise AssertionError(label)


DRILL_TOTAL = re.compile(r"<span data-total>(\d+)</span>")


def drill_rows(client, href: str) -> tuple[int, list[str]]:
    """The number in a drill-down's heading and the text of its list rows."""
    html = client.get(href).get_data(as_text=True)
    total = int(DRILL_TOTAL.search(html).group(1))
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    rows = [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return total, rows


# --- the world --------------------------------------------------------------------------------


class World:
    pass


@pytest.fixture
def world(factories):
    w = World()
    f = factories
    w.gemeente = f.OrganisationFactory(name="Gemeente Noord", kind="gemeente")
    w.roc = f.OrganisationFactory(name="ROC Noord", kind="roc")
    w.zorg = f.OrganisationFactory(name="Zorgwerk", kind="branche")
    w.p1 = f.PartnershipFactory(name="Leerwerkakkoord Noord")
    w.p2 = f.PartnershipFactory(name="Sectorakkoord Zorg", scope="sectoraal")
    w.p1.members.extend([w.gemeente, w.roc])
    w.p2.members.extend([w.roc, w.zorg])
    w.cora = f.UserFactory(name="Cora Coördinator", role="coordinator", organisation=w.gemeente)
    w.zeno = f.UserFactory(name="Zeno Zorgcoördinator", role="coordinator", organisation=w.zorg)
    w.admin = f.UserFactory(name="Ada Beheer", role="admin", organisation=w.zorg)
    w.anna = f.UserFactory(name="Anna Accountmanager", role="accountmanager", organisation=w.gemeente)
    w.bram = f.UserFactory(name="Bram Bakker", role="accountmanager", organisation=w.roc)
    w.petra = f.UserFactory(name="Petra Partner", role="partner", organisation=w.roc)
    w.period = f.ProgrammePeriodFactory(name="2025", starts_on=PERIOD_START, ends_on=PERIOD_END)
    w.e_anna = f.EmployerFactory(name="Bakkerij Anna", contactpersoon=w.anna)
    w.e_bram = f.EmployerFactory(name="Zorghuis Bram", contactpersoon=w.bram)
    return w


NUMBERS = itertools.count(1)


def trajectory(factories, partnership, *, kind="duaal", status="aangemeld", start=None, employer=None, orgs=(), **kw):
    extra = {}
    if status == "afgerond":
        extra["outcome"] = "diploma" if kind == "duaal" else "ervaringscertificaat"
    if status == "uitgevallen":
        extra["dropout_reason"] = "ander_werk"
    if "participant" not in kw:  # a unique name: tests look for names in the page
        kw["participant"] = factories.ParticipantFactory(first_name="Deelnemer", last_name=f"Nr{next(NUMBERS):04d}")
    t = factories.TrajectoryFactory(
        kind=kind, status=status, actual_start=start, employer=employer, partnership=partnership, **extra, **kw
    )
    for org in orgs:
        factories.TrajectoryOrganisationFactory(trajectory=t, organisation=org, role="school")
    return t


@pytest.fixture
def ambition_world(world, factories):
    """Ambition duaal 40 and EVC 0 for P1 in 2025; 13 duaal and 2 EVC started in the period."""
    f, w = factories, world
    f.AmbitionFactory(partnership=w.p1, period=w.period, kind="duaal", target=40)
    f.AmbitionFactory(partnership=w.p1, period=w.period, kind="evc", target=0)
    f.AmbitionFactory(partnership=w.p2, period=w.period, kind="duaal", target=10)
    # counted (13 duaal): the first and last day of the period count too
    starts = [PERIOD_START, PERIOD_END] + [date(2025, month, 15) for month in range(1, 12)]
    statuses = ["gestart"] * 10 + ["afgerond"] * 2 + ["uitgevallen"]  # uitgevallen after start counts
    for start, status in zip(starts, statuses, strict=True):
        trajectory(f, w.p1, status=status, start=start, employer=w.e_anna, orgs=[w.gemeente])
    trajectory(f, w.p1, kind="evc", status="gestart", start=date(2025, 3, 1))
    trajectory(f, w.p1, kind="evc", status="afgerond", start=date(2025, 6, 1))
    # not counted
    trajectory(f, w.p1, status="gestart", start=date(2024, 12, 31), employer=w.e_anna)  # before the period
    trajectory(f, w.p1, status="gestart", start=date(2026, 1, 1), employer=w.e_anna)  # after the period
    trajectory(f, w.p1, status="uitgevallen", employer=w.e_anna)  # dropped out before its start
    trajectory(f, w.p1, status="aangemeld", employer=w.e_anna)
    trajectory(f, w.p1, status="intake", employer=w.e_anna)
    trajectory(f, w.p2, status="gestart", start=date(2025, 5, 1), employer=w.e_bram)  # another partnership
    return w


# --- arithmetic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (13, 40, 33),  # 32.5 -> 33: half up
        (1, 8, 13),  # 12.5 -> 13
        (3, 8, 38),  # 37.5 -> 38
        (1, 3, 33),
        (2, 3, 67),
        (1, 200, 1),  # 0.5 -> 1
        (1, 201, 0),
        (0, 5, 0),
        (50, 40, 125),
        (5, 0, None),
        (0, 0, None),
    ],
)
def test_percent_rounds_half_up_and_no_ambition_gives_none(part, whole, expected):
    assert pipeline.percent(part, whole) == expected


def test_ambition_table_arithmetic_on_hand_made_data(client, ambition_world):
    w = ambition_world
    login_as(client, w.cora)
    html = client.get(f"/pijplijn/ambities?samenwerkingsverband={w.p1.id}").get_data(as_text=True)
    table = Tables(html).tables[f"ambities-{w.period.id}"]
    assert row(table, "Duaal") == ["40", "13", "33%"]
    assert row(table, "EVC") == ["0", "2", "–"]
    evc = next(cells for cells in table if cells[0][0] == "EVC")
    assert evc[3][1] is None  # "–" (no ambition) is not a link to a list
    assert row(table, "Totaal") == ["40", "15", "38%"]  # 15 / 40 = 37.5% -> 38%
    # the rule is stated on the page
    assert "werkelijke startdatum binnen de programmaperiode" in html
    assert "na de start is uitgevallen telt dus mee" in html


def test_ambition_numbers_link_to_exactly_the_started_trajectories(client, ambition_world):
    w = ambition_world
    login_as(client, w.cora)
    table = tables(client, f"/pijplijn/ambities?samenwerkingsverband={w.p1.id}")[f"ambities-{w.period.id}"]
    total, rows = drill_rows(client, link(table, "Duaal", 2))
    assert total == 13 and len(rows) == 13
    assert all("Duaal" in r and "Leerwerkakkoord Noord" in r for r in rows)
    assert sum("Uitgevallen" in r for r in rows) == 1
    assert not any("31 dec 2024" in r or "1 jan 2026" in r for r in rows)
    total, rows = drill_rows(client, link(table, "Totaal", 2))
    assert total == 15 and len(rows) == 15
    # the percentage links to the same list as the stand
    assert link(table, "Duaal", 3) == link(table, "Duaal", 2)


def test_per_partnership_ambition_numbers_link_to_that_partnerships_trajectories(client, ambition_world):
    w = ambition_world
    login_as(client, w.admin)
    table = tables(client, "/pijplijn/ambities")[f"per_samenwerkingsverband-{w.period.id}"]
    assert row(table, "Sectorakkoord Zorg")[:3] == ["10", "1", "10%"]
    # the list behind each number counts that partnership's trajectories only (the admin's own
    # organisation is involved in none, so the list itself stays hidden: need to know)
    assert drill_rows(client, link(table, "Sectorakkoord Zorg", 2))[0] == 1
    assert drill_rows(client, link(table, "Leerwerkakkoord Noord", 8))[0] == 15  # P1's total stand


def test_ambition_reports_service_sums_over_partnerships(ambition_world):
    w = ambition_world
    (report,) = pipeline.ambition_reports(None, w.period.id)
    lines = {line.label: (line.target, line.realised, line.percent) for line in report.lines}
    assert lines["Duaal"] == (50, 14, 28)  # 40 + 10, 13 + 1
    by_partnership = {p.name: [(x.target, x.realised) for x in lines_] for p, lines_ in report.per_partnership}
    assert by_partnership["Leerwerkakkoord Noord"] == [(40, 13), (0, 2), (40, 15)]
    assert by_partnership["Sectorakkoord Zorg"] == [(10, 1), (0, 0), (10, 1)]


def test_cumulative_chart_per_month_against_the_ambition_line(ambition_world):
    w = ambition_world
    (report,) = pipeline.ambition_reports([w.p1.id], w.period.id, on=date(2026, 6, 1))
    chart = report.chart
    assert chart["labels"][0] == "jan 2025" and chart["labels"][-1] == "dec 2025"
    sets = {(d["kind"], d["role"]): d["data"] for d in chart["datasets"]}
    duaal = sets[("duaal", "realised")]
    assert duaal[0] == 2  # 1 and 15 January
    assert duaal[-1] == 13
    assert duaal == sorted(duaal)  # cumulative
    assert sets[("evc", "realised")][-1] == 2
    assert sets[("duaal", "ambition")][-1] == 40
    assert sets[("evc", "ambition")][-1] == 0
    # months after "today" have no realised value
    (later,) = pipeline.ambition_reports([w.p1.id], w.period.id, on=date(2025, 6, 20))
    realised = next(d["data"] for d in later.chart["datasets"] if d["kind"] == "duaal" and d["role"] == "realised")
    assert realised[5] is not None and realised[6] is None


def test_ambition_page_has_the_charts_without_inline_script(client, ambition_world):
    login_as(client, ambition_world.cora)
    html = client.get("/pijplijn/ambities").get_data(as_text=True)
    assert 'data-chart="cumulative"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "charts.js" in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, body in scripts:
        assert 'type="application/json"' in attrs or ("src=" in attrs and not body.strip()), attrs


# --- the pipeline: funnel, per organisation, per account manager ---------------------------------


@pytest.fixture
def pipeline_world(world, factories):
    f, w = factories, world
    # P1 trajectories: duaal at Anna's employer with the gemeente involved; EVC without employer
    trajectory(f, w.p1, status="aangemeld", employer=w.e_anna, orgs=[w.gemeente])
    trajectory(f, w.p1, status="intake", employer=w.e_anna, orgs=[w.gemeente])
    trajectory(f, w.p1, status="gestart", start=date(2026, 1, 5), employer=w.e_anna, orgs=[w.gemeente, w.roc])
    trajectory(f, w.p1, status="gestart", start=date(2026, 2, 5), employer=w.e_bram, orgs=[w.roc])
    trajectory(f, w.p1, status="afgerond", start=date(2025, 2, 5), employer=w.e_bram, orgs=[w.roc])
    trajectory(f, w.p1, status="uitgevallen", start=date(2025, 3, 5), employer=w.e_anna, orgs=[w.gemeente])
    trajectory(f, w.p1, status="uitgevallen", employer=w.e_anna, orgs=[w.gemeente])  # before its start
    trajectory(f, w.p1, kind="evc", status="gestart", start=date(2026, 3, 1), orgs=[w.roc])
    trajectory(f, w.p1, kind="evc", status="aangemeld")
    # P2: not Cora's
    trajectory(f, w.p2, status="gestart", start=date(2026, 1, 1), employer=w.e_bram, orgs=[w.zorg])
    # vacancies (by the employer's contactpersoon: both Anna and Bram work at P1 members)
    v1 = f.VacancyFactory(employer=w.e_anna, status="nieuw", title="Bakker BBL")
    v1.organisations.append(w.gemeente)
    v2 = f.VacancyFactory(employer=w.e_anna, status="vervuld", title="Leerling-bakker")
    v2.organisations.extend([w.gemeente, w.roc])
    f.VacancyFactory(employer=w.e_bram, status="vervuld", title="Verzorgende IG")
    f.VacancyFactory(employer=w.e_bram, status="ingetrokken", title="Helpende zorg")
    # follow-ups
    on = today()
    f.FollowUpFactory(owner=w.anna, employer=w.e_anna, due_date=on - timedelta(days=1), subject="Bellen over BBL")
    f.FollowUpFactory(owner=w.anna, employer=w.e_anna, due_date=on - timedelta(days=10), subject="Offerte nasturen")
    f.FollowUpFactory(owner=w.anna, employer=w.e_anna, due_date=on, subject="Vandaag bezoeken")  # not overdue
    f.FollowUpFactory(
        owner=w.anna, employer=w.e_anna, due_date=on - timedelta(days=5), status="afgerond", done_at=utcnow()
    )  # done: not counted
    f.FollowUpFactory(owner=w.bram, employer=w.e_bram, due_date=on - timedelta(days=3), subject="Intake plannen")
    # employers without contact for 90+ days
    now = utcnow()
    w.e_anna.last_contact_at = now - timedelta(days=100)
    w.e_bram.last_contact_at = now - timedelta(days=89)
    f.EmployerFactory(name="Nooit Gebeld BV", contactpersoon=w.anna)
    f.EmployerFactory(name="Recent Gesproken BV", contactpersoon=w.anna, last_contact_at=now - timedelta(days=10))
    f.EmployerFactory(name="Lang Stil BV", contactpersoon=w.bram, last_contact_at=now - timedelta(days=200))
    db.session.flush()
    return w


def test_python_measures_agree_with_the_sql_conditions_on_every_combination(factories):
    """The page counts grouped rows with ``_measure_holds``; the drill-down filters with
    ``TRAJECTORY_MEASURES``. Both must say the same for every status, with and without a start."""
    combinations = {}
    for status in TRAJECTORY_STATUSES:
        for has_start in (False, True):
            if status in ("gestart", "afgerond") and not has_start:
                continue  # the database refuses these
            trajectory = factories.TrajectoryFactory(
                status=status,
                actual_start=date(2025, 3, 1) if has_start else None,
                outcome="diploma" if status == "afgerond" else None,
                dropout_reason="ander_werk" if status == "uitgevallen" else None,
            )
            combinations[trajectory.id] = (status, has_start)
    for measure, condition in pipeline.TRAJECTORY_MEASURES.items():
        query = select(Trajectory.id).where(Trajectory.id.in_(combinations))
        in_sql = set(db.session.scalars(query if condition is None else query.where(condition)))
        in_python = {
            i for i, (status, has_start) in combinations.items() if pipeline._measure_holds(measure, status, has_start)
        }
        assert in_sql == in_python, measure


def test_python_vacancy_measures_agree_with_the_sql_conditions(factories):
    made = {factories.VacancyFactory(status=status).id: status for status in VACANCY_STATUSES}
    for measure, condition in pipeline.VACANCY_MEASURES.items():
        query = select(Vacancy.id).where(Vacancy.id.in_(made))
        in_sql = set(db.session.scalars(query if condition is None else query.where(condition)))
        in_python = {i for i, status in made.items() if pipeline._vacancy_measure_holds(measure, status)}
        assert in_sql == in_python, measure


def test_funnel_counts_per_status_and_kind(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.cora)
    t = tables(client, "/pijplijn")
    status = t["trajecten"]
    assert row(status, "Aangemeld") == ["1", "1", "2"]
    assert row(status, "Intake") == ["1", "0", "1"]
    assert row(status, "Gestart") == ["2", "1", "3"]
    assert row(status, "Afgerond") == ["1", "0", "1"]
    assert row(status, "Uitgevallen") == ["2", "0", "2"]
    assert row(status, "Totaal") == ["7", "2", "9"]  # P2's trajectory is not Cora's
    vacancies = t["vacatures"]
    assert row(vacancies, "Nieuw") == ["1"]
    assert row(vacancies, "Vervuld") == ["2"]
    assert row(vacancies, "Totaal") == ["4"]


def test_funnel_says_what_each_step_counts_and_points_to_the_ambition_count(client, pipeline_world):
    login_as(client, pipeline_world.cora)
    html = client.get("/pijplijn").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="funnel-data">(.*?)</script>', html, re.S)[1])
    # "Gestart" in the funnel used to read as the status; it counts every trajectory ever started.
    assert data["labels"] == ["Aangemeld (alle)", "Ooit gestart", "Afgerond"]
    duaal = next(d for d in data["datasets"] if d["label"] == "Duaal")
    assert duaal["data"] == [7, 4, 1]
    page = unescape(re.sub(r"<[^>]+>", " ", html))
    assert page.count("Ooit gestart") >= 3  # both per-organisation and per-account-manager headers
    assert "telt naar startdatum in de periode" in page
    assert 'href="/pijplijn/ambities' in html


def test_conversion_and_dropout_rates(client, pipeline_world):
    login_as(client, pipeline_world.cora)
    conversion = tables(client, "/pijplijn")["conversie"]
    # duaal: 7 registered, 4 started (2 gestart, 1 afgerond, 1 dropped out after start)
    assert row(conversion, "Aangemeld → gestart")[:3] == ["4", "7", "57%"]
    assert row(conversion, "Gestart → afgerond")[:3] == ["1", "4", "25%"]
    assert row(conversion, "Uitval vóór de start (van aangemeld)")[:3] == ["1", "7", "14%"]
    assert row(conversion, "Uitval na de start (van gestart)")[:3] == ["1", "4", "25%"]
    assert row(conversion, "Aangemeld → gestart")[6:] == ["5", "9", "56%"]
    assert row(conversion, "Vacatures → vervuld")[6:] == ["2", "4", "50%"]


def test_per_organisation_and_per_account_manager(client, pipeline_world):
    login_as(client, pipeline_world.cora)
    t = tables(client, "/pijplijn")
    per_org = t["per_organisatie"]
    # Organisation | Role | Trajecten Ooit-gestart Afgerond Uitgevallen
    assert row(per_org, "Gemeente Noord") == ["School (ROC)", "5", "2", "0", "2"]
    assert row(per_org, "ROC Noord") == ["School (ROC)", "4", "4", "1", "0"]
    assert "Zorgwerk" not in [cells[0][0] for cells in per_org]
    vac_org = t["vacatures_per_organisatie"]
    # Organisation | Vacatures Open Vervuld
    assert row(vac_org, "Gemeente Noord") == ["2", "1", "1"]
    assert row(vac_org, "ROC Noord") == ["1", "0", "1"]
    per_am = t["per_accountmanager"]
    # Accountmanager | Vacatures Open Vervuld | Trajecten Ooit-gestart Afgerond Uitgevallen
    assert row(per_am, "Anna Accountmanager") == ["2", "1", "1", "5", "2", "0", "2"]
    assert row(per_am, "Bram Bakker") == ["2", "0", "1", "2", "2", "1", "0"]
    assert row(per_am, "Zonder werkgever") == ["0", "0", "0", "2", "1", "0", "0"]
    assert row(per_am, "Totaal") == ["4", "1", "2", "9", "5", "1", "2"]


def test_an_organisation_in_two_roles_has_a_row_per_role(client, world, factories):
    w = world
    t = trajectory(factories, w.p1, kind="evc", status="gestart", start=date(2026, 1, 2))
    factories.TrajectoryOrganisationFactory(trajectory=t, organisation=w.roc, role="school")
    factories.TrajectoryOrganisationFactory(trajectory=t, organisation=w.roc, role="evc_aanbieder")
    login_as(client, w.cora)
    per_org = tables(client, "/pijplijn")["per_organisatie"]
    roles = [[text for text, _href in cells] for cells in per_org]
    assert roles == [
        ["ROC Noord", "EVC-aanbieder", "1", "1", "0", "0"],
        ["ROC Noord", "School (ROC)", "1", "1", "0", "0"],
    ]
    for cells in per_org:
        total, rows = drill_rows(client, cells[2][1])
        assert total == 1 and len(rows) == 1
    # filtering on the organisation counts the trajectory once
    assert row(tables(client, f"/pijplijn?organisatie={w.roc.id}")["trajecten"], "Totaal") == ["0", "1", "1"]


def test_overdue_follow_ups_and_quiet_employers_per_account_manager(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.cora)
    follow = tables(client, "/pijplijn")["opvolging"]
    anna = row(follow, "Anna Accountmanager")
    # open, overdue, oldest overdue | employers, no contact 90+ days, never contacted
    assert anna[0:2] == ["3", "2"]
    assert anna[3:] == ["3", "2", "1"]
    bram = row(follow, "Bram Bakker")
    assert bram[0:2] == ["1", "1"]
    assert bram[3:] == ["2", "1", "0"]
    _total, rows = drill_rows(client, link(follow, "Anna Accountmanager", 2))
    assert sorted(r.split(" Anna")[0] for r in rows) == ["Bellen over BBL", "Offerte nasturen"]
    _total, rows = drill_rows(client, link(follow, "Anna Accountmanager", 5))
    assert sorted(r.split(" ")[0] + " " + r.split(" ")[1] for r in rows) == ["Bakkerij Anna", "Nooit Gebeld"]


def test_filters_narrow_every_table(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.cora)
    t = tables(client, f"/pijplijn?accountmanager={w.bram.id}")
    assert row(t["trajecten"], "Totaal") == ["2", "0", "2"]
    assert [c[0][0] for c in t["opvolging"]] == ["Bram Bakker", "Totaal"]
    t = tables(client, f"/pijplijn?organisatie={w.roc.id}")
    assert row(t["trajecten"], "Totaal") == ["3", "1", "4"]
    assert row(t["vacatures"], "Totaal") == ["1"]
    # period: registered in 2025 (all of these were registered today, in 2026 or later)
    t = tables(client, f"/pijplijn?periode={w.period.id}")
    assert row(t["trajecten"], "Totaal") == ["0", "0", "0"]


def test_everyone_with_a_row_in_the_follow_up_table_can_be_chosen_as_account_manager(client, pipeline_world, factories):
    w = pipeline_world
    factories.FollowUpFactory(owner=w.petra, employer=w.e_bram, due_date=today(), subject="Stage bespreken")
    db.session.flush()
    login_as(client, w.cora)
    html = client.get("/pijplijn").get_data(as_text=True)
    select_ = re.search(r'<select[^>]*name="accountmanager".*?</select>', html, re.S)[0]
    options = {unescape(label).strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select_)}
    # Petra is a partner user, not an account manager, but she owns an open follow-up.
    assert "Petra Partner (ROC Noord)" in options
    assert "Anna Accountmanager (Gemeente Noord)" in options
    assert not any(label.startswith("Ada Beheer") for label in options)  # no work, not a contactpersoon role
    t = tables(client, f"/pijplijn?accountmanager={w.petra.id}")
    assert [c[0][0] for c in t["opvolging"]] == ["Petra Partner", "Totaal"]


def test_region_filter_uses_the_employer_or_the_participants_municipality(client, pipeline_world, factories):
    w = pipeline_world
    from crm.models import Municipality

    twente = db.session.scalar(select(Municipality).where(Municipality.name == "Enschede")).region_id
    other = db.session.scalar(select(Municipality).where(Municipality.region_id != twente).limit(1))
    far = factories.EmployerFactory(name="Ver Weg BV", contactpersoon=w.anna, municipality=other)
    trajectory(factories, w.p1, status="gestart", start=date(2026, 1, 1), employer=far)
    # a vacancy counts by its own location first, its employer's municipality otherwise
    factories.VacancyFactory(employer=w.e_anna, municipality=other, status="nieuw", title="Filiaal elders")
    login_as(client, w.cora)
    t = tables(client, f"/pijplijn?regio={twente}")
    # the EVC trajectories have no employer and participants without a municipality: left out
    assert row(t["trajecten"], "Totaal") == ["7", "0", "7"]
    assert row(t["vacatures"], "Totaal") == ["4"]
    t = tables(client, f"/pijplijn?regio={other.region_id}")
    assert row(t["trajecten"], "Totaal") == ["1", "0", "1"]
    assert row(t["vacatures"], "Totaal") == ["1"]


def test_every_number_links_to_a_drill_down_listing_exactly_those_records(client, pipeline_world):
    w = pipeline_world
    from crm.models import Municipality

    twente = db.session.scalar(select(Municipality).where(Municipality.name == "Enschede")).region_id
    login_as(client, w.cora)
    checked = 0
    paths = (
        "/pijplijn",
        f"/pijplijn?organisatie={w.roc.id}",
        f"/pijplijn?regio={twente}",
        f"/pijplijn?accountmanager={w.anna.id}",
        "/pijplijn/ambities",
    )
    for path in paths:
        for key, table in tables(client, path).items():
            for cells in table:
                for index, (text, href) in enumerate(cells[1:], start=1):
                    if not re.fullmatch(r"\d+", text):
                        continue
                    if key.startswith("ambities") and index == 1:
                        continue  # the ambition itself is a target, not a count of records
                    assert href and href.startswith("/pijplijn/lijst?"), (path, key, cells[0][0], index, text)
                    total, rows = drill_rows(client, href)
                    assert total == int(text) == len(rows), (path, key, cells[0][0], index, href)
                    checked += 1
    assert checked > 100


def test_drill_down_keeps_the_filters_and_names_only_visible_participants(client, pipeline_world, factories):
    w = pipeline_world
    login_as(client, w.cora)
    status = tables(client, f"/pijplijn?accountmanager={w.anna.id}")["trajecten"]
    href = link(status, "Gestart", 1)
    assert f"accountmanager={w.anna.id}" in href and "maat=gestart" in href and "soort=duaal" in href
    total, rows = drill_rows(client, href)
    assert total == 1 and "Bakkerij Anna" in rows[0]
    # the coordinator of the partnership may see the participant, and the list names them
    t = db.session.scalar(
        select(Trajectory).where(Trajectory.employer_id == w.e_anna.id, Trajectory.status == "gestart")
    )
    assert permissions.can_view_participant(w.cora, t.participant)
    assert t.participant.full_name in rows[0]


def test_drill_down_names_only_participants_the_user_may_view(client, pipeline_world):
    w = pipeline_world
    for user, expected_names in ((w.cora, 9), (w.admin, 1)):
        login_as(client, user)
        html = client.get("/pijplijn/lijst?lijst=trajecten&maat=totaal").get_data(as_text=True)
        shown = 0
        for t in db.session.scalars(select(Trajectory)):
            if t.participant.full_name in html:
                assert permissions.can_view_participant(user, t.participant), (user.name, t.id)
                shown += 1
        assert shown == expected_names, user.name


def test_admin_sees_all_counts_but_only_visible_trajectories_in_the_list(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.admin)  # works at Zorgwerk: involved only in P2's trajectory
    status = tables(client, "/pijplijn")["trajecten"]
    assert row(status, "Gestart") == ["3", "1", "4"]
    html = client.get(link(status, "Gestart", 3)).get_data(as_text=True)
    assert "<span data-total>4</span>" in html
    assert "3 van deze 4 trajecten zijn voor u niet zichtbaar" in html
    body = html.split("<tbody>")[1]
    assert body.count("<tr>") == 1 and "Sectorakkoord Zorg" in body
    assert "Leerwerkakkoord Noord" not in body


def test_unknown_drill_down_is_404(client, world):
    login_as(client, world.cora)
    assert client.get("/pijplijn/lijst?lijst=trajecten&maat=bestaat_niet").status_code == 404
    assert client.get("/pijplijn/lijst?lijst=geheim&maat=totaal").status_code == 404
    assert client.get("/pijplijn/lijst?lijst=trajecten&maat=stand").status_code == 404  # stand needs a period


def test_query_count_does_not_grow_with_the_data(client, app, world, factories):
    w = world

    def queries(path):
        client.get(path)  # warm up: the first request after a commit reloads the signed-in user
        with counted_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    def add(count):
        for index in range(count):
            employer = factories.EmployerFactory(contactpersoon=w.anna if index % 2 else w.bram)
            trajectory(factories, w.p1, status="gestart", start=date(2025, 4, 1), employer=employer, orgs=[w.roc])
            factories.FollowUpFactory(
                owner=employer.contactpersoon, employer=employer, due_date=today() - timedelta(days=2)
            )
            vacancy = factories.VacancyFactory(employer=employer)
            vacancy.organisations.append(w.gemeente)

    paths = ("/pijplijn", "/pijplijn/ambities", "/pijplijn/lijst?lijst=trajecten&maat=totaal")
    add(1)
    login_as(client, w.cora)
    before = [queries(p) for p in paths]
    add(20)
    factories.AmbitionFactory(partnership=w.p1, period=w.period, kind="duaal", target=5)
    login_as(client, w.cora)
    after = [queries(p) for p in paths]
    assert before == after
    assert after[0] <= 12, after


# --- exports ----------------------------------------------------------------------------------


def test_csv_export_parses_back_and_is_audited(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.cora)
    response = client.get("/pijplijn/export?tabel=opvolging&formaat=csv", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Accountmanager", "Open opvolgacties", "Te laat"]
    anna = next(r for r in rows if r[0] == "Anna Accountmanager")
    assert anna[1:3] == ["3", "2"] and anna[4:] == ["3", "2", "1"]
    event_ = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.actor_id == w.cora.id)
    )
    assert event_ is not None and "Opvolging per accountmanager" in event_.summary and "CSV" in event_.summary


def test_xlsx_export_of_the_ambition_table_loads(client, ambition_world):
    w = ambition_world
    login_as(client, w.cora)
    response = client.get(
        f"/pijplijn/export?tabel=ambities-{w.period.id}&formaat=xlsx&samenwerkingsverband={w.p1.id}", buffered=True
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Soort", "Ambitie", "Stand", "Procent"]
    # Procent is an Excel percentage: 0.33 shown as 33%, so it sums and charts as one
    assert values[1] == ["Duaal", 40, 13, 0.33] and sheet["D2"].number_format == "0%"
    assert values[2] == ["EVC", 0, 2, "–"]
    assert values[3] == ["Totaal", 40, 15, 0.38] and sheet["D4"].number_format == "0%"
    # a frozen header row with an autofilter over the whole table, and columns wide enough
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D4"
    assert all(sheet.column_dimensions[c].width >= len(values[0][i]) + 2 for i, c in enumerate("ABCD"))
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")) == 1


def test_every_table_on_the_pages_exports(client, pipeline_world):
    login_as(client, pipeline_world.cora)
    html = client.get("/pijplijn").get_data(as_text=True) + client.get("/pijplijn/ambities").get_data(as_text=True)
    links = {unescape(h) for h in re.findall(r'href="(/pijplijn/export\?[^"]+)"', html)}
    keys = {re.search(r"tabel=([^&]+)", h).group(1) for h in links}
    assert {"trajecten", "vacatures", "conversie", "per_organisatie", "per_accountmanager", "opvolging"} <= keys
    for href in links:
        response = client.get(href, buffered=True)
        assert response.status_code == 200, href
        if "formaat=xlsx" in href:
            load_workbook(io.BytesIO(response.get_data()))
        else:
            assert len(list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))) >= 2


@pytest.mark.parametrize(
    ("lijst", "maat", "id_header"),
    [
        ("trajecten", "totaal", "Traject-id"),
        ("vacatures", "totaal", "Vacature-id"),
        ("opvolgacties", "open", "Opvolgactie-id"),
        ("werkgevers", "alle", "Werkgever-id"),
    ],
)
def test_drill_down_exports_head_id_columns_as_ids(client, pipeline_world, lijst, maat, id_header):
    login_as(client, pipeline_world.cora)
    response = client.get(f"/pijplijn/export?tabel=lijst&formaat=xlsx&lijst={lijst}&maat={maat}", buffered=True)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    assert header[0] == id_header
    assert "Werkgever" not in header or header.index("Werkgever") > 0  # "Werkgever" is a name column only


def test_drill_down_list_exports_without_participant_names(client, pipeline_world):
    w = pipeline_world
    for trajectory in db.session.scalars(select(Trajectory)):  # names no other column can contain
        trajectory.participant.last_name = f"Geheimnaam{trajectory.participant.id}x"
    login_as(client, w.cora)
    response = client.get("/pijplijn/export?tabel=lijst&formaat=csv&lijst=trajecten&maat=totaal", buffered=True)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Traject-id" and "Deelnemer" not in rows[0]
    assert len(rows) == 1 + 9
    names = {t.participant.last_name for t in db.session.scalars(select(Trajectory))}
    assert not any(name in ";".join(r) for r in rows for name in names)


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["accountmanager", "partner"])
@pytest.mark.parametrize(
    "path",
    [
        "/pijplijn",
        "/pijplijn/ambities",
        "/pijplijn/lijst?lijst=trajecten&maat=totaal",
        "/pijplijn/export?tabel=trajecten&formaat=csv",
        "/pijplijn/ambities/invullen",
    ],
)
def test_only_coordinators_and_admins_review_the_pipeline(client, factories, role, path):
    login_as(client, factories.UserFactory(role=role))
    response = client.get(path, buffered=True)
    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)


def test_coordinator_sees_only_their_partnerships(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.cora)
    html = client.get("/pijplijn").get_data(as_text=True)
    assert "Leerwerkakkoord Noord" in html and "Sectorakkoord Zorg" not in html
    assert "Al mijn samenwerkingsverbanden" in html
    assert client.get(f"/pijplijn?samenwerkingsverband={w.p2.id}").status_code == 403
    assert client.get(f"/pijplijn/lijst?lijst=trajecten&maat=totaal&samenwerkingsverband={w.p2.id}").status_code == 403
    assert client.get(f"/pijplijn/export?tabel=trajecten&formaat=csv&samenwerkingsverband={w.p2.id}").status_code == 403
    with pytest.raises(PermissionDenied):
        pipeline.scope_for(w.cora, pipeline.PipelineFilters(partnership_id=w.p2.id))


def test_admin_sees_all_partnerships(client, pipeline_world):
    w = pipeline_world
    login_as(client, w.admin)
    html = client.get("/pijplijn").get_data(as_text=True)
    assert "Alle samenwerkingsverbanden" in html
    assert "Leerwerkakkoord Noord" in html and "Sectorakkoord Zorg" in html
    assert row(tables(client, "/pijplijn")["trajecten"], "Totaal") == ["8", "2", "10"]
    t = tables(client, f"/pijplijn?samenwerkingsverband={w.p2.id}")
    assert row(t["trajecten"], "Totaal") == ["1", "0", "1"]


def test_coordinator_without_partnership_sees_an_explanation(client, factories):
    login_as(client, factories.UserFactory(role="coordinator"))
    html = client.get("/pijplijn").get_data(as_text=True)
    assert "geen lid van een samenwerkingsverband" in html


# --- entering ambitions ----------------------------------------------------------------------


def _form(client, partnership, period, html=None) -> dict:
    """The CSRF token and the 'seen' field of the ambition form, as the browser has them."""
    path = f"/pijplijn/ambities/invullen?samenwerkingsverband={partnership.id}&periode={period.id}"
    token = csrf_token(client, path)
    html = html or client.get(path).get_data(as_text=True)
    match = re.search(r'name="gezien"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="gezien"', html
    )
    return {"csrf_token": token, "gezien": match.group(1) if match else ""}


def _post_ambitions(client, partnership, period, duaal, evc, form=None):
    """Open the form for this partnership and period (unless ``form`` is what an earlier page
    showed) and save these numbers."""
    form = form or _form(client, partnership, period)
    return client.post(
        "/pijplijn/ambities/invullen",
        data={"partnership_id": partnership.id, "period_id": period.id, "duaal": duaal, "evc": evc, **form},
    )


def _ambitions(partnership, period) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Ambition.kind, Ambition.target).where(
                Ambition.partnership_id == partnership.id, Ambition.period_id == period.id
            )
        ).all()
    )


def test_coordinator_enters_and_changes_ambitions_one_row_per_kind(client, world):
    w = world
    login_as(client, w.cora)
    response = _post_ambitions(client, w.p1, w.period, "40", "0")
    assert response.status_code == 302
    assert _ambitions(w.p1, w.period) == {"duaal": 40, "evc": 0}
    assert "zijn opgeslagen" in client.get(response.headers["Location"]).get_data(as_text=True)
    _post_ambitions(client, w.p1, w.period, "45", "12")
    assert _ambitions(w.p1, w.period) == {"duaal": 45, "evc": 12}
    count = db.session.scalar(select(func.count()).select_from(Ambition).where(Ambition.partnership_id == w.p1.id))
    assert count == 2
    audited = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "ambition").order_by(AuditEvent.id)
    ).all()
    assert audited == ["create", "create", "update", "update"]
    # the form shows the current values
    html = client.get(f"/pijplijn/ambities/invullen?samenwerkingsverband={w.p1.id}&periode={w.period.id}").get_data(
        as_text=True
    )
    assert 'value="45"' in html and 'value="12"' in html


def test_ambitions_changed_meanwhile_are_not_overwritten(client, world):
    w = world
    login_as(client, w.cora)
    _post_ambitions(client, w.p1, w.period, "40", "10")
    opened = _form(client, w.p1, w.period)  # Cora opens the form: 40 and 10
    pipeline.set_ambitions(w.admin, w.p1, w.period, {"duaal": 50, "evc": 10}, seen={"duaal": 40, "evc": 10})
    db.session.commit()  # the admin saved 50 meanwhile

    response = _post_ambitions(client, w.p1, w.period, "45", "12", form=opened)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "Niet opgeslagen: de ambities zijn intussen gewijzigd." in html
    assert "40 → 50" in html and w.admin.name in html
    assert _ambitions(w.p1, w.period) == {"duaal": 50, "evc": 10}
    assert 'value="45"' in html and 'value="12"' in html  # what Cora typed is still there

    # having seen the new values, saving again replaces them
    again = _form(client, w.p1, w.period, html=response.get_data(as_text=True))
    assert _post_ambitions(client, w.p1, w.period, "45", "12", form=again).status_code == 302
    assert _ambitions(w.p1, w.period) == {"duaal": 45, "evc": 12}


def test_ambitions_of_another_period_chosen_in_the_form_are_shown_before_they_are_replaced(client, world, factories):
    w = world
    later = factories.ProgrammePeriodFactory(name="2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
    login_as(client, w.cora)
    _post_ambitions(client, w.p1, later, "30", "5")
    shown = _form(client, w.p1, w.period)  # the form opened on another period...
    response = _post_ambitions(client, w.p1, later, "31", "6", form=shown)  # ...then 2027 chosen in it
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "al ingevuld: 30" in html and "al ingevuld: 5" in html
    assert _ambitions(w.p1, later) == {"duaal": 30, "evc": 5}


def test_negative_ambition_is_refused(client, world):
    w = world
    login_as(client, w.cora)
    response = _post_ambitions(client, w.p1, w.period, "-5", "3")
    assert response.status_code == 200
    assert "Vul een aantal van 0 of meer in." in response.get_data(as_text=True)
    assert _ambitions(w.p1, w.period) == {}
    with pytest.raises(ServiceError, match="negatief"):
        pipeline.set_ambitions(w.cora, w.p1, w.period, {"duaal": -1}, seen={})


def test_ambition_is_unique_per_partnership_period_and_kind(world, factories):
    factories.AmbitionFactory(partnership=world.p1, period=world.period, kind="duaal", target=10)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Ambition(partnership=world.p1, period=world.period, kind="duaal", target=20))
        db.session.flush()


def test_only_coordinators_of_the_partnership_and_admins_enter_ambitions(client, world):
    w = world
    login_as(client, w.cora)
    html = client.get("/pijplijn/ambities/invullen").get_data(as_text=True)
    assert "Leerwerkakkoord Noord" in html and "Sectorakkoord Zorg" not in html
    response = _post_ambitions(client, w.p2, w.period, "50", "5")
    assert response.status_code == 200  # not one of the choices
    assert _ambitions(w.p2, w.period) == {}
    with pytest.raises(PermissionDenied):
        pipeline.set_ambitions(w.cora, w.p2, w.period, {"duaal": 50}, seen={})
    login_as(client, w.zeno)
    assert _post_ambitions(client, w.p2, w.period, "50", "5").status_code == 302
    assert _ambitions(w.p2, w.period) == {"duaal": 50, "evc": 5}
    login_as(client, w.admin)
    assert _post_ambitions(client, w.p1, w.period, "7", "8").status_code == 302
    assert _ambitions(w.p1, w.period) == {"duaal": 7, "evc": 8}


def test_period_filter_counts_registrations_in_the_period(client, world, factories):
    w = world
    inside = datetime(2025, 6, 1, 10, tzinfo=UTC)
    trajectory(factories, w.p1, status="aangemeld", employer=w.e_anna, created_at=inside)
    trajectory(
        factories, w.p1, status="aangemeld", employer=w.e_anna, created_at=datetime(2024, 12, 31, 22, 30, tzinfo=UTC)
    )
    login_as(client, w.cora)
    # 31 Dec 2024 22:30 UTC is 23:30 in Amsterdam: still 2024
    assert row(tables(client, f"/pijplijn?periode={w.period.id}")["trajecten"], "Totaal") == ["1", "0", "1"]


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (PERIOD_START, PERIOD_END),  # whole months: the tally, and an hour at each end
        (date(2025, 7, 16), date(2026, 1, 15)),  # mid-month, in summer time: slices added and subtracted
        (date(2025, 12, 30), date(2026, 1, 2)),  # shorter than a month: all from the trajectories
    ],
)
def test_period_filter_at_the_edges_counts_exactly_what_the_drill_down_lists(
    client, world, factories, starts_on, ends_on
):
    """The pipeline reads whole months from the tally and the rest from the trajectories
    (pipeline.scope.period_split): registrations an hour either side of each local midnight
    are counted where the drill-down lists them."""
    w = world
    period = factories.ProgrammePeriodFactory(name="Rand", starts_on=starts_on, ends_on=ends_on)
    moments = []
    for day in (starts_on, ends_on + timedelta(days=1), date(2025, 10, 1)):
        midnight = pipeline.scope._local_midnight(day).astimezone(UTC)
        moments += [midnight - timedelta(minutes=30), midnight, midnight + timedelta(minutes=30)]
    moments.append(datetime(2025, 12, 31, 23, 30, tzinfo=UTC))  # in the tally's December, local 2026
    for number, moment in enumerate(moments):
        employer = (w.e_anna, w.e_bram)[number % 2]
        trajectory(factories, w.p1, status="aangemeld", employer=employer, orgs=(w.roc,), created_at=moment)
    lo = pipeline.scope._local_midnight(starts_on)
    hi = pipeline.scope._local_midnight(ends_on + timedelta(days=1))
    expected = sum(1 for moment in moments if lo <= moment < hi)
    login_as(client, w.cora)
    page = tables(client, f"/pijplijn?periode={period.id}")
    assert row(page["trajecten"], "Totaal")[0] == str(expected)
    checked = 0
    for key in ("trajecten", "conversie", "per_organisatie", "per_accountmanager"):
        for cells in page.get(key, []):
            for text, href in cells[1:]:
                if href and re.fullmatch(r"\d+", text):
                    total, rows = drill_rows(client, href)
                    assert total == int(text) == len(rows), (key, cells[0][0], href)
                    checked += 1
    assert checked > 5


def test_drill_down_says_which_rows_of_how_many_a_page_shows(client, pipeline_world, factories):
    w = pipeline_world
    for n in range(30):
        factories.EmployerFactory(name=f"Stille Werkgever {n:02d}", contactpersoon=w.anna)
    login_as(client, w.cora)
    href = "/pijplijn/lijst?lijst=werkgevers&maat=nooit_contact"
    total, rows = drill_rows(client, href)
    assert total > 30 and len(rows) == 25
    assert f"Rij 1–25 van {total}." in unescape(client.get(href).get_data(as_text=True))
    # a page past the end shows the last page, and says so
    html = unescape(client.get(href + "&pagina=99").get_data(as_text=True))
    _total, rows = drill_rows(client, href + "&pagina=99")
    assert len(rows) == total - 25
    assert f"Rij 26–{total} van {total}." in html and "Pagina 2 van 2" in html


# --- the English interface ------------------------------------------------------------------


def test_pipeline_and_ambition_pages_in_english_have_no_dutch_totals(client, pipeline_world, ambition_world):
    w = pipeline_world
    w.cora.locale = "en"
    db.session.commit()
    login_as(client, w.cora)
    for path in ("/pijplijn", "/pijplijn/ambities"):
        html = client.get(path).get_data(as_text=True)
        cells = [unescape(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html, re.S)]
        assert "Total" in cells, path
        assert "Totaal" not in cells, path


def test_pipeline_row_labels_go_through_gettext():
    """The conversion table's steps are in the catalogue, so the English interface translates them."""
    from babel.messages.extract import extract_from_file

    messages = {m[1] for m in extract_from_file("python", "crm/review_tables.py", keywords={"_l": None})}
    messages |= {m[1] for m in extract_from_file("python", "crm/services/pipeline/ambitions.py", keywords={"_l": None})}
    for label in ("Aangemeld → gestart", "Gestart → afgerond", "Vacatures → vervuld", "Totaal"):
        assert label in messages, label


def test_figures_show_thousands_separators(app):
    from flask import render_template_string

    from crm.i18n import force_locale
    from crm.services.pipeline import Cell

    with app.test_request_context():
        with force_locale("nl"):
            assert Cell(45984).display == "45.984"
            assert render_template_string("{{ n|number }}", n=1234567) == "1.234.567"
        with force_locale("en"):
            assert Cell(45984).display == "45,984"
        assert Cell(12).display == "12" and Cell(33, percent=True).display == "33%"


def test_cumulative_chart_months_in_the_users_language(app, ambition_world):
    from crm.i18n import force_locale

    w = ambition_world
    with app.test_request_context(), force_locale("en"):
        (report,) = pipeline.ambition_reports([w.p1.id], w.period.id, on=date(2026, 6, 1))
    assert report.chart["labels"][2] == "Mar 2025"


def test_employers_without_contact_are_counted_exactly_at_the_edge_of_the_window(app, factories):
    """The employer counts come from the tally's months plus the employers of the one month in
    which "no contact since" falls: an employer contacted a minute before that moment counts as
    without contact, one contacted a minute after does not, and never-contacted ones count in both
    columns; the numbers are those of the drill-down's condition on the employers themselves."""
    from crm.models import Employer
    from crm.services.pipeline.scope import employer_clauses, employer_measure

    admin = factories.UserFactory(role="admin")
    anna = factories.UserFactory(name="Anna Edge", role="accountmanager")
    now = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
    before = now - timedelta(days=app.config["QUIET_EMPLOYER_DAYS"])
    minute = timedelta(minutes=1)
    contacts = [
        None,
        before.replace(day=1) - timedelta(days=40),  # months before: no contact
        before.replace(day=1, hour=0, minute=0),  # the edge month, before the moment
        before - minute,
        before + minute,  # the edge month, after the moment
        before.replace(day=1, hour=0, minute=0) + timedelta(days=45),  # a later month
    ]
    for n, at in enumerate(contacts):
        factories.EmployerFactory(name=f"Rand {n}", contactpersoon=anna, last_contact_at=at)
    db.session.flush()
    scope = pipeline.scope_for(admin, pipeline.PipelineFilters(account_manager_id=anna.id), now=now)
    (row,) = [r for r in pipeline.review(scope).employers if r["user_id"] == anna.id]
    assert (row["alle"], row["geen_contact"], row["nooit_contact"]) == (6, 4, 1)
    for measure in ("alle", "geen_contact", "nooit_contact"):
        condition = employer_measure(scope, measure)
        query = select(func.count()).select_from(Employer).where(*employer_clauses(scope))
        assert row[measure] == db.session.scalar(query if condition is None else query.where(condition)), measure
