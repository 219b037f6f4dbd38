"""The coordinator's pipeline review (/pijplijn) and the ambition table (/pijplijn/ambities).

Every number is one cell of a grouped query (``GROUP BY`` with conditional counts): no query per
row, and the number of queries per page is fixed. Each count is defined by a *measure* (a SQL
condition, the ``*_MEASURES`` dicts) plus the page filters plus the cell's own criteria (kind,
involved organisation, account manager, period of start). The drill-down list
(:func:`drilldown`) applies exactly the same conditions as a ``WHERE``, so the list behind a
number always has that number of records.

At national size (a million trajectories) the trajectory counts of /pijplijn and the ambition
table are summed from tallies (``trajectory_tally`` and the others: counts per
group, kept by database triggers in the same transaction as every change; crm/models/tallies.py)
instead of grouping every trajectory; the drill-down still lists the trajectories themselves,
and tests/test_pipeline.py checks that both agree.

Who sees what (``permissions.can_review_pipeline``): coordinators review the partnerships their
organisation is a member of, admins every partnership. Counts carry no personal data; the
drill-down lists only trajectories the user may see (``permissions.visible_trajectories_clause``)
and participant names only where ``visible_participants_clause`` allows.

One module per question, each with its rules in its docstring:

- :mod:`.scope`: who counts what (measures, filters, the partnerships an actor reviews);
- :mod:`.review`: the numbers of the pipeline page (funnels, conversion, per organisation and
  per account manager);
- :mod:`.ambitions`: ambition vs realised (Stand, Procent) and entering ambitions;
- :mod:`.drilldown`: the records behind a number, and those lists as export tables;
- :mod:`.choices`: the filter options and the filters in words;
- :mod:`.exports`: the table every download is, and the audited export.

The page tables themselves are shaped by the pipeline blueprint (``crm/review_tables.py``).
Callers use the package, ``from crm.services import pipeline`` then ``pipeline.review(...)``:
what they use is imported here.
"""

from crm.services.pipeline.ambitions import (
    AmbitionChange,
    AmbitionLine,
    AmbitionsChanged,
    PeriodReport,
    ambition_reports,
    current_targets,
    editable_partnerships,
    periods,
    set_ambitions,
)
from crm.services.pipeline.choices import Choices, describe, filter_choices
from crm.services.pipeline.drilldown import Drill, DrillPage, UnknownDrill, drill_export_table, drilldown
from crm.services.pipeline.exports import EXPORT_FORMATS, NO_AMBITION, Cell, Table, code_label, export, percent
from crm.services.pipeline.review import ORG_TRAJECTORY_MEASURES, ORG_VACANCY_MEASURES, PipelineReview, review
from crm.services.pipeline.scope import (
    EMPLOYER_MEASURES,
    FOLLOW_UP_MEASURES,
    LIST_TITLES,
    MEASURE_LABELS,
    NONE_ID,
    OPEN_VACANCY_STATUSES,
    STARTED,
    STARTED_STATUSES,
    TRAJECTORY_MEASURES,
    VACANCY_MEASURES,
    PipelineFilters,
    Scope,
    _measure_holds,
    _vacancy_measure_holds,
    employer_clauses,
    follow_up_clauses,
    reviewable_partnership_ids,
    scope_for,
    trajectory_clauses,
    vacancy_clauses,
    with_employer,
)

__all__ = [
    "EMPLOYER_MEASURES",
    "EXPORT_FORMATS",
    "FOLLOW_UP_MEASURES",
    "LIST_TITLES",
    "MEASURE_LABELS",
    "NONE_ID",
    "NO_AMBITION",
    "OPEN_VACANCY_STATUSES",
    "ORG_TRAJECTORY_MEASURES",
    "ORG_VACANCY_MEASURES",
    "STARTED",
    "STARTED_STATUSES",
    "TRAJECTORY_MEASURES",
    "VACANCY_MEASURES",
    "AmbitionChange",
    "AmbitionLine",
    "AmbitionsChanged",
    "Cell",
    "Choices",
    "Drill",
    "DrillPage",
    "PeriodReport",
    "PipelineFilters",
    "PipelineReview",
    "Scope",
    "Table",
    "UnknownDrill",
    "_measure_holds",
    "_vacancy_measure_holds",
    "ambition_reports",
    "code_label",
    "current_targets",
    "describe",
    "drill_export_table",
    "drilldown",
    "editable_partnerships",
    "employer_clauses",
    "export",
    "filter_choices",
    "follow_up_clauses",
    "percent",
    "review",
    "periods",
    "reviewable_partnership_ids",
    "scope_for",
    "set_ambitions",
    "trajectory_clauses",
    "vacancy_clauses",
    "with_employer",
]
