"""Demo data: a realistic Twente learn-work partnership (``flask crm seed-demo``).

Everything is generated from ``random.Random(2026)`` and small shipped lists (no Faker at
runtime), relative to the current date so that the worklist always has overdue, today's and
upcoming follow-ups. Employers and everything hanging off them are written in batches with
SQLAlchemy's bulk ``insert()``, so ``--employers 100000`` stays feasible and memory stays flat.

The data never contains a BSN or any other nine-digit number: phone numbers are written in
groups, KvK numbers have eight digits and no vestigingsnummer is generated.

The package keeps the data apart from the code that writes it: ``data`` holds the literal tables
(organisations, users, names, towns, sectors, texts), ``seeder`` runs the steps, each a module of
its own (``partnership``, ``employers``, ``trajectories``) on the shared state of ``base``.
Derived columns are not computed here: search text and last contact are written after the bulk
inserts by the services that keep them (``search.rebuild_search_text``, ``contacts.keep_last_contact``);
the involvement keys by the functions the models' flush events use (``organisation_ids_key``,
``organisation_roles_key``). tests/test_derived_columns.py checks that they agree.
"""

from crm.demo.data import DEMO_DOMAIN, DEMO_LOGINS, DEMO_PASSWORD
from crm.demo.seeder import seed

__all__ = ["DEMO_DOMAIN", "DEMO_LOGINS", "DEMO_PASSWORD", "seed"]
