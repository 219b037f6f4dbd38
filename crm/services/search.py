"""Employer search: one lower-case ``search_text`` per employer (name, KvK number, place,
municipality, the employer's own people), searched with the database's trigram machinery.

- PostgreSQL: pg_trgm. A GIN trigram index serves both substring search (ILIKE) and the
  typo-tolerant word similarity (``%>``), and results are ranked by similarity.
- SQLite: an FTS5 table with the trigram tokenizer mirrors ``search_text`` (kept in step by
  triggers, see the migration) and serves substring search for terms of 3+ characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, or_, select, text, update

from crm.extensions import db
from crm.models import Employer, EmployerPerson, Municipality


def search_texts(employer_ids: list[int] | None = None) -> dict[int, str]:
    """``{employer id: search text}``: name, KvK number, place, municipality and the employer's
    own people, lower case. The one computation of the column (``rebuild_search_text`` writes it);
    ``None``: every employer."""
    query = (
        select(Employer.id, Employer.name, Employer.kvk_number, Employer.city, Municipality.name)
        .outerjoin(Municipality, Municipality.id == Employer.municipality_id)
        .order_by(Employer.id)
    )
    person_query = select(EmployerPerson.employer_id, EmployerPerson.name)
    if employer_ids is not None:
        query = query.where(Employer.id.in_(employer_ids))
        person_query = person_query.where(EmployerPerson.employer_id.in_(employer_ids))
    people: dict[int, list[str]] = {}
    for employer_id, name in db.session.execute(person_query):
        people.setdefault(employer_id, []).append(name)
    return {
        employer_id: " ".join(
            p for p in (name, kvk_number or "", city, municipality or "", *people.get(employer_id, [])) if p
        ).lower()
        for employer_id, name, kvk_number, city, municipality in db.session.execute(query)
    }


def refresh_search_text(employer: Employer) -> None:
    """Recompute one employer's search text without bumping its version (it is derived)."""
    db.session.flush()
    rebuild_search_text([employer.id])


def rebuild_search_text(employer_ids: Iterable[int] | None = None, batch: int = 2000) -> int:
    """Write the search text of these employers (None: all), as ``search_texts`` computes it:
    after an edit of one employer (``refresh_search_text``), bulk inserts and imports."""
    ids = list(employer_ids) if employer_ids is not None else None
    done = 0
    chunks = [ids[i : i + batch] for i in range(0, len(ids), batch)] if ids is not None else [None]
    for chunk in chunks:
        values = [{"b_id": employer_id, "b_text": text} for employer_id, text in search_texts(chunk).items()]
        for start in range(0, len(values), batch):
            # The Core table, not update(Employer): on a Session a list of parameters would make the
            # latter an ORM bulk update by primary key. SQLAlchemy types ``__table__`` as a
            # FromClause, which update() does not accept, though it is a Table.
            db.session.execute(
                update(Employer.__table__)  # type: ignore[arg-type]
                .where(Employer.__table__.c.id == bindparam("b_id"))
                .values(search_text=bindparam("b_text")),
                values[start : start + batch],
            )
        done += len(values)
    return done


MAX_TERM = 100


def normalise(term: str) -> str:
    """The term as it is searched: NFKC (fullwidth letters and digits as plain ones), without
    control and format characters (a NUL ends the FTS5 query string early, and PostgreSQL refuses
    it in a text parameter; a zero-width space is invisible), lower case, single spaces, at most
    MAX_TERM characters. FTS5 operators (NEAR, AND, ``*``, ``-``, ``^``) need no treatment: the
    term is searched as one quoted phrase, so they are ordinary text."""
    term = unicodedata.normalize("NFKC", term or "")
    term = "".join(c for c in term if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(term.lower().split())[:MAX_TERM]


def search_clause(term: str) -> ColumnElement[bool] | None:
    term = normalise(term)
    if not term:
        return None
    if db.engine.dialect.name == "postgresql":
        return or_(Employer.search_text.contains(term, autoescape=True), Employer.search_text.op("%>")(term))
    if len(term) >= 3:
        quoted = '"' + term.replace('"', '""') + '"'
        fts = text("SELECT rowid FROM employer_fts WHERE employer_fts MATCH :q").bindparams(q=quoted)
        return Employer.id.in_(fts.columns(rowid=Integer))
    return Employer.search_text.contains(term, autoescape=True)


def apply_search(query: Select, term: str) -> tuple[Select, bool]:
    """``query`` narrowed to employers matching ``term``; True when results are ranked."""
    clause = search_clause(term)
    if clause is None:
        return query, False
    query = query.where(clause)
    if db.engine.dialect.name == "postgresql":
        return query.order_by(func.word_similarity(normalise(term), Employer.search_text).desc()), True
    return query, False
