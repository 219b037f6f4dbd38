"""Demo seeder, third step: participants (minimal personal data, consent, no BSN) and their
duaal and EVC trajectories, each walked through its statuses, with involved organisations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crm.demo.base import Picker, SeederBase, insert_rows, insert_with_ids, pick_pairs, slug
from crm.demo.data import (
    BATCH_SIZE,
    CONSENT_PURPOSE,
    DOELGROEPEN,
    DROPOUTS,
    DROPOUTS_BEFORE_START,
    EVC_QUALIFICATIONS,
    EVC_TECHNIEK,
    REGELINGEN_DUAAL,
    REGELINGEN_EVC,
    SECTORS,
    TECHNIEK,
    TRAJECTORY_TARGETS,
    TWENTE,
    Job,
)
from crm.models import (
    FollowUp,
    Participant,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
)
from crm.models.trajectories import organisation_roles_key


class TrajectorySteps(SeederBase):
    # -- participants and trajectories ------------------------------------------------------------

    def build_participants_and_trajectories(self) -> None:
        total = max(10, round(self.total * 0.5)) if self.total else 0
        self.pick_doelgroep = Picker(self.rng, list(DOELGROEPEN), [v[0] for v in DOELGROEPEN.values()])
        self.pick_target = pick_pairs(self.rng, TRAJECTORY_TARGETS)
        self.pick_regeling_duaal = pick_pairs(self.rng, REGELINGEN_DUAAL)
        self.pick_regeling_evc = pick_pairs(self.rng, REGELINGEN_EVC)
        self.referrers = {key: pick_pairs(self.rng, spec[3]) for key, spec in DOELGROEPEN.items()}
        self.leerbedrijven_with_vacancy = [e for e in self.leerbedrijven if e[0] in self.bbl_vacancies]
        done = 0
        while done < total:
            size = min(BATCH_SIZE, total - done)
            plans = [self.plan_participant() for _ in range(size)]
            self.insert_participants(plans)
            done += size
            self.echo(f"  {done}/{total} deelnemers")

    def plan_participant(self) -> dict:
        rng = self.rng
        doelgroep = self.pick_doelgroep()
        _weight, (born_from, born_to), startkwalificatie, _referrers, duaal_share = DOELGROEPEN[doelgroep]
        first, last = self.person_name(young=doelgroep == "jongere_zonder_startkwalificatie")
        referrer_key = self.referrers[doelgroep]()
        referrer_org = self.org_ids[referrer_key]
        recorder = rng.choice(self.users_by_org[referrer_org])
        registered = self.moment(self.today - timedelta(days=rng.randint(1, 680)))
        email = f"{slug(first)}.{slug(last)}@example.com" if rng.random() < 0.5 else ""
        row = {
            "first_name": first,
            "last_name": last,
            "birth_year": rng.randint(born_from, born_to),
            "birth_date": None,
            "email": email,
            "phone": self.mobile() if rng.random() < 0.6 else "",
            "municipality_id": rng.choice(self.municipality_ids),
            "doelgroep": doelgroep,
            "has_startkwalificatie": rng.random() < startkwalificatie,
            "referring_organisation_id": referrer_org,
            "consent_at": registered,
            "consent_recorded_by_id": recorder,
            "consent_purpose": CONSENT_PURPOSE,
            "created_by_id": recorder,
            "created_at": registered,
            "updated_at": registered,
        }
        plan: dict[str, Any] = {"row": row, "trajectories": []}
        kind = "duaal" if rng.random() < duaal_share else "evc"
        if kind == "duaal" and not self.leerbedrijven:
            kind = "evc"
        if rng.random() < 0.97:  # a few participants are registered without a trajectory yet
            plan["trajectories"].append(self.plan_trajectory(kind, registered, recorder, referrer_key))
        return plan

    def plan_trajectory(self, kind: str, registered: datetime, creator: int, referrer_key: str) -> dict:
        rng = self.rng
        employer_id = vacancy_id = None
        job: Job
        techniek = False
        if kind == "duaal":
            pool = (
                self.leerbedrijven_with_vacancy
                if self.leerbedrijven_with_vacancy and rng.random() < 0.6
                else self.leerbedrijven
            )
            employer_id, _created, techniek, _contactpersoon = rng.choice(pool)
            options = self.bbl_vacancies.get(employer_id)
            if options:
                vacancy_id, job, _day = rng.choice(options)
            else:
                job = rng.choice([j for j in self.sector_jobs(techniek) if j.path == "bbl"])
            partnership = TECHNIEK if techniek and rng.random() < 0.7 else TWENTE
            regeling = self.pick_regeling_duaal()
            if regeling == "Sectorplan Techniek" and not techniek:
                regeling = "Regionaal Leerwerkakkoord"
        else:
            job = rng.choice(EVC_QUALIFICATIONS)
            techniek = job.crebo in EVC_TECHNIEK
            if rng.random() < 0.5 and self.all_employers:
                employer_id, _contactpersoon = rng.choice(self.all_employers)
            partnership = TECHNIEK if techniek and rng.random() < 0.6 else TWENTE
            regeling = self.pick_regeling_evc()

        # walk the statuses: aangemeld -> intake -> gestart -> afgerond | uitgevallen
        target = self.pick_target()
        steps = [("aangemeld", registered)]
        moment = registered
        actual_start = actual_end = None
        outcome = dropout_reason = None
        dropout_text = ""
        plan_steps = {
            "aangemeld": [],
            "intake": ["intake"],
            "gestart": ["intake", "gestart"],
            "afgerond": ["intake", "gestart", "afgerond"],
            "uitgevallen": ["intake", "gestart", "uitgevallen"] if rng.random() < 0.7 else ["intake", "uitgevallen"],
        }[target]
        gaps = {"intake": (5, 25), "gestart": (10, 50), "uitgevallen": (20, 200)}
        for status in plan_steps:
            if status == "afgerond":
                low, high = (240, 600) if kind == "duaal" else (60, 180)
            else:
                low, high = gaps[status]
            day = self.local_day(moment) + timedelta(days=rng.randint(low, high))
            if day >= self.today:
                break
            moment = self.moment(day, moment)
            steps.append((status, moment))
            if status == "gestart":
                actual_start = self.local_day(moment)
            elif status == "afgerond":
                actual_end = self.local_day(moment)
                outcome = (
                    "ervaringscertificaat" if kind == "evc" else ("diploma" if rng.random() < 0.85 else "certificaat")
                )
            elif status == "uitgevallen":
                actual_end = self.local_day(moment)
                dropout_reason, dropout_text = rng.choice(DROPOUTS if actual_start else DROPOUTS_BEFORE_START)
        status = steps[-1][0]
        duration = 540 if kind == "duaal" else 120
        planned_start = actual_start or self.local_day(registered) + timedelta(days=rng.randint(30, 75))
        period_id = self.period_ids.get(actual_start.year) if actual_start else None

        involved = {(self.org_ids["roc"], "school")} if kind == "duaal" or rng.random() < 0.4 else set()
        if kind == "evc":
            involved.add((self.org_ids["evc"], "evc_aanbieder"))
        if kind == "duaal" and rng.random() < 0.6:
            involved.add((self.org_ids["sbb"], "kenniscentrum"))
        if referrer_key == "uwv":
            involved.add((self.org_ids["uwv"], "uwv"))
        elif referrer_key in ("enschede", "hengelo"):
            involved.add((self.org_ids[referrer_key], "gemeente"))
        elif referrer_key == "techniek":
            involved.add((self.org_ids["techniek"], "overig"))
        deciders = [u for org, _role in sorted(involved) for u in self.users_by_org.get(org, [])] or [creator]
        changes = []
        previous = None
        for step, when in steps:
            changes.append(
                {
                    "from_status": previous,
                    "to_status": step,
                    "changed_by_id": creator if step == "aangemeld" else rng.choice(deciders),
                    "changed_at": when,
                    "reason": dropout_text if step == "uitgevallen" else "",
                }
            )
            previous = step
        row = {
            "kind": kind,
            "employer_id": employer_id,
            "vacancy_id": vacancy_id,
            "partnership_id": self.partnerships[partnership].id,
            "period_id": period_id,
            "regeling": regeling,
            "qualification_name": job.qualification,
            "crebo": job.crebo,
            "planned_start": planned_start,
            "planned_end": planned_start + timedelta(days=duration),
            "actual_start": actual_start,
            "actual_end": actual_end,
            "guidance_hours": rng.randint(8, 60) if actual_start else None,
            "status": status,
            "outcome": outcome,
            "dropout_reason": dropout_reason,
            "dropout_text": dropout_text,
            "created_by_id": creator,
            "created_at": registered,
            "updated_at": steps[-1][1],
        }
        follow_up = None
        if status in ("gestart", "intake") and rng.random() < 0.25:
            # As trajectories.add_follow_up makes it: owned by someone of an involved organisation
            # (who can see the trajectory), and not tied to the employer, whose timeline is shared.
            owner = creator if creator in deciders else rng.choice(deciders)
            subject = (
                "Voortgangsgesprek met deelnemer en praktijkopleider"
                if status == "gestart"
                else "Intakegesprek afronden"
            )
            follow_up = self.plan_open_follow_up(owner, steps[-1][1], subject, None)["row"]
            follow_up["employer_id"] = None
            follow_up["contact_id"] = None
        # Bulk inserts bypass the flush event that keeps the key: the key of the same involvements
        # inserted below, by the function write_involvement_keys uses (which, an UPDATE, would also
        # move the trajectory's updated_at to now).
        row["involvement_key"] = organisation_roles_key(involved)
        return {"row": row, "changes": changes, "involved": sorted(involved), "follow_up": follow_up}

    def sector_jobs(self, techniek: bool) -> list[Job]:
        return [job for sector in SECTORS if sector.techniek == techniek for job in sector.jobs]

    def insert_participants(self, plans: list[dict]) -> None:
        participant_ids = insert_with_ids(Participant, [p["row"] for p in plans])
        trajectory_plans = []
        for plan, participant_id in zip(plans, participant_ids, strict=True):
            for trajectory in plan["trajectories"]:
                trajectory["row"]["participant_id"] = participant_id
                trajectory_plans.append(trajectory)
        trajectory_ids = insert_with_ids(Trajectory, [t["row"] for t in trajectory_plans])
        change_rows: list[dict] = []
        involvement_rows: list[dict] = []
        follow_up_rows: list[dict] = []
        for trajectory, trajectory_id in zip(trajectory_plans, trajectory_ids, strict=True):
            for row in trajectory["changes"]:
                row["trajectory_id"] = trajectory_id
                change_rows.append(row)
            involvement_rows.extend(
                {"trajectory_id": trajectory_id, "organisation_id": org, "role": role}
                for org, role in trajectory["involved"]
            )
            if trajectory["follow_up"] is not None:
                trajectory["follow_up"]["trajectory_id"] = trajectory_id
                follow_up_rows.append(trajectory["follow_up"])
        insert_rows(TrajectoryStatusChange, change_rows)
        insert_rows(TrajectoryOrganisation, involvement_rows)
        insert_rows(FollowUp, follow_up_rows)
        self.counts["participants"] += len(plans)
        self.counts["trajectories"] += len(trajectory_plans)
        self.counts["trajectory_status_changes"] += len(change_rows)
        self.counts["follow_ups"] += len(follow_up_rows)
