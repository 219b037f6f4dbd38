"""Trajectories: the status workflow, create/edit rules, follow-ups, need-to-know visibility, the list."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.lib.clock import today
from crm.models import (
    AuditEvent,
    FollowUp,
    Notification,
    Trajectory,
    TrajectoryStatusChange,
    partnership_member,
)
from crm.models.trajectories import TRAJECTORY_STATUSES
from crm.services import trajectories, worklist
from crm.services.contacts import FollowUpData
from crm.services.errors import PermissionDenied, ServiceError, StaleRecord
from crm.services.trajectories import ALLOWED_TRANSITIONS, TrajectoryData, TransitionData
from tests.conftest import counted_queries, csrf_token, login_as
from tests.test_participants import BSN_EXPLANATION, valid_bsns


@dataclass
class World:
    partnership: object
    other_partnership: object
    roc: object
    uwv: object
    consulent: object  # registered the participant and created the trajectory (gemeente)
    teacher: object  # partner-role user of the involved ROC, sees it only through the involvement
    uwv_am: object  # account manager at UWV, member of the partnership but not involved
    coordinator: object  # coordinator whose organisation is a member of the partnership
    other_coordinator: object  # coordinator of another partnership
    outsider: object  # account manager of an uninvolved organisation
    admin: object
    employer: object
    participant: object
    trajectory: object


@pytest.fixture
def world(factories) -> World:
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    uwv = factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv")
    steering = factories.OrganisationFactory(name="Regio Twente", kind="overig")
    elsewhere = factories.OrganisationFactory(name="Regio Achterhoek", kind="overig")
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    partnership = factories.PartnershipFactory(name="Leerwerkakkoord Twente", members=[roc, uwv, steering, gemeente])
    other = factories.PartnershipFactory(name="Leerwerkakkoord Achterhoek", members=[elsewhere])
    teacher = factories.UserFactory(role="partner", name="Petra Praktijkopleider", organisation=roc)
    employer = factories.EmployerFactory(name="Zorggroep Manna")
    consulent = factories.UserFactory(role="partner", name="Wendy Werkcoach", organisation=gemeente)
    participant = factories.ParticipantFactory(
        first_name="Daan", last_name="Kuipers", consent_purpose="Begeleiding", created_by_id=consulent.id
    )
    trajectory = trajectories.create_trajectory(
        consulent,
        participant,
        TrajectoryData(
            kind="duaal",
            partnership_id=partnership.id,
            involvements=[(roc.id, "school"), (gemeente.id, "gemeente")],
            employer_id=employer.id,
            qualification_name="Verzorgende IG",
            crebo="25491",
        ),
    )
    return World(
        partnership=partnership,
        other_partnership=other,
        roc=roc,
        uwv=uwv,
        consulent=consulent,
        teacher=teacher,
        uwv_am=factories.UserFactory(role="accountmanager", organisation=uwv),
        coordinator=factories.UserFactory(role="coordinator", name="Carla Coördinator", organisation=steering),
        other_coordinator=factories.UserFactory(role="coordinator", organisation=elsewhere),
        outsider=factories.UserFactory(role="accountmanager"),
        admin=factories.UserFactory(role="admin"),
        employer=employer,
        participant=participant,
        trajectory=trajectory,
    )


def put_in(trajectory: Trajectory, status: str) -> None:
    """Put a trajectory straight into ``status`` with what the data requires for it."""
    if status in ("gestart", "afgerond", "uitgevallen"):
        trajectory.actual_start = today() - timedelta(days=60)
    if status in ("afgerond", "uitgevallen"):
        trajectory.actual_end = today() - timedelta(days=1)
    if status == "afgerond":
        trajectory.outcome = "diploma"
    if status == "uitgevallen":
        trajectory.dropout_reason = "ander_werk"
    trajectory.status = status
    db.session.flush()


def complete_step(to_status: str) -> TransitionData:
    return TransitionData(
        to_status=to_status,
        actual_start=today() - timedelta(days=10),
        actual_end=today(),
        outcome="diploma",
        dropout_reason="verhuisd",
        dropout_text="Verhuisd naar Groningen.",
    )


def status_changes(trajectory) -> list[tuple]:
    return [
        (c.from_status, c.to_status)
        for c in db.session.scalars(
            select(TrajectoryStatusChange)
            .where(TrajectoryStatusChange.trajectory_id == trajectory.id)
            .order_by(TrajectoryStatusChange.id)
        )
    ]


# --- the workflow ------------------------------------------------------------------------------------------

PAIRS = list(itertools.product(TRAJECTORY_STATUSES, TRAJECTORY_STATUSES))
LEGAL = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}


def test_the_allowed_steps_are_the_documented_ones():
    assert {
        ("aangemeld", "intake"),
        ("intake", "gestart"),
        ("gestart", "afgerond"),
        ("aangemeld", "uitgevallen"),
        ("intake", "uitgevallen"),
        ("gestart", "uitgevallen"),
    } == LEGAL


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_status_pair(world, from_status, to_status):
    trajectory = world.trajectory
    put_in(trajectory, from_status)
    before = status_changes(trajectory)
    if (from_status, to_status) in LEGAL:
        change = trajectories.transition(
            world.teacher, trajectory, complete_step(to_status), version=trajectory.version
        )
        assert trajectory.status == to_status
        assert (change.from_status, change.to_status, change.changed_by_id) == (
            from_status,
            to_status,
            world.teacher.id,
        )
        assert status_changes(trajectory) == [*before, (from_status, to_status)]
        audit = db.session.scalar(
            select(AuditEvent).where(AuditEvent.object_type == "trajectory", AuditEvent.action == "transition")
        )
        assert audit.changes["status"] == [from_status, to_status] and audit.actor_id == world.teacher.id
    else:
        with pytest.raises(ServiceError) as refused:
            trajectories.transition(world.teacher, trajectory, complete_step(to_status), version=trajectory.version)
        message = str(refused.value)
        assert re.search(r"geen toegestane stap|kan niet meer veranderen|heeft de status", message), message
        db.session.refresh(trajectory)
        assert trajectory.status == from_status
        assert status_changes(trajectory) == before


@pytest.mark.parametrize(
    ("from_status", "step", "message"),
    [
        ("intake", TransitionData("gestart"), "Vul de startdatum in"),
        ("intake", TransitionData("gestart", actual_start=today() + timedelta(days=3)), "in de toekomst"),
        ("gestart", TransitionData("afgerond", actual_end=today()), "Kies het resultaat"),
        ("gestart", TransitionData("afgerond", outcome="ervaringscertificaat", actual_end=today()), "duaal traject"),
        ("gestart", TransitionData("afgerond", outcome="diploma"), "Vul de einddatum"),
        (
            "gestart",
            TransitionData("afgerond", outcome="diploma", actual_end=today() - timedelta(days=90)),
            "voor de startdatum",
        ),
        ("gestart", TransitionData("afgerond", outcome="diploma", actual_end=today() + timedelta(days=1)), "toekomst"),
        ("intake", TransitionData("uitgevallen", actual_end=today()), "reden van uitval"),
        ("intake", TransitionData("uitgevallen", dropout_reason="reden", actual_end=today()), "reden van uitval"),
        ("intake", TransitionData("uitgevallen", dropout_reason="overig", actual_end=today()), "Licht de reden"),
        ("intake", TransitionData("uitgevallen", dropout_reason="verhuisd"), "datum van uitval"),
    ],
)
def test_required_fields_per_step(world, from_status, step, message):
    trajectory = world.trajectory
    put_in(trajectory, from_status)
    with pytest.raises(ServiceError, match=message):
        trajectories.transition(world.teacher, trajectory, step, version=trajectory.version)
    db.session.refresh(trajectory)
    assert trajectory.status == from_status


def test_evc_ends_with_an_ervaringscertificaat(world, factories):
    evc = factories.TrajectoryFactory(
        kind="evc",
        employer=None,
        participant=world.participant,
        status="gestart",
        actual_start=today() - timedelta(days=30),
        partnership=world.partnership,
    )
    factories.TrajectoryOrganisationFactory(trajectory=evc, organisation=world.roc, role="evc_aanbieder")
    with pytest.raises(ServiceError, match="ervaringscertificaat"):
        trajectories.transition(
            world.teacher, evc, TransitionData("afgerond", outcome="diploma", actual_end=today()), version=evc.version
        )
    trajectories.transition(
        world.teacher,
        evc,
        TransitionData("afgerond", outcome="ervaringscertificaat", actual_end=today()),
        version=evc.version,
    )
    assert (evc.status, evc.outcome, evc.actual_end) == ("afgerond", "ervaringscertificaat", today())


def test_starting_fills_the_programme_period_of_the_start_date(world, factories):
    period = factories.ProgrammePeriodFactory(
        name="2025-2026", starts_on=today() - timedelta(days=100), ends_on=today() + timedelta(days=100)
    )
    put_in(world.trajectory, "intake")
    world.trajectory.actual_start = None
    trajectories.transition(
        world.teacher,
        world.trajectory,
        TransitionData("gestart", actual_start=today() - timedelta(days=2)),
        version=world.trajectory.version,
    )
    assert world.trajectory.period_id == period.id
    assert world.trajectory.actual_start == today() - timedelta(days=2)


def test_a_stale_transition_is_refused(world):
    seen = world.trajectory.version
    trajectories.transition(world.teacher, world.trajectory, TransitionData("intake"), version=seen)
    with pytest.raises(StaleRecord):
        trajectories.transition(
            world.teacher,
            world.trajectory,
            TransitionData("uitgevallen", dropout_reason="verhuisd", actual_end=today()),
            version=seen,
        )
    assert world.trajectory.status == "intake"


def test_the_whole_path_is_recorded(world):
    t = world.trajectory
    for step in ("intake", "gestart", "afgerond"):
        trajectories.transition(world.teacher, t, complete_step(step), version=t.version)
    assert status_changes(t) == [
        (None, "aangemeld"),
        ("aangemeld", "intake"),
        ("intake", "gestart"),
        ("gestart", "afgerond"),
    ]
    assert (t.outcome, t.actual_end) == ("diploma", today())


# --- create and edit -------------------------------------------------------------------------------------


def data_for(world, **changes) -> TrajectoryData:
    values = dict(
        kind="duaal",
        partnership_id=world.partnership.id,
        involvements=[(world.roc.id, "school")],
        employer_id=world.employer.id,
    )
    values.update(changes)
    return TrajectoryData(**values)


def test_create_records_aangemeld_and_audits(world):
    t = world.trajectory
    assert t.status == "aangemeld" and t.created_by_id == world.consulent.id
    assert status_changes(t) == [(None, "aangemeld")]
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "trajectory", AuditEvent.object_id == t.id)
    )
    assert audit.action == "create" and audit.actor_id == world.consulent.id
    assert audit.changes["involvements"][1] == ["gemeente: Gemeente Enschede", "school: ROC van Twente"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"employer_id": None}, "duaal traject heeft een werkgever"),
        ({"involvements": [], "kind": "evc", "employer_id": None}, "eigen organisatie"),
        ({"involvements": [("UWV", "uwv")]}, "eigen organisatie"),
        ({"crebo": "123"}, "crebocode"),
        ({"planned_start": today(), "planned_end": today() - timedelta(days=1)}, "geplande einddatum"),
        ({"actual_start": today()}, "Gestart"),
        ({"guidance_hours": -1}, "begeleidingsuren"),
        ({"regeling": "Regeling {bsn}"}, "BSN"),
        ({"qualification_name": "{bsn}"}, "BSN"),
    ],
)
def test_create_rules(world, changes, message):
    if changes.get("involvements") == [("UWV", "uwv")]:
        changes["involvements"] = [(world.uwv.id, "uwv")]
    for key in ("regeling", "qualification_name"):
        if key in changes:
            changes[key] = changes[key].format(bsn=valid_bsns(1)[0])
    with pytest.raises(ServiceError, match=message):
        trajectories.create_trajectory(world.teacher, world.participant, data_for(world, **changes))


def test_vacancy_must_belong_to_the_employer(world, factories):
    elsewhere = factories.VacancyFactory()
    with pytest.raises(ServiceError, match="hoort niet bij de gekozen werkgever"):
        trajectories.create_trajectory(world.teacher, world.participant, data_for(world, vacancy_id=elsewhere.id))
    own = factories.VacancyFactory(employer=world.employer)
    t = trajectories.create_trajectory(world.teacher, world.participant, data_for(world, vacancy_id=own.id))
    assert t.vacancy_id == own.id


def test_only_partnerships_of_ones_own_organisation(world):
    with pytest.raises(ServiceError, match="lid van is"):
        trajectories.create_trajectory(
            world.teacher, world.participant, data_for(world, partnership_id=world.other_partnership.id)
        )


def test_one_may_not_create_for_a_participant_one_cannot_see(world, factories):
    hidden = factories.ParticipantFactory()
    with pytest.raises(PermissionDenied):
        trajectories.create_trajectory(world.teacher, hidden, data_for(world))


def test_edit_with_optimistic_locking(world):
    t = world.trajectory
    seen = t.version
    trajectories.update_trajectory(world.teacher, t, data_for(world, regeling="STAP"), version=seen)
    assert t.regeling == "STAP" and t.version == seen + 1
    with pytest.raises(StaleRecord, match="intussen gewijzigd"):
        trajectories.update_trajectory(world.teacher, t, data_for(world, regeling="Sectorplan"), version=seen)
    assert t.regeling == "STAP"


def test_changing_only_the_organisations_moves_the_version(world):
    t = world.trajectory
    seen = t.version
    trajectories.update_trajectory(
        world.teacher, t, data_for(world, involvements=[(world.roc.id, "school"), (world.uwv.id, "uwv")]), version=seen
    )
    assert t.version == seen + 1
    assert {(i.organisation_id, i.role) for i in t.involvements} == {(world.roc.id, "school"), (world.uwv.id, "uwv")}
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "trajectory", AuditEvent.action == "update")
    )
    assert audit.changes["involvements"][1] == ["school: ROC van Twente", "uwv: UWV Werkbedrijf Twente"]


def stored_key(trajectory) -> str:
    return db.session.scalar(select(Trajectory.involvement_key).where(Trajectory.id == trajectory.id))


def test_the_involvement_key_follows_every_change_of_the_organisations(world, factories):
    t = world.trajectory
    roc = world.roc.id
    gemeente = next(i.organisation_id for i in t.involvements if i.role == "gemeente")
    assert stored_key(t) == t.involvement_key == ",".join(sorted([f"{roc}:school", f"{gemeente}:gemeente"]))
    # through the service: one removed, one added
    trajectories.update_trajectory(
        world.teacher, t, data_for(world, involvements=[(roc, "school"), (world.uwv.id, "uwv")]), version=t.version
    )
    db.session.flush()
    assert stored_key(t) == t.involvement_key == ",".join(sorted([f"{roc}:school", f"{world.uwv.id}:uwv"]))
    # any other path, e.g. a new organisation added directly, and a row deleted
    version = t.version
    sbb = factories.OrganisationFactory(name="SBB", kind="kenniscentrum")
    factories.TrajectoryOrganisationFactory(trajectory=t, organisation=sbb, role="kenniscentrum")
    assert stored_key(t) == ",".join(sorted([f"{roc}:school", f"{world.uwv.id}:uwv", f"{sbb.id}:kenniscentrum"]))
    db.session.delete(next(i for i in t.involvements if i.role == "uwv"))
    db.session.flush()
    assert stored_key(t) == t.involvement_key == ",".join(sorted([f"{roc}:school", f"{sbb.id}:kenniscentrum"]))
    assert t.version == version  # a derived column is not an edit


def test_coordinator_edits_without_being_involved(world):
    t = world.trajectory
    trajectories.update_trajectory(world.coordinator, t, data_for(world, regeling="STAP"), version=t.version)
    assert t.regeling == "STAP"
    assert world.coordinator.organisation_id not in {i.organisation_id for i in t.involvements}


def test_kind_must_fit_the_outcome(world):
    put_in(world.trajectory, "afgerond")
    with pytest.raises(ServiceError, match="past niet bij een evc-traject"):
        trajectories.update_trajectory(
            world.teacher,
            world.trajectory,
            data_for(
                world,
                kind="evc",
                actual_start=world.trajectory.actual_start,
                actual_end=world.trajectory.actual_end,
            ),
            version=world.trajectory.version,
        )


def test_one_may_not_edit_oneself_out(world):
    with pytest.raises(ServiceError, match="eigen organisatie"):
        trajectories.update_trajectory(
            world.teacher,
            world.trajectory,
            data_for(world, involvements=[(world.uwv.id, "uwv")]),
            version=world.trajectory.version,
        )


# --- follow-ups ----------------------------------------------------------------------------------------


def test_follow_up_on_a_trajectory_lands_on_the_owners_worklist(world):
    follow_up = trajectories.add_follow_up(
        world.teacher, world.trajectory, FollowUpData(due_date=today() + timedelta(days=3), subject="Intake plannen")
    )
    assert follow_up.owner_id == world.teacher.id  # the acting user, by default
    assert follow_up.trajectory_id == world.trajectory.id and follow_up.employer_id is None
    assert [f.subject for f in worklist.open_follow_ups(world.teacher)] == ["Intake plannen"]


def test_follow_up_for_a_colleague_notifies_with_a_link_to_the_trajectory(client, world):
    trajectories.add_follow_up(
        world.teacher,
        world.trajectory,
        FollowUpData(due_date=today(), subject="Voortgang bespreken", owner_id=world.coordinator.id),
    )
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.coordinator.id))
    assert note.link == f"/trajecten/{world.trajectory.id}"
    login_as(client, world.coordinator)
    html = client.get("/").get_data(as_text=True)
    assert "Voortgang bespreken" in html and f'href="/trajecten/{world.trajectory.id}"' in html


def test_follow_up_owner_must_see_the_trajectory(world):
    with pytest.raises(ServiceError, match="kan dit traject niet zien"):
        trajectories.add_follow_up(
            world.teacher,
            world.trajectory,
            FollowUpData(due_date=today(), subject="Bellen", owner_id=world.outsider.id),
        )


def test_follow_up_via_the_trajectory_page(client, world):
    login_as(client, world.teacher)
    path = f"/trajecten/{world.trajectory.id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/opvolgactie",
        data={
            "csrf_token": token,
            "subject": "Voortgangsgesprek",
            "due_date": (today() + timedelta(days=7)).isoformat(),
            "owner_id": world.teacher.id,
        },
    )
    assert response.status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Voortgangsgesprek" in html
    number = valid_bsns(1, seed=5)[0]
    html = client.post(
        f"{path}/opvolgactie",
        data={
            "csrf_token": token,
            "subject": f"Bellen over {number}",
            "due_date": today().isoformat(),
            "owner_id": world.teacher.id,
        },
    ).get_data(as_text=True)
    assert BSN_EXPLANATION in html
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


# --- visibility: 404 for everyone not involved -----------------------------------------------------------


def urls(world) -> list[tuple[str, str]]:
    p, t = world.participant.id, world.trajectory.id
    return [
        ("GET", f"/deelnemers/{p}"),
        ("GET", f"/deelnemers/{p}/bewerken"),
        ("POST", f"/deelnemers/{p}/bewerken"),
        ("GET", f"/trajecten/nieuw?deelnemer={p}"),
        ("POST", f"/trajecten/nieuw?deelnemer={p}"),
        ("GET", f"/trajecten/{t}"),
        ("GET", f"/trajecten/{t}/bewerken"),
        ("POST", f"/trajecten/{t}/bewerken"),
        ("POST", f"/trajecten/{t}/status"),
        ("POST", f"/trajecten/{t}/opvolgactie"),
    ]


POSTS = {
    "/bewerken": {"first_name": "X", "last_name": "Y", "doelgroep": "werkende", "birth_year": "1990", "kind": "evc"},
    "/status": {"to_status": "intake"},
    "/opvolgactie": {"subject": "Gluren", "due_date": "2030-01-01"},
}


@pytest.mark.parametrize("who", ["outsider", "other_coordinator", "admin", "uwv_am"])
def test_uninvolved_users_get_404_on_every_url(client, world, who):
    login_as(client, getattr(world, who))
    token = csrf_token(client, "/")
    version = world.trajectory.version
    for method, url in urls(world):
        if method == "GET":
            response = client.get(url)
        else:
            data = {"csrf_token": token, "version": version, "intake-version": version}
            data.update(next((v for k, v in POSTS.items() if url.split("?")[0].endswith(k)), {}))
            response = client.post(url, data=data)
        assert response.status_code == 404, (who, method, url)
        assert "Kuipers" not in response.get_data(as_text=True)
    assert "Kuipers" not in client.get("/trajecten").get_data(as_text=True)
    assert "Kuipers" not in client.get("/deelnemers").get_data(as_text=True)
    db.session.refresh(world.trajectory)
    db.session.refresh(world.participant)
    assert world.trajectory.status == "aangemeld" and world.participant.first_name == "Daan"
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0


@pytest.mark.parametrize("who", ["teacher", "coordinator"])
def test_involved_partner_and_the_partnerships_coordinator_see_it(client, world, who):
    login_as(client, getattr(world, who))
    for method, url in urls(world):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    trajectories_page = client.get("/trajecten").get_data(as_text=True)
    participants_page = client.get("/deelnemers").get_data(as_text=True)
    assert "Daan Kuipers" in trajectories_page
    assert "Kuipers, Daan" in participants_page
    # The intro states the rule that applies to this user, not both.
    via_partnerships = "die van uw samenwerkingsverbanden" in trajectories_page
    assert via_partnerships == (who == "coordinator")
    assert ("en van uw samenwerkingsverbanden" in participants_page) == (who == "coordinator")


def test_coordinator_of_the_partnership_may_move_the_status(client, world):
    login_as(client, world.coordinator)
    path = f"/trajecten/{world.trajectory.id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/status", data={"csrf_token": token, "to_status": "intake", "intake-version": world.trajectory.version}
    )
    assert response.status_code == 302
    db.session.refresh(world.trajectory)
    assert world.trajectory.status == "intake"


def test_a_coordinator_whose_organisation_left_the_partnership_no_longer_sees_it(client, world):
    db.session.execute(
        partnership_member.delete().where(partnership_member.c.organisation_id == world.coordinator.organisation_id)
    )
    login_as(client, world.coordinator)
    assert client.get(f"/trajecten/{world.trajectory.id}").status_code == 404


def test_involving_an_organisation_shows_it_to_its_users(client, world, factories):
    login_as(client, world.uwv_am)
    assert client.get(f"/trajecten/{world.trajectory.id}").status_code == 404
    factories.TrajectoryOrganisationFactory(trajectory=world.trajectory, organisation=world.uwv, role="uwv")
    login_as(client, world.uwv_am)
    assert client.get(f"/trajecten/{world.trajectory.id}").status_code == 200
    assert client.get(f"/deelnemers/{world.participant.id}").status_code == 200


def test_participant_page_lists_only_the_trajectories_one_may_see(client, world, factories):
    other = factories.TrajectoryFactory(
        participant=world.participant, partnership=world.other_partnership, qualification_name="Monteur werktuigbouw"
    )
    factories.TrajectoryOrganisationFactory(trajectory=other, organisation=world.uwv, role="uwv")
    login_as(client, world.teacher)
    html = client.get(f"/deelnemers/{world.participant.id}").get_data(as_text=True)
    assert "Verzorgende IG" in html and "Monteur werktuigbouw" not in html


@pytest.mark.parametrize("path", ["/trajecten", "/trajecten/{id}", "/trajecten/{id}/bewerken"])
def test_trajectory_pages_are_not_cached(client, world, path):
    login_as(client, world.teacher)
    response = client.get(path.format(id=world.trajectory.id))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


# --- pages ------------------------------------------------------------------------------------------------


def test_walk_the_workflow_through_the_pages(client, world):
    login_as(client, world.teacher)
    path = f"/trajecten/{world.trajectory.id}"
    token = csrf_token(client, path)

    def step(target, **fields):
        db.session.refresh(world.trajectory)
        data = {"csrf_token": token, "to_status": target, f"{target}-version": world.trajectory.version}
        data.update({f"{target}-{key}": value for key, value in fields.items()})
        return client.post(f"{path}/status", data=data)

    assert step("intake").status_code == 302
    html = step("afgerond", outcome="diploma", actual_end=today().isoformat()).get_data(as_text=True)
    assert "Van &#39;intake&#39; naar &#39;afgerond&#39; is geen toegestane stap" in html
    html = step("gestart", actual_start="").get_data(as_text=True)
    assert "Vul de startdatum in" in html
    assert step("gestart", actual_start=(today() - timedelta(days=5)).isoformat()).status_code == 302
    assert step("afgerond", outcome="diploma", actual_end=today().isoformat()).status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Dit traject is afgesloten" in html
    assert len(re.findall(r'class="status-change"', html)) == 4
    assert "Petra Praktijkopleider" in html


def test_transition_bsn_in_note_or_dropout_text_is_refused(client, world):
    login_as(client, world.teacher)
    path = f"/trajecten/{world.trajectory.id}"
    token = csrf_token(client, path)
    number = valid_bsns(1, seed=9)[0]
    for field in ("note", "dropout_text"):
        html = client.post(
            f"{path}/status",
            data={
                "csrf_token": token,
                "to_status": "uitgevallen",
                "uitgevallen-version": world.trajectory.version,
                "uitgevallen-dropout_reason": "overig",
                "uitgevallen-actual_end": today().isoformat(),
                f"uitgevallen-{field}": f"Zie dossier {number}",
            },
        ).get_data(as_text=True)
        assert BSN_EXPLANATION in html
    db.session.refresh(world.trajectory)
    assert world.trajectory.status == "aangemeld"


def form_post(world, token, **changes) -> dict:
    data = {
        "csrf_token": token,
        "kind": "duaal",
        "employer_id": world.employer.id,
        "vacancy_id": 0,
        "partnership_id": world.partnership.id,
        "period_id": 0,
        "regeling": "Regionaal Leerwerkakkoord",
        "qualification_name": "Verzorgende IG",
        "crebo": "25491",
        "planned_start": "",
        "planned_end": "",
        "guidance_hours": "",
        "org_school": world.roc.id,
        "org_evc_aanbieder": 0,
        "org_kenniscentrum": 0,
        "org_uwv": 0,
        "org_gemeente": 0,
    }
    data.update(changes)
    return data


def test_create_through_the_form(client, world):
    login_as(client, world.teacher)
    path = f"/trajecten/nieuw?deelnemer={world.participant.id}&werkgever={world.employer.id}"
    html = client.get(path).get_data(as_text=True)
    assert "Zorggroep Manna" in html
    assert f'<option selected value="{world.roc.id}">ROC van Twente</option>' in html  # own organisation
    token = csrf_token(client, path)
    response = client.post(path, data=form_post(world, token, guidance_hours="12"))
    assert response.status_code == 302
    created = db.session.scalar(select(Trajectory).order_by(Trajectory.id.desc()))
    assert response.headers["Location"] == f"/trajecten/{created.id}"
    assert (created.guidance_hours, created.status, created.participant_id) == (12, "aangemeld", world.participant.id)


@pytest.mark.parametrize("field", ["regeling", "qualification_name"])
def test_trajectory_form_refuses_a_bsn(client, world, field):
    login_as(client, world.teacher)
    path = f"/trajecten/nieuw?deelnemer={world.participant.id}"
    token = csrf_token(client, path)
    count = db.session.scalar(select(func.count()).select_from(Trajectory))
    for number in valid_bsns(3, seed=21):
        html = client.post(path, data=form_post(world, token, **{field: f"x {number}"})).get_data(as_text=True)
        assert BSN_EXPLANATION in html
    html = client.post(
        f"/trajecten/{world.trajectory.id}/bewerken",
        data=form_post(world, token, version=world.trajectory.version, **{field: valid_bsns(1)[0]}),
    ).get_data(as_text=True)
    assert BSN_EXPLANATION in html
    assert db.session.scalar(select(func.count()).select_from(Trajectory)) == count


def test_creating_without_own_organisation_is_explained(client, world):
    login_as(client, world.teacher)
    path = f"/trajecten/nieuw?deelnemer={world.participant.id}"
    token = csrf_token(client, path)
    html = client.post(path, data=form_post(world, token, org_school=0, org_uwv=world.uwv.id)).get_data(as_text=True)
    assert "Uw eigen organisatie moet bij het traject betrokken zijn" in html


def test_stale_edit_through_the_form(client, world):
    login_as(client, world.teacher)
    path = f"/trajecten/{world.trajectory.id}/bewerken"
    token = csrf_token(client, path)
    seen = world.trajectory.version
    assert client.post(path, data=form_post(world, token, version=seen, regeling="STAP")).status_code == 302
    html = client.post(path, data=form_post(world, token, version=seen, regeling="Sectorplan")).get_data(as_text=True)
    assert "Iemand anders heeft dit traject intussen gewijzigd" in html
    db.session.refresh(world.trajectory)
    assert world.trajectory.regeling == "STAP"


def test_employer_search_and_vacancies_for_the_form(client, world, factories):
    from crm.services.search import refresh_search_text

    refresh_search_text(world.employer)
    vacancy = factories.VacancyFactory(employer=world.employer, title="Leerling verzorgende IG")
    login_as(client, world.teacher)
    html = client.get("/trajecten/werkgevers?q=manna").get_data(as_text=True)
    assert f'value="{world.employer.id}"' in html and "1 werkgever gevonden" in html
    assert 'hx-swap-oob="true"' in html  # the vacancy select is emptied alongside
    html = client.get(f"/trajecten/vacatures?employer_id={world.employer.id}").get_data(as_text=True)
    assert f'value="{vacancy.id}"' in html and "Leerling verzorgende IG" in html


# --- the list --------------------------------------------------------------------------------------------


def add_trajectories(world, factories, count: int, **fields) -> list[Trajectory]:
    made = []
    for _ in range(count):
        t = factories.TrajectoryFactory(partnership=world.partnership, employer=world.employer, **fields)
        factories.TrajectoryOrganisationFactory(trajectory=t, organisation=world.roc, role="school")
        made.append(t)
    return made


def test_list_filters(client, world, factories):
    period = factories.ProgrammePeriodFactory(name="2024-2025")
    evc = factories.TrajectoryFactory(
        kind="evc",
        employer=None,
        partnership=world.partnership,
        period=period,
        participant=factories.ParticipantFactory(first_name="Eva", last_name="Evers"),
    )
    factories.TrajectoryOrganisationFactory(trajectory=evc, organisation=world.uwv, role="uwv")
    factories.TrajectoryOrganisationFactory(trajectory=evc, organisation=world.roc, role="evc_aanbieder")
    login_as(client, world.coordinator)

    def names(query: str) -> set[str]:
        html = client.get(f"/trajecten?{query}").get_data(as_text=True)
        return set(re.findall(r'<a href="/trajecten/\d+">([^<]+)</a>', html))

    assert names("") == {"Daan Kuipers", "Eva Evers"}
    assert names("soort=evc") == {"Eva Evers"}
    assert names("status=aangemeld&soort=duaal") == {"Daan Kuipers"}
    assert names(f"periode={period.id}") == {"Eva Evers"}
    assert names(f"organisatie={world.uwv.id}") == {"Eva Evers"}
    assert names(f"samenwerkingsverband={world.other_partnership.id}") == set()
    assert names(f"werkgever={world.employer.id}") == {"Daan Kuipers"}
    assert names(f"accountmanager={world.employer.contactpersoon_id}") == {"Daan Kuipers"}
    assert names("soort=onzin") == {"Daan Kuipers", "Eva Evers"}  # an invalid filter is left out
    html = client.get("/trajecten?status=afgerond").get_data(as_text=True)
    assert "Geen trajecten met deze filters." in html


def test_list_started_between(client, world, factories):
    put_in(world.trajectory, "gestart")  # started 60 days ago
    login_as(client, world.teacher)
    since = (today() - timedelta(days=90)).isoformat()
    until = (today() - timedelta(days=30)).isoformat()
    assert "Daan Kuipers" in client.get(f"/trajecten?gestart_vanaf={since}&gestart_tot={until}").get_data(as_text=True)
    assert "Daan Kuipers" not in client.get(f"/trajecten?gestart_vanaf={until}").get_data(as_text=True)


def test_list_pages_with_a_constant_number_of_queries(client, world, factories, app):
    per_page = app.config["PAGE_SIZE"]
    login_as(client, world.teacher)
    add_trajectories(world, factories, 2)
    login_as(client, world.teacher)
    with counted_queries() as few:
        assert client.get("/trajecten").status_code == 200
    add_trajectories(world, factories, per_page + 5)
    login_as(client, world.teacher)
    with counted_queries() as many:
        html = client.get("/trajecten").get_data(as_text=True)
    assert len(many) == len(few), many
    assert html.count('class="trajectory"') == per_page
    assert "Pagina 1 van 2" in html
    assert client.get("/trajecten?pagina=2").get_data(as_text=True).count('class="trajectory"') == 8


def test_empty_list_says_so(client, factories):
    login_as(client, factories.UserFactory(role="partner"))
    assert "Nog geen trajecten die u kunt zien." in client.get("/trajecten").get_data(as_text=True)


def test_new_without_participant_sends_one_to_pick_one(client, world):
    login_as(client, world.teacher)
    response = client.get(f"/trajecten/nieuw?werkgever={world.employer.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/deelnemers?werkgever={world.employer.id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/trajecten/nieuw?deelnemer={world.participant.id}&amp;werkgever={world.employer.id}" in html


def test_edit_form_shows_the_involved_organisations_in_their_roles(client, world, factories):
    temp_agency = factories.OrganisationFactory(name="Uitzendbureau Tempo", kind="uitzendbureau")
    factories.TrajectoryOrganisationFactory(trajectory=world.trajectory, organisation=temp_agency, role="overig")
    login_as(client, world.teacher)
    html = client.get(f"/trajecten/{world.trajectory.id}/bewerken").get_data(as_text=True)
    school = re.search(r'<select[^>]*id="org_school".*?</select>', html, re.S).group(0)
    assert f'<option selected value="{world.roc.id}">ROC van Twente</option>' in school
    overig = re.search(r'<select[^>]*id="org_overig".*?</select>', html, re.S).group(0)
    assert f'<option selected value="{temp_agency.id}">Uitzendbureau Tempo</option>' in overig
    assert f'value="{world.trajectory.version}"' in html


def test_a_closed_trajectory_offers_no_next_step(client, world):
    put_in(world.trajectory, "uitgevallen")
    world.trajectory.dropout_text = "Heeft een baan buiten de zorg gevonden."
    login_as(client, world.teacher)
    html = client.get(f"/trajecten/{world.trajectory.id}").get_data(as_text=True)
    assert "Dit traject is afgesloten" in html and 'name="to_status"' not in html
    assert "Ander werk gevonden: Heeft een baan buiten de zorg gevonden." in html


def test_an_edit_cannot_remove_every_involved_organisation(session, factories):
    from crm.services import trajectories as service
    from crm.services.errors import ServiceError

    school = factories.OrganisationFactory(kind="roc")
    partnership = factories.PartnershipFactory(members=[school])
    coordinator = factories.UserFactory(role="coordinator", organisation=school)
    trajectory = factories.TrajectoryFactory(partnership=partnership)
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=school, role="school")
    data = service.TrajectoryData.from_trajectory(trajectory)
    data.involvements = []
    with pytest.raises(ServiceError, match="minstens één betrokken organisatie"):
        service.update_trajectory(coordinator, trajectory, data, version=trajectory.version)
