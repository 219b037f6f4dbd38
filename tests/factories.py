"""factory_boy factories for every model, with realistic Dutch data."""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from crm.extensions import db
from crm.lib.clock import today
from crm.lib.passwords import hash_password
from crm.models import (
    Ambition,
    AuditEvent,
    Contact,
    ContactpersoonAssignment,
    Employer,
    EmployerPerson,
    FollowUp,
    Municipality,
    Notification,
    Organisation,
    Participant,
    Partnership,
    ProgrammePeriod,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
    User,
    Vacancy,
    VacancyStatusChange,
)
from crm.models.base import utcnow

PASSWORD = "correct-paard-batterij"
_hash_cache: dict[str, str] = {}


def password_hash() -> str:
    if PASSWORD not in _hash_cache:
        _hash_cache[PASSWORD] = hash_password(PASSWORD)
    return _hash_cache[PASSWORD]


def municipality(name: str = "Enschede") -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Gemeente Testdorp {n}")
    kind = "gemeente"


class PartnershipFactory(Base):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Leerwerkakkoord Regio {n}")
    scope = "regionaal"


class UserFactory(Base):
    class Meta:
        model = User

    # Not a random Dutch name: a user called "Joey Hendriks" in the menu made a test that looks
    # for participant "Hendriks" fail by chance.
    name = factory.Sequence(lambda n: f"Medewerker {n:04d}")
    email = factory.Sequence(lambda n: f"gebruiker{n}@example.nl")
    role = "accountmanager"
    organisation = factory.SubFactory(OrganisationFactory)
    password_hash = factory.LazyFunction(password_hash)


class EmployerFactory(Base):
    class Meta:
        model = Employer

    name = factory.Sequence(lambda n: f"Bakkerij De Korenschoof {n} B.V.")
    kvk_number = factory.Sequence(lambda n: f"{60000000 + n:08d}")
    status = "actief"
    city = "Enschede"
    postcode = "7511 JK"
    municipality = factory.LazyFunction(municipality)
    contactpersoon = factory.SubFactory(UserFactory)

    @factory.post_generation
    def assignment(obj, create, extracted, **kwargs):
        if create:
            db.session.add(
                ContactpersoonAssignment(employer=obj, user=obj.contactpersoon, note="Eerste contactpersoon")
            )
            db.session.flush()


class EmployerPersonFactory(Base):
    class Meta:
        model = EmployerPerson

    employer = factory.SubFactory(EmployerFactory)
    name = factory.Faker("name", locale="nl_NL")
    function = "HR-adviseur"
    phone = "053 481 2000"


class ContactFactory(Base):
    class Meta:
        model = Contact

    employer = factory.SubFactory(EmployerFactory)
    author = factory.SubFactory(UserFactory)
    organisation = factory.SelfAttribute("author.organisation")
    occurred_at = factory.LazyFunction(utcnow)
    channel = "telefoon"
    summary = "Gebeld over BBL-plekken voor volgend schooljaar."


class FollowUpFactory(Base):
    class Meta:
        model = FollowUp

    owner = factory.SubFactory(UserFactory)
    subject = "Terugbellen over vacature"
    due_date = factory.LazyFunction(today)
    employer = factory.SubFactory(EmployerFactory)


class VacancyFactory(Base):
    class Meta:
        model = Vacancy

    employer = factory.SubFactory(EmployerFactory)
    title = "Leerling-monteur werktuigbouw (BBL)"
    positions = 2
    education_level = "mbo2"
    learning_path = "bbl"
    crebo = "25309"


class VacancyStatusChangeFactory(Base):
    class Meta:
        model = VacancyStatusChange

    vacancy = factory.SubFactory(VacancyFactory)
    from_status = None
    to_status = "nieuw"


class ParticipantFactory(Base):
    class Meta:
        model = Participant

    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    birth_year = 1990
    doelgroep = "werkzoekende"


class ProgrammePeriodFactory(Base):
    class Meta:
        model = ProgrammePeriod

    name = factory.Sequence(lambda n: f"Periode {2020 + n}")
    starts_on = factory.LazyFunction(lambda: today() - timedelta(days=180))
    ends_on = factory.LazyFunction(lambda: today() + timedelta(days=185))


class AmbitionFactory(Base):
    class Meta:
        model = Ambition

    partnership = factory.SubFactory(PartnershipFactory)
    period = factory.SubFactory(ProgrammePeriodFactory)
    kind = "duaal"
    target = 100


class TrajectoryFactory(Base):
    class Meta:
        model = Trajectory

    kind = "duaal"
    participant = factory.SubFactory(ParticipantFactory)
    employer = factory.SubFactory(EmployerFactory)
    partnership = factory.SubFactory(PartnershipFactory)
    status = "aangemeld"


class TrajectoryOrganisationFactory(Base):
    class Meta:
        model = TrajectoryOrganisation

    trajectory = factory.SubFactory(TrajectoryFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "school"


class TrajectoryStatusChangeFactory(Base):
    class Meta:
        model = TrajectoryStatusChange

    trajectory = factory.SubFactory(TrajectoryFactory)
    to_status = "aangemeld"


class NotificationFactory(Base):
    class Meta:
        model = Notification

    user_id = factory.LazyFunction(lambda: UserFactory().id)
    kind = "contact_logged_by_partner"
    message = "Een partner heeft contact gehad met uw werkgever."


class AuditEventFactory(Base):
    class Meta:
        model = AuditEvent

    action = "create"
    object_type = "employer"
    object_id = 1
