"""One employer: create, detail with timeline, edit, people, handover, bulk handover, merge."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm import edit_merge, permissions
from crm.employers.blueprint import bp
from crm.employers.forms import BulkHandoverForm, EmployerForm, HandoverForm, MergeForm, PersonForm
from crm.extensions import db
from crm.forms import choices
from crm.i18n import lazy_gettext as _l
from crm.lib.clock import today
from crm.loading import load_employer_or_404, load_person_or_404
from crm.models import Employer, Municipality, Organisation, Region, User
from crm.security import recent_password_required
from crm.services import employers, timeline, versions
from crm.services.contacts import employer_pressure
from crm.services.employers import DuplicateKvk
from crm.services.errors import ServiceError
from crm.services.search import find_employers
from crm.view_helpers import search_term

MAX_MERGE_HOPS = 20
MERGE_SEARCH_LIMIT = 20

# The page's header in one query: many-to-one joins, and the (few) people of the employer.
DETAIL_OPTIONS = (
    joinedload(Employer.contactpersoon).joinedload(User.organisation),
    joinedload(Employer.municipality).joinedload(Municipality.region),
    joinedload(Employer.sbi_section),
    joinedload(Employer.people),
)
# The employer page's own record with all its header shows; built once (SQLAlchemy keeps its
# cache key), fresh from the database on every view.
DETAIL = (
    select(Employer)
    .where(Employer.id == bindparam("id"))
    .options(*DETAIL_OPTIONS)
    .execution_options(populate_existing=True)
)
SUMMARY_OPTIONS = (selectinload(Employer.contactpersoon), selectinload(Employer.municipality))


# --- helpers ---------------------------------------------------------------------------


def _candidates(exclude_id: int | None = None) -> list[User]:
    """Who can be contactpersoon, with their organisations loaded in one query."""
    users = [u for u in employers.contactpersoon_candidates() if u.id != exclude_id]
    _load_organisations(users)
    return users


def _load_organisations(users: list[User]) -> None:
    ids = {u.organisation_id for u in users}
    if ids:
        db.session.scalars(select(Organisation).where(Organisation.id.in_(ids))).all()


def _user_choices(users: list[User], placeholder: bool = True):
    pairs = [(0, _("— kies —"))] if placeholder else []
    return choices(pairs + [(u.id, f"{u.name} ({u.organisation.name})") for u in users])


def _municipality_options() -> Sequence[tuple[str, str]]:
    return db.session.execute(
        select(Municipality.name, Region.name)
        .join(Region, Region.id == Municipality.region_id)
        .where(Municipality.active)
        .order_by(Municipality.name)
    ).all()


def _with_summary(found: list[Employer]) -> list[Employer]:
    """The same employers, with contactpersoon and municipality loaded in one go (for lists)."""
    if not found:
        return []
    ids = [e.id for e in found]
    loaded = {
        e.id: e for e in db.session.scalars(select(Employer).where(Employer.id.in_(ids)).options(*SUMMARY_OPTIONS))
    }
    return [loaded[i] for i in ids]


def _render_form(form: EmployerForm, employer: Employer | None, **context):
    return render_template(
        "employers/form.html",
        form=form,
        employer=employer,
        municipalities=_municipality_options(),
        **context,
    )


def _kvk_error(form: EmployerForm, error: DuplicateKvk) -> Employer:
    form.kvk_number.errors = [*form.kvk_number.errors, str(error)]
    return error.existing


# --- create ----------------------------------------------------------------------------


@bp.route("/werkgevers/nieuw", methods=["GET", "POST"])
@login_required
def new():
    permissions.require(
        permissions.can_create_employer(current_user),
        _("Alleen accountmanagers en coördinatoren maken werkgevers aan."),
    )
    form = EmployerForm()
    del form.version
    candidates = _candidates()
    form.contactpersoon_id.choices = _user_choices(candidates)
    if request.method == "GET" and any(u.id == current_user.id for u in candidates):
        form.contactpersoon_id.data = current_user.id
    duplicates: list[Employer] = []
    kvk_taken = None
    if form.validate_on_submit():
        data = form.employer_data()
        contactpersoon = next(u for u in candidates if u.id == form.contactpersoon_id.data)
        existing = employers.by_kvk(data.kvk_number) if data.kvk_number else None
        if existing is not None:  # a taken KvK number is always refused, never just a warning
            kvk_taken = _kvk_error(form, DuplicateKvk(existing))
        else:
            if form.confirm_duplicate.data != "1":
                duplicates = employers.find_duplicates(
                    name=data.name, municipality_id=data.municipality_id, kvk_number=data.kvk_number, city=data.city
                )
            if duplicates:
                form.confirm_duplicate.data = "1"
            else:
                try:
                    employer = employers.create_employer(current_user, data, contactpersoon)
                except DuplicateKvk as error:
                    kvk_taken = _kvk_error(form, error)
                except ServiceError as error:
                    form.contactpersoon_id.errors = [*form.contactpersoon_id.errors, str(error)]
                else:
                    db.session.commit()
                    flash(_("Werkgever %(name)s is aangemaakt.", name=employer.name), "success")
                    return redirect(url_for("employers.detail", id=employer.id))
    return _render_form(form, None, duplicates=_with_summary(duplicates), kvk_taken=kvk_taken, changes=None)


# --- detail ----------------------------------------------------------------------------


def _merged_target(employer: Employer) -> Employer:
    target = employer
    for _hop in range(MAX_MERGE_HOPS):
        if target.merged_into_id is None:
            break
        target = db.session.get_one(Employer, target.merged_into_id)
    return target


@bp.route("/werkgevers/<int:id>")
@login_required
def detail(id: int):
    employer = db.session.scalars(DETAIL, {"id": id}).unique().first()
    if employer is None:
        abort(404)
    if employer.merged_into_id is not None:
        target = _merged_target(employer)
        flash(
            _("%(old)s is samengevoegd met %(new)s. U ziet nu die werkgever.", old=employer.name, new=target.name),
            "info",
        )
        return redirect(url_for("employers.detail", id=target.id))
    employer = load_employer_or_404(id, current_user)
    kind = request.args.get("soort", "")
    organisation_id = request.args.get("organisatie", type=int)
    page = timeline.employer_timeline(
        current_user,
        employer.id,
        request.args.get("pagina", 1, type=int),
        kind=kind if kind in TIMELINE_KINDS else None,
        organisation_id=organisation_id,
    )
    pressure, pressure_people = employer_pressure(current_user, employer.id)
    return render_template(
        "employers/detail.html",
        employer=employer,
        timeline=page,
        pressure=pressure,
        pressure_people=pressure_people,
        history=employers.contactpersoon_history(employer),
        today=today(),
        timeline_kinds=TIMELINE_KINDS,
        timeline_kind=kind if kind in TIMELINE_KINDS else "",
        timeline_organisations=db.session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        timeline_organisation=organisation_id,
    )


# The timeline's kinds as the filter offers them (crm.services.timeline.KINDS).
TIMELINE_KINDS = {
    "contact": _l("Contactmomenten"),
    "follow_up": _l("Opvolgacties"),
    "vacancy": _l("Vacatures"),
    "trajectory": _l("Trajecten"),
}


# --- edit ------------------------------------------------------------------------------

FIELD_LABELS = {
    "contactpersoon": _l("Contactpersoon"),
    "municipality_id": _l("Gemeente"),
    "merged_into_id": _l("Samengevoegd met"),
}


@bp.route("/werkgevers/<int:id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(id: int):
    employer = load_employer_or_404(id, current_user)
    permissions.require(
        permissions.can_edit_employer(current_user, employer), _("U mag de gegevens van werkgevers niet wijzigen.")
    )
    form = EmployerForm.for_employer(employer)
    if request.method == "GET":
        edit_merge.open_form(form, employer.version)
    outcome = None
    kvk_taken = None
    if form.validate_on_submit():
        try:
            outcome = edit_merge.save(
                form,
                write=lambda version: employers.update_employer(
                    current_user, employer, form.employer_data(), version=version
                ),
                reload=lambda: (employer, EmployerForm.for_employer(employer, formdata=None)),
                changes_since=employers.changes_since,
                label_for=lambda key: str(form[key].label.text) if key in form else str(FIELD_LABELS.get(key, key)),
                audit_keys={"municipality": "municipality_id"},
            )
        except DuplicateKvk as error:
            kvk_taken = _kvk_error(form, error)
        except ServiceError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            if edit_merge.commit_saved(outcome):
                flash(_("De gegevens van %(name)s zijn opgeslagen.", name=employer.name), "success")
                return redirect(url_for("employers.detail", id=employer.id))
    return _render_form(
        form,
        employer,
        changes=outcome.changes if outcome else None,
        conflicts=outcome.conflicts if outcome else None,
        kvk_taken=kvk_taken,
        duplicates=[],
    )


# --- the employer's own people -----------------------------------------------------------


def _require_people_editor(employer: Employer) -> None:
    permissions.require(
        permissions.can_edit_employer(current_user, employer),
        _("U mag de contactpersonen van deze werkgever niet wijzigen."),
    )


@bp.route("/werkgevers/<int:id>/personen/nieuw", methods=["GET", "POST"])
@login_required
def person_new(id: int):
    employer = load_employer_or_404(id, current_user)
    _require_people_editor(employer)
    form = PersonForm()
    if request.method == "GET" and not any(p.is_primary for p in employer.people):
        form.is_primary.data = True
    if form.validate_on_submit():
        try:
            person = employers.add_person(current_user, employer, form.person_data())
        except ServiceError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            db.session.commit()
            flash(_("%(name)s is toegevoegd.", name=person.name), "success")
            return redirect(url_for("employers.detail", id=employer.id) + "#personen")
    return render_template("employers/person_form.html", form=form, employer=employer, person=None)


@bp.route("/werkgevers/<int:id>/personen/<int:person_id>/bewerken", methods=["GET", "POST"])
@login_required
def person_edit(id: int, person_id: int):
    employer = load_employer_or_404(id, current_user)
    _require_people_editor(employer)
    person = load_person_or_404(employer, person_id, current_user)
    form = PersonForm(obj=person)
    if request.method == "GET":
        edit_merge.open_form(form, person.version)
    outcome = None
    if form.validate_on_submit():
        try:
            outcome = edit_merge.save(
                form,
                write=lambda version: employers.update_person(
                    current_user, person, form.person_data(), version=version
                ),
                reload=lambda: (person, PersonForm(formdata=None, obj=person)),
                changes_since=lambda record, version: versions.changes_since(record, version, ("update",)),
            )
        except ServiceError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            if edit_merge.commit_saved(outcome):
                flash(_("De gegevens van %(name)s zijn opgeslagen.", name=person.name), "success")
                return redirect(url_for("employers.detail", id=employer.id) + "#personen")
    return render_template(
        "employers/person_form.html",
        form=form,
        employer=employer,
        person=person,
        changes=outcome.changes if outcome else None,
        conflicts=outcome.conflicts if outcome else None,
    )


@bp.route("/werkgevers/<int:id>/personen/<int:person_id>/verwijderen", methods=["POST"])
@login_required
def person_delete(id: int, person_id: int):
    employer = load_employer_or_404(id, current_user)
    _require_people_editor(employer)
    person = load_person_or_404(employer, person_id, current_user)
    name = person.name
    employers.delete_person(current_user, person)
    db.session.commit()
    flash(_("%(name)s is verwijderd.", name=name), "success")
    return redirect(url_for("employers.detail", id=employer.id) + "#personen")


# --- handing over ------------------------------------------------------------------------


@bp.route("/werkgevers/<int:id>/overdracht", methods=["GET", "POST"])
@login_required
def handover(id: int):
    employer = load_employer_or_404(id, current_user)
    permissions.require(
        permissions.can_hand_over(current_user, employer),
        _("Alleen de huidige contactpersoon, een coördinator of een beheerder kan deze werkgever overdragen."),
    )
    form = HandoverForm()
    form.new_contactpersoon_id.choices = _user_choices(_candidates(exclude_id=employer.contactpersoon_id))
    if request.method == "GET":
        form.expected_id.data = str(employer.contactpersoon_id)
    error = None
    if form.validate_on_submit():
        if form.expected_id.data and form.expected_id.data != str(employer.contactpersoon_id):
            error = _(
                "Deze werkgever is intussen al overgedragen aan %(name)s. Controleer of u nog wilt overdragen.",
                name=db.session.get_one(User, employer.contactpersoon_id).name,
            )
            form.expected_id.data = str(employer.contactpersoon_id)
        else:
            # A valid choice is an existing user, and the note is DataRequired.
            new_contactpersoon = db.session.get_one(User, form.new_contactpersoon_id.data)
            note = form.note.data
            assert note is not None
            try:
                employers.hand_over(current_user, employer, new_contactpersoon, note)
            except ServiceError as refused:  # StaleRecord included: someone handed over at the same moment
                db.session.rollback()  # the refused save is undone here, not in the service
                error = str(refused)
            else:
                db.session.commit()
                flash(
                    _(
                        "%(employer)s is overgedragen aan %(name)s. %(name)s krijgt hiervan een melding.",
                        employer=employer.name,
                        name=new_contactpersoon.name,
                    ),
                    "success",
                )
                return redirect(url_for("employers.detail", id=employer.id))
    return render_template("employers/handover.html", form=form, employer=employer, error=error)


@bp.route("/werkgevers/overdracht", methods=["GET", "POST"])
@login_required
@recent_password_required
def bulk_handover():
    permissions.require(
        permissions.can_bulk_hand_over(current_user),
        _("Alleen coördinatoren en beheerders kunnen werkgevers in één keer overdragen."),
    )
    form = BulkHandoverForm()
    sources = employers.employers_per_contactpersoon()
    form.source_id.choices = choices(
        [(0, _("— kies —"))]
        + [
            (
                u.id,
                ngettext("%(name)s (%(num)s werkgever)", "%(name)s (%(num)s werkgevers)", count, name=u.name)
                + ("" if u.active else " · " + _("gedeactiveerd")),
            )
            for u, count in sources
        ]
    )
    form.target_id.choices = _user_choices(_candidates())
    if request.method == "GET":
        form.source_id.data = request.args.get("van", 0, type=int)
    confirm = None
    error = None
    if form.validate_on_submit():
        # Valid choices are existing users.
        source = db.session.get_one(User, form.source_id.data)
        target = db.session.get_one(User, form.target_id.data)
        if source.id == target.id:
            form.target_id.errors = [*form.target_id.errors, _("Kies twee verschillende personen.")]
        elif form.confirmed.data != "1":
            confirm = {"source": source, "target": target, "count": employers.count_employers_of(source)}
        else:
            note = form.note.data
            assert note is not None  # DataRequired
            try:
                moved = employers.bulk_hand_over(current_user, source, target, note)
            except ServiceError as refused:
                error = str(refused)
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)s werkgever van %(source)s is overgedragen aan %(target)s.",
                        "%(num)s werkgevers van %(source)s zijn overgedragen aan %(target)s.",
                        moved,
                        source=source.name,
                        target=target.name,
                    ),
                    "success",
                )
                return redirect(url_for("employers.bulk_handover"))
    return render_template("employers/bulk_handover.html", form=form, confirm=confirm, error=error)


# --- merging -----------------------------------------------------------------------------


def _merge_search(keep: Employer, q: str) -> list[Employer]:
    """Employers matching a name, KvK number or id (the shared employer search, best first),
    for picking the duplicate."""
    digits = re.sub(r"[\s.\-]", "", q)
    if digits.isdigit() and len(digits) <= 9:
        exact = list(
            db.session.scalars(
                select(Employer)
                .where(
                    Employer.merged_into_id.is_(None),
                    Employer.id != keep.id,
                    or_(Employer.id == int(digits), Employer.kvk_number == digits),
                )
                .options(*SUMMARY_OPTIONS)
                .order_by(Employer.name, Employer.id)
                .limit(MERGE_SEARCH_LIMIT)
            )
        )
        if exact:
            return exact
    return find_employers(q, Employer.id != keep.id, limit=MERGE_SEARCH_LIMIT, options=SUMMARY_OPTIONS)


@bp.route("/werkgevers/<int:id>/samenvoegen", methods=["GET", "POST"])
@login_required
@recent_password_required
def merge(id: int):
    keep = load_employer_or_404(id, current_user)
    permissions.require(
        permissions.can_merge_employers(current_user), _("Alleen coördinatoren en beheerders kunnen samenvoegen.")
    )
    q = search_term()
    form = MergeForm()
    duplicate = None
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            duplicate_id = form.duplicate_id.data
            assert duplicate_id is not None  # InputRequired
            duplicate = load_employer_or_404(duplicate_id, current_user)
            try:
                employers.merge(current_user, keep, duplicate, form.note.data or "")
            except ServiceError as refused:
                error = str(refused)
            else:
                db.session.commit()
                flash(
                    _(
                        "%(duplicate)s is samengevoegd met %(keep)s. Het oude adres verwijst voortaan hierheen.",
                        duplicate=duplicate.name,
                        keep=keep.name,
                    ),
                    "success",
                )
                return redirect(url_for("employers.detail", id=keep.id))
        else:
            error = _("Kies eerst de dubbele werkgever.")
    elif (duplicate_id := request.args.get("duplicaat", type=int)) is not None:
        duplicate = load_employer_or_404(duplicate_id, current_user)
        form.duplicate_id.data = duplicate.id
    if duplicate is not None and duplicate.id == keep.id:
        error, duplicate = _("Kies twee verschillende werkgevers."), None
    suggestions = _with_summary(
        employers.find_duplicates(
            name=keep.name,
            municipality_id=keep.municipality_id,
            kvk_number=None,
            city=keep.city,
            exclude_id=keep.id,
        )
    )
    return render_template(
        "employers/merge.html",
        keep=keep,
        duplicate=duplicate,
        form=form,
        q=q,
        results=_merge_search(keep, q) if q else [],
        suggestions=suggestions,
        counts=employers.employer_counts([keep.id, duplicate.id]) if duplicate is not None else None,
        error=error,
    )
