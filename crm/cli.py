"""``flask crm ...`` commands: reference data, first admin, demo data, the pipeline tallies."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from crm.extensions import db
from crm.models import Organisation
from crm.models.users import ROLES
from crm.services import accounts
from crm.services.errors import ServiceError
from crm.services.reference import load_reference_data

crm_cli = AppGroup("crm", help="Werkgeverscrm commands.")


@crm_cli.command("load-reference")
def load_reference() -> None:
    """Load regions, municipalities and SBI sections (idempotent)."""
    added = load_reference_data()
    db.session.commit()
    click.echo(
        f"Reference data: added {added['regions']} regions, {added['municipalities']} municipalities, "
        f"{added['sbi_sections']} SBI sections."
    )


@crm_cli.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--organisation", prompt="Organisation name", help="Created (kind 'overig') when it does not exist.")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.password_option()
def create_user(email: str, name: str, organisation: str, role: str, password: str) -> None:
    """Create a user, e.g. the first admin."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
    if org is None:
        org = Organisation(name=organisation, kind="overig")
        db.session.add(org)
    try:
        user = accounts.create_user(None, email=email, name=name, role=role, organisation=org, password=password)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} ({org.name}).")


@crm_cli.command("seed-demo")
@click.option("--employers", default=300, show_default=True, help="Number of demo employers.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo(employers: int, if_empty: bool) -> None:
    """Build a realistic demo partnership (idempotent)."""
    from crm.demo import seed

    load_reference_data()
    report = seed(employers=employers, if_empty=if_empty, echo=click.echo)
    db.session.commit()
    click.echo(report)


@crm_cli.command("rebuild-tallies")
def rebuild_tallies() -> None:
    """Recompute the trajectory and vacancy tallies of the pipeline pages, and the employer
    tally of the employer list, from the rows they count.

    Triggers keep them in step with every change (crm/models/tallies.py, employer_tally.py,
    vacancy_tally.py); this is for after a restore of only some tables, or to check: it prints
    how many tally rows differed."""
    from crm.models import employer_tally, tallies, vacancy_tally

    connection = db.session.connection()
    before, fresh = tallies.stored_counts(connection), tallies.fresh_counts(connection)
    written = tallies.rebuild(connection)
    for single in (employer_tally.TALLY, vacancy_tally.TALLY):
        before[single.table] = single.stored_counts(connection)
        fresh[single.table] = single.fresh_counts(connection)
        written[single.table] = single.rebuild(connection)
    db.session.commit()
    for table, rows in written.items():
        stored, new = before[table], fresh[table]
        differing = len(set(stored) ^ set(new)) + sum(1 for key in set(stored) & set(new) if stored[key] != new[key])
        click.echo(f"Tallies rebuilt: {table}: {rows} rows; {differing} differed.")
