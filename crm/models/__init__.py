"""All models, imported here so that metadata and relationships are complete."""

from crm.models.api_clients import ApiClient
from crm.models.audit import AuditEvent
from crm.models.base import Base
from crm.models.contacts import Contact, FollowUp
from crm.models.deliveries import Delivery
from crm.models.employer_tally import EmployerTally
from crm.models.employers import ContactpersoonAssignment, Employer, EmployerPerson, SearchWord
from crm.models.notifications import Notification
from crm.models.organisations import Organisation, Partnership, partnership_member
from crm.models.participants import Participant
from crm.models.reference import Municipality, Region, SbiSection
from crm.models.tallies import TrajectoryMonthTally, TrajectoryStartTally, TrajectoryTally
from crm.models.trajectories import (
    Ambition,
    ProgrammePeriod,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
)
from crm.models.users import RecoveryCode, User
from crm.models.vacancies import Vacancy, VacancyStatusChange, vacancy_organisation
from crm.models.vacancy_tally import VacancyTally

__all__ = [
    "ApiClient",
    "Ambition",
    "AuditEvent",
    "Base",
    "Contact",
    "ContactpersoonAssignment",
    "Delivery",
    "Employer",
    "EmployerPerson",
    "EmployerTally",
    "FollowUp",
    "Municipality",
    "Notification",
    "Organisation",
    "Participant",
    "Partnership",
    "ProgrammePeriod",
    "RecoveryCode",
    "Region",
    "SbiSection",
    "SearchWord",
    "Trajectory",
    "TrajectoryOrganisation",
    "TrajectoryMonthTally",
    "TrajectoryStartTally",
    "TrajectoryStatusChange",
    "TrajectoryTally",
    "User",
    "Vacancy",
    "VacancyStatusChange",
    "VacancyTally",
    "partnership_member",
    "vacancy_organisation",
]
