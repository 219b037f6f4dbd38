"""How long the employer import takes for a generated file (default 10,000 rows).

    .venv/bin/python bench/import_bench.py                       # SQLite file in a temporary folder
    .venv/bin/python bench/import_bench.py --rows 50000
    .venv/bin/python bench/import_bench.py --database postgresql+psycopg://postgres@127.0.0.1:5432/crm_bench

The database is migrated to head and given the reference lists; the import itself is rolled
back at the end, so a database can be used again. It runs the steps a user goes through:
read the CSV, check every row (the preview), then the import (checks again, inserts, search
text, audit) and the commit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from alembic.config import Config as AlembicConfig  # noqa: E402

from config import TestingConfig  # noqa: E402
from crm import ROOT, create_app  # noqa: E402
from crm.extensions import db  # noqa: E402

PLACES = ["Enschede", "Hengelo", "Almelo", "Borne", "Oldenzaal", "Haaksbergen", "Losser", "Tubbergen"]


def generated_csv(rows: int) -> bytes:
    header = "Bedrijfsnaam;KvK;Straat;Huisnummer;Postcode;Plaats;Gemeente;SBI;Telefoon;E-mailadres;Erkend leerbedrijf"
    lines = [header]
    for n in range(rows):
        place = PLACES[n % len(PLACES)]
        lines.append(
            f"Werkgever {n} B.V.;{20000000 + n};Industrieweg;{n % 200 + 1};7511 JK;{place};{place};"
            f"{4711 + n % 40};053 481 {n % 10000:04d};info{n}@werkgever.example;{'ja' if n % 3 else 'nee'}"
        )
    return "\r\n".join(lines).encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        from crm.models import Organisation, User
        from crm.services import imports
        from crm.services.reference import load_reference_data

        with db.engine.begin() as connection:
            cfg = AlembicConfig(toml_file=str(ROOT / "pyproject.toml"))
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        load_reference_data()
        db.session.commit()

        organisation = Organisation(name=f"Bench {time.time_ns()}", kind="overig")
        actor = User(
            email=f"bench{time.time_ns()}@example.nl",
            name="Bench",
            role="coordinator",
            organisation=organisation,
            password_hash="-",
        )
        db.session.add_all([organisation, actor])
        db.session.flush()

        content = generated_csv(args.rows)
        started = time.perf_counter()
        table = imports.read_table("bench.csv", content)
        mapping = imports.guess_mapping(table.headers)
        read_done = time.perf_counter()
        check = imports.check_rows(table, mapping, actor.id)
        check_done = time.perf_counter()
        result = imports.import_employers(
            actor,
            table,
            mapping,
            default_contactpersoon_id=actor.id,
            file_name="bench.csv",
            known=imports.known_rows(check),  # as the confirm step has them from the preview
        )
        import_done = time.perf_counter()
        db.session.flush()
        report = imports.rejected_report(table, result.check)
        report_done = time.perf_counter()
        assert check.totals["ok"] == args.rows == result.created, (check.totals, result.created)
        db.session.rollback()
        print(
            f"{args.rows} rows on {db.engine.dialect.name}: read {read_done - started:.2f}s, "
            f"preview check {check_done - read_done:.2f}s, import {import_done - check_done:.2f}s, "
            f"report {report_done - import_done:.2f}s ({len(report)} bytes)"
        )


if __name__ == "__main__":
    main()
