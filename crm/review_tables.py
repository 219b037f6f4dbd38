"""The tables of the pipeline review as pages show them (/pijplijn, /pijplijn/ambities and the
partnership page, so two blueprints share it; neither imports the other): rows, headers, notes,
the drill-down criteria behind every number and the drill-down addresses.

The services (``crm.services.pipeline``) count; this module only shapes their numbers for the
pages and for the downloads of those same tables (``pipeline.export`` writes any
:class:`~crm.services.pipeline.Table`), so a download holds what the page shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from urllib.parse import urlencode

from flask import url_for

from crm.i18n import lazy_gettext as _l
from crm.labels import INVOLVEMENT_ROLE_LABELS, TRAJECTORY_KIND_LABELS, TRAJECTORY_STATUS_LABELS, VACANCY_STATUS_LABELS
from crm.models.trajectories import TRAJECTORY_KINDS, TRAJECTORY_STATUSES
from crm.models.vacancies import VACANCY_STATUSES
from crm.services.pipeline import (
    EMPLOYER_MEASURES,
    NONE_ID,
    ORG_TRAJECTORY_MEASURES,
    ORG_VACANCY_MEASURES,
    AmbitionLine,
    Cell,
    PeriodReport,
    PipelineReview,
    Table,
    code_label,
    percent,
)
from crm.services.quiet_employers import quiet_days

ACCOUNT_MANAGER_TRAJECTORY_MEASURES = ("totaal", "gestart_ooit", "afgerond", "uitgevallen")


def review_tables(review: PipelineReview) -> dict[str, Table]:
    """All tables of /pijplijn, by key (the key names the table in the page and the export)."""
    return {
        "trajecten": _trajectory_status_table(review.trajectory_totals),
        "conversie": _conversion_table(review.trajectory_totals, review.vacancy_totals),
        "vacatures": _vacancy_status_table(review.vacancy_totals),
        "per_organisatie": _per_organisation_table(review.trajectories_per_organisation),
        "vacatures_per_organisatie": _vacancies_per_organisation_table(review.vacancies_per_organisation),
        "per_accountmanager": _per_account_manager_table(
            review.trajectories_per_account_manager, review.vacancies_per_account_manager
        ),
        "opvolging": _follow_up_table(review.follow_ups, review.employers),
    }


def funnel_chart(review: PipelineReview) -> dict:
    """The data of the funnel chart (charts.js): trajectories per kind, vacancies per status."""
    traj_totals, vac_totals = review.trajectory_totals, review.vacancy_totals
    return {
        "labels": [str(_l("Aangemeld (alle)")), str(_l("Ooit gestart")), str(_l("Afgerond"))],
        "datasets": [
            {
                "label": code_label(TRAJECTORY_KIND_LABELS, kind),
                "data": [traj_totals[kind]["totaal"], traj_totals[kind]["gestart_ooit"], traj_totals[kind]["afgerond"]],
            }
            for kind in TRAJECTORY_KINDS
        ],
        "vacancies": {
            "labels": [code_label(VACANCY_STATUS_LABELS, s) for s in VACANCY_STATUSES],
            "data": [vac_totals[s] for s in VACANCY_STATUSES],
        },
    }


def _t(measure: str, **criteria) -> dict:
    return {"lijst": "trajecten", "maat": measure, **criteria}


def _v(measure: str, **criteria) -> dict:
    return {"lijst": "vacatures", "maat": measure, **criteria}


def _trajectory_status_table(totals: dict[str, dict[str, int]]) -> Table:
    rows = []
    for status in (*TRAJECTORY_STATUSES, "totaal"):
        label = _l("Totaal") if status == "totaal" else code_label(TRAJECTORY_STATUS_LABELS, status)
        row = [Cell(label)]
        for kind in TRAJECTORY_KINDS:
            row.append(Cell(totals[kind][status], _t(status, soort=kind)))
        row.append(Cell(sum(totals[kind][status] for kind in TRAJECTORY_KINDS), _t(status)))
        rows.append(row)
    return Table(
        key="trajecten",
        title=_l("Trajecten per status"),
        headers=[_l("Status"), _l("Duaal"), _l("EVC"), _l("Totaal")],
        rows=rows,
        total=True,
        note=_l("De huidige status van de trajecten binnen de filters."),
    )


def _conversion_table(traj: dict[str, dict[str, int]], vac: dict[str, int]) -> Table:
    def combined(measure: str) -> int:
        return sum(traj[kind][measure] for kind in TRAJECTORY_KINDS)

    steps = [
        (_l("Aangemeld → gestart"), "gestart_ooit", "totaal"),
        (_l("Gestart → afgerond"), "afgerond", "gestart_ooit"),
        (_l("Uitval vóór de start (van aangemeld)"), "uitgevallen_voor_start", "totaal"),
        (_l("Uitval na de start (van gestart)"), "uitgevallen_na_start", "gestart_ooit"),
    ]
    rows = []
    for label, part, whole in steps:
        row = [Cell(label)]
        for kind in (*TRAJECTORY_KINDS, None):
            criteria = {"soort": kind} if kind else {}
            p = traj[kind][part] if kind else combined(part)
            w = traj[kind][whole] if kind else combined(whole)
            row += [
                Cell(p, _t(part, **criteria)),
                Cell(w, _t(whole, **criteria)),
                Cell(percent(p, w), _t(part, **criteria), percent=True),
            ]
        rows.append(row)
    filled = [Cell(_l("Vacatures → vervuld"))]
    filled += [Cell(None), Cell(None), Cell(None), Cell(None), Cell(None), Cell(None)]
    filled += [Cell(vac["vervuld"], _v("vervuld")), Cell(vac["totaal"], _v("totaal"))]
    filled.append(Cell(percent(vac["vervuld"], vac["totaal"]), _v("vervuld"), percent=True))
    rows.append(filled)
    headers = _per_kind_headers(
        _l("Stap"),
        lambda name: _l("%(name)s: aantal", name=name),
        lambda name: _l("%(name)s: van", name=name),
        lambda name: _l("%(name)s: procent", name=name),
    )
    return Table(
        key="conversie",
        title=_l("Conversie en uitval"),
        headers=headers,
        rows=rows,
        note=_l(
            "Gestart = met een werkelijke startdatum en status gestart, afgerond of uitgevallen. "
            "Procent = aantal / van, afgerond op hele procenten."
        ),
    )


def _vacancy_status_table(totals: dict[str, int]) -> Table:
    rows = [[Cell(code_label(VACANCY_STATUS_LABELS, s)), Cell(totals[s], _v(s))] for s in VACANCY_STATUSES]
    rows.append([Cell(_l("Totaal")), Cell(totals["totaal"], _v("totaal"))])
    return Table(
        key="vacatures", title=_l("Vacatures per status"), headers=[_l("Status"), _l("Aantal")], rows=rows, total=True
    )


def _per_organisation_table(traj: list[dict]) -> Table:
    rows = []
    for item in sorted(traj, key=lambda r: (r["name"].lower(), r["role"])):
        org_id, role = item["org_id"], item["role"]
        row = [Cell(item["name"], link=f"/partners/{org_id}"), Cell(code_label(INVOLVEMENT_ROLE_LABELS, role))]
        row += [Cell(item[m], _t(m, betrokken=org_id, rol=role)) for m in ORG_TRAJECTORY_MEASURES]
        rows.append(row)
    return Table(
        key="per_organisatie",
        title=_l("Trajecten per organisatie"),
        headers=[_l("Organisatie"), _l("Rol"), _l("Trajecten"), _l("Ooit gestart"), _l("Afgerond"), _l("Uitgevallen")],
        rows=rows,
        note=_l(
            "Een traject telt mee bij elke betrokken organisatie, in elke rol; de rijen tellen dus niet op tot het totaal."
        ),
    )


def _vacancies_per_organisation_table(vac: list[dict]) -> Table:
    rows = []
    for item in sorted(vac, key=lambda r: r["name"].lower()):
        org_id = item["org_id"]
        row = [Cell(item["name"], link=f"/partners/{org_id}")]
        row += [Cell(item[m], _v(m, betrokken=org_id)) for m in ORG_VACANCY_MEASURES]
        rows.append(row)
    return Table(
        key="vacatures_per_organisatie",
        title=_l("Vacatures per organisatie"),
        headers=[_l("Organisatie"), _l("Vacatures"), _l("Open vacatures"), _l("Vervuld")],
        rows=rows,
        note=_l("Een vacature telt mee bij elke betrokken organisatie; de rijen tellen dus niet op."),
    )


def _per_account_manager_table(traj: list[dict], vac: list[dict]) -> Table:
    people: dict[int, dict] = {}
    for row in traj:
        key = row["user_id"] or NONE_ID
        item = people.setdefault(
            key, {"name": row["name"] or str(_l("Zonder werkgever")), "t": defaultdict(int), "v": {}}
        )
        for measure in ACCOUNT_MANAGER_TRAJECTORY_MEASURES:
            item["t"][measure] += row[measure]
    for row in vac:
        people.setdefault(row["user_id"], {"name": row["name"], "t": defaultdict(int), "v": {}})["v"] = row
    order = sorted(people.items(), key=lambda pair: (pair[0] == NONE_ID, pair[1]["name"].lower()))
    columns: list[tuple[str, str, str | None]] = [("v", m, "vacatures") for m in ("totaal", "open", "vervuld")]
    columns += [("t", m, "trajecten") for m in ACCOUNT_MANAGER_TRAJECTORY_MEASURES]
    rows = _account_manager_rows(order, columns)
    return Table(
        key="per_accountmanager",
        title=_l("Per accountmanager"),
        headers=[
            _l("Accountmanager"),
            _l("Vacatures"),
            _l("Open vacatures"),
            _l("Vervuld"),
            _l("Trajecten"),
            _l("Ooit gestart"),
            _l("Afgerond"),
            _l("Uitgevallen"),
        ],
        rows=rows,
        total=bool(rows),
        note=_l("De accountmanager is de contactpersoon van de werkgever."),
    )


def _account_manager_rows(people: list[tuple[int, dict]], columns: list[tuple[str, str, str | None]]) -> list:
    """A row per account manager (``people``: user id and an item with a ``name`` and counts per
    part), then a total row. Each column is (part, measure, list): the count drills down to that
    list for that account manager; without a list it is a plain value, not totalled."""
    rows: list[list[Cell]] = []
    sums: defaultdict[tuple[str, str], int] = defaultdict(int)
    for user_id, item in people:
        row = [Cell(item["name"])]
        for part, measure, listed in columns:
            value = item.get(part, {}).get(measure, 0 if listed else None)
            if listed is None:
                row.append(Cell(value))
                continue
            sums[(part, measure)] += value
            row.append(Cell(value, {"lijst": listed, "maat": measure, "am": user_id}))
        rows.append(row)
    if rows:
        total = [
            Cell(sums[(part, m)], {"lijst": listed, "maat": m}) if listed else Cell(None) for part, m, listed in columns
        ]
        rows.append([Cell(_l("Totaal")), *total])
    return rows


def _follow_up_table(follow_ups: list[dict], employers: list[dict]) -> Table:
    people: dict[int, dict] = {}
    for row in follow_ups:
        people.setdefault(row["user_id"], {"name": row["name"]})["f"] = row
    for row in employers:
        people.setdefault(row["user_id"], {"name": row["name"]})["e"] = row
    order = sorted(people.items(), key=lambda pair: pair[1]["name"].lower())
    columns: list[tuple[str, str, str | None]] = [("f", m, "opvolgacties") for m in ("open", "te_laat")]
    columns += [("f", "oldest", None), *(("e", m, "werkgevers") for m in EMPLOYER_MEASURES)]
    rows = _account_manager_rows(order, columns)
    return Table(
        key="opvolging",
        title=_l("Opvolging per accountmanager"),
        headers=[
            _l("Accountmanager"),
            _l("Open opvolgacties"),
            _l("Te laat"),
            _l("Oudste te late"),
            _l("Werkgevers"),
            _l("Geen contact %(days)s+ dagen", days=quiet_days()),
            _l("Nooit contact"),
        ],
        rows=rows,
        total=bool(rows),
        note=_l(
            "Te laat: open met een vervaldatum vóór vandaag. Geen contact: laatste contact meer dan "
            "%(days)s dagen geleden of nooit. Dit is de stand van nu; de periode telt hier niet mee.",
            days=quiet_days(),
        ),
    )


def ambition_table(report: PeriodReport, drill_base: dict | None = None) -> Table:
    """The period's Ambitie | Stand | Procent table (rows duaal, EVC, total), with drill-downs."""
    rows = [[Cell(line.label), *_ambition_cells(report, line, drill_base)] for line in report.lines]
    return Table(
        key=f"ambities-{report.period.id}",
        title=_l("Ambitie en stand %(period)s", period=report.period.name),
        headers=[_l("Soort"), _l("Ambitie"), _l("Stand"), _l("Procent")],
        rows=rows,
        total=True,
    )


