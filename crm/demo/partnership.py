"""Demo seeder, first step: the organisations, partnerships, users, programme periods and
ambitions (found by name, so a second run adds nothing), and the generators the employers need."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from crm.demo.base import Picker, SeederBase, pick_pairs
from crm.demo.data import (
    AMBITIONS,
    CHANNELS,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    ORGANISATIONS,
    PARTNERSHIPS,
    PERIODS,
    REGION,
    SECTORS,
    TOWNS,
    USERS,
    VACANCY_STATUS_WEIGHTS,
)
from crm.extensions import db
from crm.lib.passwords import hash_password
from crm.models import (
    Ambition,
    Employer,
    Municipality,
    Organisation,
    Partnership,
    ProgrammePeriod,
    Region,
    SbiSection,
    User,
)


class PartnershipSteps(SeederBase):
    def build_organisations(self) -> None:
        region = db.session.scalar(select(Region).where(Region.name == REGION))
        if region is None:
            raise RuntimeError(
                f"Region '{REGION}' not found: load the reference data first (flask crm load-reference)."
            )
        self.region = region
        self.orgs: dict[str, Organisation] = {}
        for key, (name, kind) in ORGANISATIONS.items():
            org = db.session.scalar(select(Organisation).where(Organisation.name == name))
            if org is None:
                org = Organisation(name=name, kind=kind)
                db.session.add(org)
                self.counts["organisations"] += 1
            self.orgs[key] = org
        self.partnerships = {}
        for name, (scope, description, members) in PARTNERSHIPS.items():
            partnership = db.session.scalar(select(Partnership).where(Partnership.name == name))
            if partnership is None:
                partnership = Partnership(name=name, scope=scope, description=description)
                db.session.add(partnership)
                self.counts["partnerships"] += 1
            if scope == "regionaal":
                partnership.region = region
            for key in members:
                if self.orgs[key] not in partnership.members:
                    partnership.members.append(self.orgs[key])
            self.partnerships[name] = partnership
        db.session.flush()
        self.org_ids = {key: org.id for key, org in self.orgs.items()}

    def build_users(self) -> None:
        password_hash: str | None = None
        self.users: list[User] = []
        self.cp_weights: list[int] = []
        self.user_by_login: dict[str, User] = {}
        rng = self.rng
        for local_part, name, role, org_key, weight in USERS:
            email = f"{local_part}@{DEMO_DOMAIN}"
            user = db.session.scalar(select(User).where(func.lower(User.email) == email))
            if user is None:
                if password_hash is None:
                    password_hash = hash_password(DEMO_PASSWORD)  # slow on purpose: once
                user = User(
                    email=email,
                    name=name,
                    role=role,
                    organisation=self.orgs[org_key],
                    password_hash=password_hash,
                    phone=f"06 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                    created_at=self.now - timedelta(days=800),
                    password_changed_at=self.now - timedelta(days=800),
                )
                db.session.add(user)
                self.counts["users"] += 1
            self.users.append(user)
            self.cp_weights.append(weight)
            self.user_by_login[local_part] = user
        db.session.flush()
        self.user_org = {u.id: u.organisation_id for u in self.users}
        self.user_role = {u.id: u.role for u in self.users}
        self.user_name = {u.id: u.name for u in self.users}
        self.demo_am = self.user_by_login["accountmanager"]
        self.coordinator_id = self.user_by_login["coordinator"].id
        self.non_admin_ids = [u.id for u in self.users if u.role != "admin"]
        self.users_by_org: dict[int, list[int]] = {}
        for user in self.users:
            if user.role != "admin":
                self.users_by_org.setdefault(user.organisation_id, []).append(user.id)

    def build_periods_and_ambitions(self) -> None:
        self.period_ids: dict[int, int] = {}
        periods: dict[str, ProgrammePeriod] = {}
        for name, (starts_on, ends_on) in PERIODS.items():
            period = db.session.scalar(select(ProgrammePeriod).where(ProgrammePeriod.name == name))
            if period is None:
                period = ProgrammePeriod(name=name, starts_on=starts_on, ends_on=ends_on)
                db.session.add(period)
            periods[name] = period
        db.session.flush()
        for name, period in periods.items():
            self.period_ids[int(name)] = period.id
        for (partnership_name, period_name, kind), target in AMBITIONS.items():
            partnership = self.partnerships[partnership_name]
            period = periods[period_name]
            exists = db.session.scalar(
                select(Ambition.id).where(
                    Ambition.partnership_id == partnership.id, Ambition.period_id == period.id, Ambition.kind == kind
                )
            )
            if exists is None:
                db.session.add(Ambition(partnership=partnership, period=period, kind=kind, target=target))
                self.counts["ambitions"] += 1
        db.session.flush()

    def prepare_generators(self) -> None:
        rng = self.rng
        twente = db.session.execute(
            select(Municipality.id, Municipality.name)
            .join(Region, Municipality.region_id == Region.id)
            .where(Region.name == REGION, Municipality.active.is_(True))
            .order_by(Municipality.name)
        ).all()
        if not twente:
            raise RuntimeError(f"No municipalities in region '{REGION}': load the reference data first.")
        self.municipality_ids = [row.id for row in twente]
        places = []  # (municipality id, town, first postcode, last postcode, area code), weight
        for row in twente:
            weight, towns = TOWNS.get(row.name, (15, [(row.name, 7500, 7699, "053")]))
            for town in towns:
                places.append(((row.id, *town), weight / len(towns)))
        self.pick_place = pick_pairs(rng, places)
        self.pick_sector = Picker(rng, SECTORS, [s.weight for s in SECTORS])
        self.pick_channel = pick_pairs(rng, CHANNELS)
        self.pick_contacts = Picker(rng, range(13), (8, 12, 14, 14, 12, 10, 8, 6, 5, 4, 3, 2, 2))
        self.pick_status = pick_pairs(rng, (("prospect", 25), ("actief", 65), ("inactief", 10)))
        cps = [(u.id, w) for u, w in zip(self.users, self.cp_weights, strict=True) if w]
        self.pick_cp = pick_pairs(rng, cps)
        self.am_ids = [u.id for u in self.users if u.role == "accountmanager"]
        self.pick_vacancy_status = pick_pairs(rng, VACANCY_STATUS_WEIGHTS)
        self.sections = sorted(
            db.session.execute(select(SbiSection.division_from, SbiSection.division_to, SbiSection.code))
        )
        existing_kvk = db.session.scalar(select(func.count(Employer.id)).where(Employer.kvk_number.is_not(None)))
        self.existing_kvk = set(db.session.scalars(select(Employer.kvk_number))) if existing_kvk else set()
        # unique KvK numbers: a counter with a random start and random gaps (always increasing)
        self.kvk_next = rng.randint(10_000_000, 80_000_000)
        self.kvk_gap = max(1, min(97, (99_999_999 - self.kvk_next) // max(self.total, 1) - 1))
