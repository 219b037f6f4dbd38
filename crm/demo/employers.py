"""Demo seeder, second step: employers in batches, with their people, contactpersoon history,
contact moments, vacancies (with their status history and organisations) and follow-ups."""

from __future__ import annotations

import bisect
import itertools
import re
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from crm.demo.base import SeederBase, insert_rows, insert_with_ids, slug
from crm.demo.data import (
    BATCH_SIZE,
    CONTACT_TEXTS,
    EMPLOYER_NOTES,
    FOLLOW_UP_SUBJECTS,
    INTAKE_TEXT,
    OPEN_VACANCY,
    PERSON_FUNCTIONS,
    SIZES,
    STREETS,
    TRADE_NAME_BRANDS,
    TRADE_NAME_WORDS,
    VACANCY_PATHS,
    VACANCY_REASONS,
    VACANCY_REQUIREMENTS,
    Job,
    Sector,
)
from crm.models import (
    Contact,
    ContactpersoonAssignment,
    Employer,
    EmployerPerson,
    FollowUp,
    Vacancy,
    VacancyStatusChange,
    vacancy_organisation,
)
from crm.models.vacancies import organisation_ids_key
from crm.services.contacts import keep_last_contact
from crm.services.search import rebuild_search_text


class EmployerSteps(SeederBase):
    # -- employers ------------------------------------------------------------------------------

    def build_employers(self) -> None:
        self.leerbedrijven = []
        self.bbl_vacancies = {}
        self.all_employers = []
        self.employer_count = 0
        done = 0
        while done < self.total:
            size = min(BATCH_SIZE, self.total - done)
            plans = [self.plan_employer() for _ in range(size)]
            self.insert_employers(plans)
            done += size
            self.echo(f"  {done}/{self.total} werkgevers")
        self.employer_count = done

    def plan_employer(self) -> dict:
        rng = self.rng
        sector: Sector = self.pick_sector()
        prefix, sbi = rng.choice(sector.prefixes)
        municipality_id, town, pc_low, pc_high, area = self.pick_place()
        status = self.pick_status()
        if status == "prospect":
            created_day = self.today - timedelta(days=rng.randint(7, 300))
        else:
            created_day = self.today - timedelta(days=rng.randint(60, 3 * 365))
        created_at = self.moment(created_day)
        cp = self.pick_cp()
        name = self.company_name(sector, prefix, town)
        domain = slug(re.sub(r" (B\.V\.|V\.O\.F\.|& Zn\.)$", "", name), "-") + ".nl"
        size = SIZES[bisect.bisect_right(list(itertools.accumulate(sector.sizes)), rng.random() * 100)]
        erkend = status != "prospect" and rng.random() < sector.erkend * 0.8 + 0.05
        row = {
            "name": name,
            "kvk_number": self.next_kvk(),
            "sbi_code": sbi,
            "sbi_section_code": self.sbi_section(sbi),
            "size": size,
            "street": rng.choice(STREETS),
            "house_number": str(rng.randint(1, 240)) + rng.choice(("",) * 8 + ("a", "b", "-1")),
            "postcode": f"{rng.randint(pc_low, pc_high)} {self.postcode_letters()}",
            "city": town,
            "municipality_id": municipality_id,
            "phone": self.landline(area),
            "email": f"info@{domain}",
            "website": f"https://www.{domain}",
            "erkend_leerbedrijf": erkend,
            "status": status,
            "notes": rng.choice(EMPLOYER_NOTES) if rng.random() < 0.3 else "",
            "contactpersoon_id": cp,
            "created_at": created_at,
        }
        row["trade_names"] = self.trade_names(row["kvk_number"], town)
        plan: dict[str, Any] = {"row": row, "sector": sector, "erkend": erkend}

        # contactpersoon history: ~10% had an earlier contactpersoon
        handover_at = None
        previous = None
        span = (self.now - created_at).days
        if span > 60 and rng.random() < 0.1:
            previous = rng.choice([u for u in self.am_ids if u != cp])
            handover_at = self.moment(self.today - timedelta(days=rng.randint(7, span - 30)), created_at)
        assignments = []
        if previous is not None:
            reason = rng.choice(
                ("vertrek van de accountmanager", "herverdeling van de portefeuille", "langdurige afwezigheid")
            )
            assignments.append(
                {
                    "user_id": previous,
                    "started_at": created_at,
                    "ended_at": handover_at,
                    "note": f"Overdracht wegens {reason}.",
                    "assigned_by_id": self.coordinator_id,
                }
            )
        assignments.append(
            {
                "user_id": cp,
                "started_at": handover_at or created_at,
                "ended_at": None,
                "note": f"Overgenomen van {self.user_name[previous]}" if previous else "Eerste contactpersoon",
                "assigned_by_id": self.coordinator_id,
            }
        )
        plan["assignments"] = assignments

        def cp_at(moment: datetime) -> int:
            return previous if previous is not None and handover_at is not None and moment < handover_at else cp

        # the employer's own people
        people = []
        for index in range(rng.choice((1, 1, 2, 2, 2, 3))):
            first, last = self.person_name()
            function = (
                PERSON_FUNCTIONS[0] if index == 0 and size in ("micro", "klein") else rng.choice(PERSON_FUNCTIONS)
            )
            people.append(
                {
                    "name": f"{first} {last}",
                    "function": function,
                    "phone": self.mobile() if rng.random() < 0.5 else self.landline(area),
                    "email": f"{slug(first[0])}.{slug(last)}@{domain}",
                    "is_primary": index == 0,
                    "created_at": created_at,
                    "updated_at": created_at,
                }
            )
        plan["people"] = people

        # contact moments, more often recent
        contacts = []
        count = self.pick_contacts()
        if status == "prospect":
            count = min(count, 3)
        elif status == "inactief":
            count = count // 2
        since = max(created_at, self.now - timedelta(days=730))
        for _ in range(count):
            occurred = self.moment(self.recent_day(since, 0.7 if status == "inactief" else 1.4), since)
            contacts.append(self.plan_contact(occurred, cp_at(occurred), people))

        # vacancies (about one per three employers)
        vacancies: list[dict] = []
        chance = {"actief": 0.42, "prospect": 0.15, "inactief": 0.08}[status]
        while rng.random() < chance and len(vacancies) < 3:
            vacancies.append(
                self.plan_vacancy(sector, created_at, cp_at, municipality_id, people, contacts, len(vacancies))
            )
            chance = 0.12
        plan["vacancies"] = vacancies
        plan["contacts"] = contacts
        # last touched at the latest contact (last_contact_at itself: contacts.keep_last_contact, below)
        row["updated_at"] = max((c["row"]["occurred_at"] for c in contacts), default=None) or created_at

        # follow-ups: done ones after contacts, open ones for the contactpersoon
        follow_ups = []
        for index, contact in enumerate(contacts):
            if rng.random() < 0.2:
                follow_ups.append(self.plan_contact_follow_up(contact["row"], index))
        if status != "inactief" and rng.random() < (0.3 if status == "prospect" else 0.2):
            follow_ups.append(self.plan_open_follow_up(cp, created_at, rng.choice(FOLLOW_UP_SUBJECTS), None))
        for index, vacancy in enumerate(vacancies):
            if vacancy["row"]["status"] in OPEN_VACANCY and rng.random() < 0.4:
                subject = f"Kandidaten voorstellen: {vacancy['row']['title']}"
                follow_ups.append(self.plan_open_follow_up(cp, vacancy["row"]["created_at"], subject, index))
        plan["follow_ups"] = follow_ups
        return plan

    def sbi_section(self, code: str) -> str | None:
        division = int(code[:2])
        for low, high, section in self.sections:
            if low <= division <= high:
                return section
        return None

    def next_kvk(self) -> str:
        while True:
            self.kvk_next += self.rng.randint(1, self.kvk_gap)
            value = f"{self.kvk_next:08d}"
            if value not in self.existing_kvk:
                return value

    def plan_contact(self, occurred: datetime, cp: int, people: list[dict], intake: str | None = None) -> dict:
        """A contact moment; ``intake`` (a vacancy title) makes it the contactpersoon's vacancy intake."""
        rng = self.rng
        if intake is None:
            author = cp if rng.random() < 0.6 else rng.choice(self.non_admin_ids)
            channel = self.pick_channel()
            summary, outcome = rng.choice(CONTACT_TEXTS[channel])
            person = rng.randrange(len(people)) if rng.random() < 0.75 else None
        else:
            author, channel, person = cp, "bezoek", 0
            summary, outcome = INTAKE_TEXT[0].replace("{title}", intake), INTAKE_TEXT[1]
        name = people[person]["name"] if person is not None else "de werkgever"
        summary = summary.replace("{person}", name)
        return {
            "row": {
                "author_id": author,
                "organisation_id": self.user_org[author],
                "occurred_at": occurred,
                "channel": channel,
                "summary": summary,
                "outcome": outcome,
                "visibility": "gedeeld" if rng.random() < 0.85 else "intern",
                "created_at": occurred,
                "updated_at": occurred,
            },
            "person": person,
            "vacancy": None,
        }

    def plan_contact_follow_up(self, contact: dict, contact_index: int) -> dict:
        rng = self.rng
        occurred = contact["occurred_at"]
        due = self.local_day(occurred) + timedelta(days=rng.randint(2, 14))
        status, done_at = "open", None
        if due < self.today - timedelta(days=30) or (due < self.today and rng.random() < 0.8):
            status = "afgerond" if rng.random() < 0.93 else "geannuleerd"
            done_at = self.moment(due + timedelta(days=rng.randint(-2, 3)), occurred)
        return {
            "row": {
                "owner_id": contact["author_id"],
                "created_by_id": contact["author_id"],
                "subject": rng.choice(FOLLOW_UP_SUBJECTS),
                "due_date": due,
                "status": status,
                "done_at": done_at,
                "vacancy_id": None,
                "trajectory_id": None,
                "created_at": occurred,
                "updated_at": done_at or occurred,
            },
            "contact": contact_index,
            "vacancy": None,
        }

    def plan_vacancy(
        self,
        sector: Sector,
        employer_created: datetime,
        cp_at: Callable[[datetime], int],
        municipality_id: int,
        people: list[dict],
        contacts: list[dict],
        index: int,
    ) -> dict:
        rng = self.rng
        job: Job = rng.choice(sector.jobs)
        since = max(employer_created, self.now - timedelta(days=540))
        created = self.moment(self.recent_day(since, 1.3), since)
        age = (self.now - created).days
        if age <= 21:
            target = rng.choice(("nieuw", "intake_gedaan"))
        else:
            target = self.pick_vacancy_status()
            if age > 150 and target in OPEN_VACANCY:  # old vacancies are closed by now
                target = rng.choice(("vervuld", "vervuld", "ingetrokken", "verlopen"))
        path = VACANCY_PATHS[target]
        if target == "ingetrokken" and rng.random() < 0.4:
            path = ("nieuw", "ingetrokken")
        horizon = min(self.now, created + timedelta(days=150))
        offsets = sorted(rng.random() for _ in range(len(path) - 1))
        moments = [created]
        for offset in offsets:
            day = self.local_day(created + (horizon - created) * offset)
            moments.append(self.moment(day, moments[-1]))
        changes = []
        previous = None
        for status, moment in zip(path, moments, strict=True):
            changes.append(
                {
                    "from_status": previous,
                    "to_status": status,
                    "changed_by_id": cp_at(moment),
                    "changed_at": moment,
                    "reason": VACANCY_REASONS.get(status, ""),
                }
            )
            previous = status
            if status == "intake_gedaan":
                contact = self.plan_contact(moment, cp_at(moment), people, intake=job.title)
                contact["vacancy"] = index
                contacts.append(contact)
        if target in OPEN_VACANCY:
            closing = self.today + timedelta(days=rng.randint(7, 60))
        elif target == "verlopen":
            closing = self.local_day(moments[-1]) - timedelta(days=1)
        else:
            closing = self.local_day(created) + timedelta(days=rng.randint(30, 90))
        september = date(self.local_day(created).year, 9, 1)
        start = (
            september if september > self.local_day(created) + timedelta(days=30) else date(september.year + 1, 2, 1)
        )
        orgs = {self.user_org[cp_at(created)], self.org_ids["uwv"] if rng.random() < 0.5 else self.org_ids["enschede"]}
        if job.path in ("bbl", "bol"):
            orgs.add(self.org_ids["roc"])
            if rng.random() < 0.4:
                orgs.add(self.org_ids["sbb"])
        if sector.techniek and rng.random() < 0.3:
            orgs.add(self.org_ids["techniek"])
        row = {
            "title": job.title,
            "positions": rng.choice((1, 1, 1, 2, 2, 3)),
            "hours_per_week": rng.choice((24, 32, 36, 38, 40)),
            "education_level": job.level,
            "qualification_name": job.qualification,
            "crebo": job.crebo,
            "learning_path": job.path,
            "start_date": start,
            "closing_date": closing,
            "municipality_id": municipality_id,
            "requirements": rng.choice(VACANCY_REQUIREMENTS),
            "erkend_for_qualification": (rng.random() < 0.8) if job.path == "bbl" else None,
            "status": target,
            "created_by_id": cp_at(created),
            "created_at": created,
            "updated_at": moments[-1],
        }
        # Bulk inserts bypass the flush event that keeps the key; the key of the same organisations
        # it links below, by the event's own function.
        row["involvement_key"] = organisation_ids_key(orgs)
        return {"row": row, "changes": changes, "orgs": sorted(orgs), "job": job}

    @staticmethod
    def trade_names(kvk_number: str, town: str) -> str:
        """Handelsnamen for about one employer in twelve (from the KvK number, not the seeded
        random sequence, which the rest of the demo data follows): "Vakwerk Enschede", at times
        a second one ("De Zwaluw")."""
        pick = zlib.crc32(kvk_number.encode())
        if pick % 12:
            return ""
        names = [f"{TRADE_NAME_WORDS[pick // 12 % len(TRADE_NAME_WORDS)]} {town}"]
        if pick // 120 % 3 == 0:
            names.append(TRADE_NAME_BRANDS[pick // 360 % len(TRADE_NAME_BRANDS)])
        return "\n".join(names)

    def insert_employers(self, plans: list[dict]) -> None:
        employer_ids = insert_with_ids(Employer, [p["row"] for p in plans])
        people_rows, assignment_rows, vacancy_rows = [], [], []
        for plan, employer_id in zip(plans, employer_ids, strict=True):
            plan["id"] = employer_id
            for row in plan["people"]:
                row["employer_id"] = employer_id
                people_rows.append(row)
            for row in plan["assignments"]:
                row["employer_id"] = employer_id
                assignment_rows.append(row)
            for vacancy in plan["vacancies"]:
                vacancy["row"]["employer_id"] = employer_id
                vacancy_rows.append(vacancy["row"])
        people_ids = iter(insert_with_ids(EmployerPerson, people_rows))
        insert_rows(ContactpersoonAssignment, assignment_rows)
        vacancy_ids = iter(insert_with_ids(Vacancy, vacancy_rows))

        change_rows: list[dict] = []
        link_rows: list[dict] = []
        contact_rows: list[dict] = []
        for plan in plans:
            plan["people_ids"] = [next(people_ids) for _ in plan["people"]]
            plan["vacancy_ids"] = []
            for vacancy in plan["vacancies"]:
                vacancy_id = next(vacancy_ids)
                plan["vacancy_ids"].append(vacancy_id)
                for row in vacancy["changes"]:
                    row["vacancy_id"] = vacancy_id
                    change_rows.append(row)
                link_rows.extend({"vacancy_id": vacancy_id, "organisation_id": org} for org in vacancy["orgs"])
            for contact in plan["contacts"]:
                row = contact["row"]
                row["employer_id"] = plan["id"]
                row["employer_contact_id"] = (
                    None if contact["person"] is None else plan["people_ids"][contact["person"]]
                )
                row["vacancy_id"] = None if contact["vacancy"] is None else plan["vacancy_ids"][contact["vacancy"]]
                contact_rows.append(row)
        insert_rows(VacancyStatusChange, change_rows)
        insert_rows(vacancy_organisation, link_rows)
        contact_ids = iter(insert_with_ids(Contact, contact_rows))
        keep_last_contact(employer_ids)

        follow_up_rows = []
        for plan in plans:
            plan_contact_ids = [next(contact_ids) for _ in plan["contacts"]]
            for follow_up in plan["follow_ups"]:
                row = follow_up["row"]
                row["employer_id"] = plan["id"]
                row["contact_id"] = None if follow_up["contact"] is None else plan_contact_ids[follow_up["contact"]]
                row["vacancy_id"] = None if follow_up["vacancy"] is None else plan["vacancy_ids"][follow_up["vacancy"]]
                follow_up_rows.append(row)
            # remembered for trajectories (small tuples only)
            row = plan["row"]
            self.all_employers.append((plan["id"], row["contactpersoon_id"]))
            if plan["erkend"] and row["status"] == "actief":
                self.leerbedrijven.append(
                    (plan["id"], self.local_day(row["created_at"]), plan["sector"].techniek, row["contactpersoon_id"])
                )
                for vacancy, vacancy_id in zip(plan["vacancies"], plan["vacancy_ids"], strict=True):
                    if vacancy["job"].path == "bbl":
                        self.bbl_vacancies.setdefault(plan["id"], []).append(
                            (vacancy_id, vacancy["job"], self.local_day(vacancy["row"]["created_at"]))
                        )
        insert_rows(FollowUp, follow_up_rows)
        rebuild_search_text(employer_ids)  # name, KvK, place and people, for the employer search

        self.counts["employer_contacts"] += len(people_rows)
        self.counts["assignments"] += len(assignment_rows)
        self.counts["vacancies"] += len(vacancy_rows)
        self.counts["vacancy_status_changes"] += len(change_rows)
        self.counts["contacts"] += len(contact_rows)
        self.counts["follow_ups"] += len(follow_up_rows)