def partnership_table(report: PeriodReport, drill_base: dict | None = None) -> Table:
    """Per partnership: for duaal, EVC and the total, Ambitie | Stand | Procent."""
    rows = []
    for partnership, lines in report.per_partnership:
        row = [Cell(partnership.name, link=f"/samenwerkingsverbanden/{partnership.id}")]
        for line in lines:
            row += _ambition_cells(report, line, drill_base, samenwerkingsverband=partnership.id)
        rows.append(row)
    headers = _per_kind_headers(
        _l("Samenwerkingsverband"),
        lambda name: _l("%(name)s: ambitie", name=name),
        lambda name: _l("%(name)s: stand", name=name),
        lambda name: _l("%(name)s: procent", name=name),
    )
    return Table(
        key=f"per_samenwerkingsverband-{report.period.id}",
        title=_l("Per samenwerkingsverband %(period)s", period=report.period.name),
        headers=headers,
        rows=rows,
    )


def _ambition_cells(report: PeriodReport, line: AmbitionLine, drill_base: dict | None, **criteria) -> list[Cell]:
    """Ambitie | Stand | Procent of one line; Stand and Procent drill down to the trajectories
    started in the period (with ``drill_base``, the page's filters; None: no drill-down)."""
    drill = None
    if drill_base is not None:
        drill = {**drill_base, "lijst": "trajecten", "maat": "stand", "gestart_in": report.period.id, **criteria}
        if line.kind:
            drill["soort"] = line.kind
    return [Cell(line.target), Cell(line.realised, drill), Cell(line.percent, drill, percent=True)]


def _per_kind_headers(first: str, *columns: Callable[[str], str]) -> list[str]:
    """``first``, then each of ``columns`` for duaal, EVC and the total ("Duaal: ambitie")."""
    return [first, *(column(name) for name in (_l("Duaal"), _l("EVC"), _l("Totaal")) for column in columns)]


def drill_urls(base: dict):
    """``drill_url(criteria)``: the drill-down address for a cell, with ``base`` (the filters)
    and the cell's criteria. Built by hand: a table has hundreds of numbers, whose criteria
    repeat the same few ``key=value`` pairs, each encoded once."""
    path = url_for("pipeline.drilldown")
    base = {k: v for k, v in base.items() if v is not None}
    encoded: dict[tuple, str] = {}

    def pairs(args: dict) -> str:
        parts = []
        for item in args.items():
            if item[1] is None:
                continue
            part = encoded.get(item)
            if part is None:
                part = encoded[item] = urlencode((item,))
            parts.append(part)
        return "&".join(parts)

    prefix = f"{path}?{pairs(base)}&" if base else f"{path}?"

    def drill_url(criteria: dict) -> str:
        if base.keys() & criteria.keys():  # the cell narrows a filter: encode it all
            return f"{path}?{pairs({**base, **criteria})}"
        return prefix + pairs(criteria)

    return drill_url
