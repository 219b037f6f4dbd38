"""Employer search that forgives: typos, word order, legal forms, punctuation, diacritics and
Dutch spelling variants, with the same behaviour on SQLite and PostgreSQL.

How it works (one path for both databases, so the same query finds the same employers):

1. ``fold`` turns text into comparable words, for the stored text and the query alike: NFKD
   without diacritics, lower case, punctuation dropped ("B.V." becomes "bv", "&" a space),
   legal forms and fill words left out (bv, nv, vof, cv, holding, en, zn), postcodes written as
   one word ("7511 AB" → "7511ab"), then a careful phonetic folding of Dutch spelling variants:
   ij/y/ei → "y", ou/au → "au", final dt/d → "t", ph → "f", ck → "k", double letters single.
2. ``Employer.search_text`` keeps the folded words in sections separated by " | ", with a
   space before and after: the name; KvK number and postcode; the trade names (handelsnamen);
   place and municipality; the contactpersoon; the employer's people. ``SearchWord`` holds
   every word of those texts (not the numbers): the vocabulary.
3. ``patterns``: per query word what a text must contain to match it, with its worth: the word
   whole, as a beginning, inside a compound, every vocabulary word within 1-2 typos of it (found
   through the vocabulary's trigram index: a few thousand words, not 100,000 employers), and
   neighbouring words that written together match it ("grootkoerkamp").
4. The database selects exactly the employers holding a pattern of every query word (FTS5's
   trigram table on SQLite, substring LIKEs served by the pg_trgm GIN index on PostgreSQL) and
   orders them by ``coarse_score``: per word the worth of its best pattern, a tenth more in the
   name. So a search matching 25,000 employers costs the database, not 25,000 Python rows.
5. ``score`` ranks the first ``RERANKED`` rows in Python (identical on both): the same worths
   (``_pair``: equal word, prefix, part of a compound, Damerau-Levenshtein 1 typo from 4
   letters, 2 from 6), plus how much of the name the query covers ("techniek bv": "Techniek BV"
   before "Aannemer Techniek Twente Installaties"). Ties go by name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import ColumnElement, Integer, Select, bindparam, delete, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, scoped_session

from crm.extensions import db
from crm.models import Employer, EmployerPerson, Municipality, SearchWord, User

MAX_TERM = 100
SECTION = " | "
# Left out of names and queries: legal forms and fill words that say nothing about which employer.
STOPWORDS = frozenset({"bv", "nv", "vof", "cv", "holding", "en", "zn", "and", "ba", "ua"})
_POSTCODE = re.compile(r"\b(\d{4}) ?([a-z]{2})\b")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Spelling variants that sound the same, folded to one spelling (applied in this order).
_VARIANTS = (
    ("ij", "y"),
    ("ei", "y"),
    ("ou", "au"),
    ("ph", "f"),
    ("ck", "k"),
    ("dt", "t"),
)
_DOUBLE = re.compile(r"([a-z])\1+")


def normalise(term: str) -> str:
    """The term as typed, made safe: NFKC (fullwidth letters and digits as plain ones), without
    control and format characters (a NUL would end an FTS5 query, PostgreSQL refuses it in a
    text parameter; a zero-width space is invisible), lower case, single spaces, at most
    MAX_TERM characters."""
    term = unicodedata.normalize("NFKC", term or "")
    term = "".join(c for c in term if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(term.lower().split())[:MAX_TERM]


@lru_cache(maxsize=50_000)
def fold_word(word: str) -> str:
    """One word in its folded spelling (see the module docstring); digits stay as they are."""
    if word.isdigit():
        return word
    for old, new in _VARIANTS:
        word = word.replace(old, new)
    if word.endswith("d") and len(word) > 3:
        word = word[:-1] + "t"
    return _DOUBLE.sub(r"\1", word)


def fold(value: str) -> list[str]:
    """The words of ``value`` as they are compared: see the module docstring."""
    value = unicodedata.normalize("NFKD", normalise(value))
    value = "".join(c for c in value if not unicodedata.combining(c))
    value = value.replace("ı", "i").replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    value = value.replace(".", "")  # B.V. → bv, V.O.F. → vof; 7.5 is not a term anyone searches
    words = [word for word in _NON_WORD.sub(" ", value).split() if word not in STOPWORDS]
    # A postcode as one word ("7511 AB" → "7511ab"), after the legal forms are gone ("9999 BV").
    value = _POSTCODE.sub(r"\1\2", " ".join(words))
    return [fold_word(word) for word in value.split()]


def _section(*values: str | None) -> str:
    return " ".join(word for value in values if value for word in fold(value))


# --- the stored text --------------------------------------------------------------------------------


def search_texts(employer_ids: list[int] | None = None, *, session: Session | None = None) -> dict[int, str]:
    """``{employer id: search text}``: the folded name | KvK number and postcode | trade names |
    place and municipality | contactpersoon | the employer's own people, with a space before
    and after (so " word " finds a whole word, also the first and the last).
    The one computation of the column (``rebuild_search_text`` writes it); ``None``: all.
    ``session``: another than the application's (the migration that introduced this text)."""
    runner: Session | scoped_session = session or db.session
    query = (
        select(
            Employer.id,
            Employer.name,
            Employer.kvk_number,
            Employer.postcode,
            Employer.trade_names,
            Employer.city,
            Municipality.name,
            User.name,
        )
        .outerjoin(Municipality, Municipality.id == Employer.municipality_id)
        .outerjoin(User, User.id == Employer.contactpersoon_id)
        .order_by(Employer.id)
    )
    person_query = select(EmployerPerson.employer_id, EmployerPerson.name)
    if employer_ids is not None:
        query = query.where(Employer.id.in_(employer_ids))
        person_query = person_query.where(EmployerPerson.employer_id.in_(employer_ids))
    people: dict[int, list[str]] = {}
    for employer_id, name in runner.execute(person_query):
        people.setdefault(employer_id, []).append(name)
    return {
        employer_id: " "
        + SECTION.join(
            (
                _section(name),
                _section(kvk_number, postcode),
                _section(*(trade_names or "").splitlines()),
                _section(city, municipality),
                _section(contactpersoon),
                _section(*people.get(employer_id, [])),
            )
        )
        + " "
        for employer_id, name, kvk_number, postcode, trade_names, city, municipality, contactpersoon in runner.execute(
            query
        )
    }


def refresh_search_text(employer: Employer) -> None:
    """Recompute one employer's search text without bumping its version (it is derived), and
    forget the words it no longer holds that no other employer holds either (a removed
    person's name does not stay behind in the vocabulary)."""
    db.session.flush()
    before = db.session.scalar(select(Employer.search_text).where(Employer.id == employer.id)) or ""
    rebuild_search_text([employer.id])
    after = db.session.scalar(select(Employer.search_text).where(Employer.id == employer.id)) or ""
    gone = {word for word in set(before.split()) - set(after.split()) if word != "|" and not word[0].isdigit()}
    for word in gone:
        if _SAFE.fullmatch(word) and db.session.scalar(select(Employer.id).where(_holding(word)).limit(1)) is None:
            db.session.execute(delete(SearchWord).where(SearchWord.word == word))


def _holding(word: str) -> ColumnElement[bool]:
    """Employers whose search text holds this whole word (through the trigram index)."""
    if db.engine.dialect.name == "postgresql":
        return Employer.search_text.contains(f" {word} ", autoescape=True)
    fts = text("SELECT rowid FROM employer_fts WHERE employer_fts MATCH :q").bindparams(q=f'" {word} "')
    return Employer.id.in_(fts.columns(rowid=Integer))


def rebuild_search_text(
    employer_ids: Iterable[int] | None = None, batch: int = 2000, *, session: Session | None = None
) -> int:
    """Write the search text of these employers (None: all), as ``search_texts`` computes it:
    after an edit of one employer (``refresh_search_text``), a handover, bulk inserts, imports."""
    runner: Session | scoped_session = session or db.session
    ids = list(employer_ids) if employer_ids is not None else None
    done = 0
    chunks = [ids[i : i + batch] for i in range(0, len(ids), batch)] if ids is not None else [None]
    for chunk in chunks:
        texts = search_texts(chunk, session=session)
        values = [{"b_id": employer_id, "b_text": text} for employer_id, text in texts.items()]
        for start in range(0, len(values), batch):
            # The Core table, not update(Employer): on a Session a list of parameters would make the
            # latter an ORM bulk update by primary key. SQLAlchemy types ``__table__`` as a
            # FromClause, which update() does not accept, though it is a Table.
            runner.execute(
                update(Employer.__table__)  # type: ignore[arg-type]
                .where(Employer.__table__.c.id == bindparam("b_id"))
                .values(search_text=bindparam("b_text")),
                values[start : start + batch],
            )
        _learn_words(runner, texts.values())
        done += len(values)
    return done


def _learn_words(runner: Session | scoped_session, texts: Iterable[str]) -> None:
    """Add the words of these search texts to the vocabulary (``SearchWord``); numbers are
    never looked up there (a KvK number or postcode matches whole or by its beginning)."""
    words = sorted({word for text_ in texts for word in text_.split() if not word[0].isdigit() and word != "|"})
    insert = pg_insert if runner.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(words), 5000):
        runner.execute(
            insert(SearchWord.__table__).on_conflict_do_nothing(),  # type: ignore[arg-type]
            [{"word": word[:200]} for word in words[start : start + 5000]],
        )


# --- the vocabulary and the patterns of a query word ----------------------------------------------


def _grams(word: str) -> list[str]:
    size = 4 if len(word) >= 8 else 3
    return list(dict.fromkeys(word[i : i + size] for i in range(len(word) - size + 1)))


def _vocabulary(words: Sequence[str]) -> tuple[set[str], dict[str, set[str]], dict[str, set[str]]]:
    """What the vocabulary (``SearchWord``) holds for these query words, in one statement:
    which of their beginnings are stored words (for neighbours written as one); per word the
    stored words that may be it with a typo or two: those holding one of its 4-grams (3-grams
    under 8 letters; FTS5 on SQLite, pg_trgm on PostgreSQL) or beginning with its first two
    letters (short words whose every gram a typo touched: "amarni" for "amrani"); and per word
    those holding one of its 3-grams (where the second of two neighbours may be)."""
    spelled = [word for word in words if not word[0].isdigit()]
    prefixes = sorted({word[:i] for word in spelled for i in range(2, len(word))})
    postgres = db.engine.dialect.name == "postgresql"

    def holding(tag: str, grams: list[str]) -> str:
        if postgres:
            likes = " OR ".join(f"word LIKE '%{_literal(g)[1:-1]}%'" for g in grams)
            return f"SELECT {_literal(tag)}, word FROM search_word WHERE {likes}"  # noqa: S608 - literals checked
        for gram in grams:
            _literal(gram)  # checked: FTS5's own quoting is the double quotes around each gram
        match = " OR ".join(f'"{g}"' for g in grams)
        return f"SELECT {_literal(tag)}, word FROM search_word_fts WHERE search_word_fts MATCH '{match}'"  # noqa: S608

    parts = []
    if prefixes:
        listed = ", ".join(_literal(p) for p in prefixes)
        parts.append(f"SELECT 'known', word FROM search_word WHERE word IN ({listed})")  # noqa: S608 - literals checked
    for n, word in enumerate(spelled):
        if not _allowed(word):
            continue  # no typos forgiven in a word of 3 letters
        if grams := _grams(word):
            parts.append(holding(f"near {n}", grams))
        if len(word) >= 8:
            parts.append(holding(f"rest {n}", [word[i : i + 3] for i in range(len(word) - 2)]))
        start = word[:2]
        following = start.rstrip("z")  # the first word after all that begin with ``start``
        following = following[:-1] + chr(ord(following[-1]) + 1) if following else ""
        upper = f" AND word < {_literal(following)}" if _SAFE.fullmatch(following) else ""
        parts.append(
            f"SELECT 'near {n}', word FROM search_word WHERE word >= {_literal(start)}{upper}"  # noqa: S608 - checked
        )
    if not parts:
        return set(), {}, {}
    known: set[str] = set()
    near: dict[str, set[str]] = {word: set() for word in spelled}
    rest: dict[str, set[str]] = {word: set() for word in spelled}
    for tag, stored in db.session.execute(text(" UNION ALL ".join(parts))):
        if tag == "known":
            known.add(stored)
        else:
            kind, n = tag.split()
            (near if kind == "near" else rest)[spelled[int(n)]].add(stored)
    for word in spelled:
        if len(word) < 8:
            rest[word] = near[word]
    return known, near, rest


def patterns(words: Sequence[str]) -> list[dict[str, float]]:
    """Per query word, what a search text must contain to match it, and the worth (``_pair``)
    of finding it: the word whole (" word "), as the start of a word (" word"), inside a word
    (from 4 letters), each stored word within 1-2 typos (" wrod "), and two neighbours that
    written together match it (" groot koerkamp "). Spaces mark word boundaries: the search
    text starts and ends with one. The typos come from the vocabulary (``_vocabulary``), so the
    database is asked for exactly the employers that match."""
    known, near, rests = _vocabulary(words)
    result = []
    for word in words:
        found = {f" {word} ": 1.0, f" {word}": 0.9 if len(word) >= 2 else 0.5}
        if len(word) >= 4:
            found[word] = 0.8
        if not word[0].isdigit():
            if _allowed(word):
                for stored in near.get(word, ()):
                    value = _pair(word, stored)
                    if 0 < value < 0.8:  # the better ones are found by the patterns above
                        found[f" {stored} "] = max(value, found.get(f" {stored} ", 0.0))
            for i in range(2, len(word)):
                first, rest = word[:i], word[i:]
                if first not in known:
                    continue
                found[f" {first} {rest} "] = max(1.0, found.get(f" {first} {rest} ", 0.0))
                found.setdefault(f" {first} {rest}", 0.9)
                if _allowed(word) and len(rest) >= 3:
                    for stored in rests.get(word, ()):
                        if (value := _pair(word, first + stored)) and value < 0.9:
                            key = f" {first} {stored} "
                            found[key] = max(value, found.get(key, 0.0))
        result.append(found)
    return result


_SAFE = re.compile(r"[0-9a-z ]+")


def _literal(value: str) -> str:
    """A pattern as an SQL string literal. Patterns are folded words (``fold`` leaves only
    a-z, 0-9 and spaces), so they need no escaping, also not in LIKE; checked all the same.
    Literals, not parameters: a search's SQL is built as text, cheaply, and replayed as is."""
    if not _SAFE.fullmatch(value):
        raise ValueError(f"not a folded pattern: {value!r}")
    return f"'{value}'"


def _widest(word: Iterable[str]) -> list[str]:
    """The patterns of one query word that hold no other of its patterns: a text holding
    " klynsman " also holds "klynsman", so matching on "klynsman" alone selects the same rows
    with one substring test per row instead of three (" bas" covers " bas "). The ranking
    (:func:`coarse_score`) still tells the patterns apart. At 100,000 employers the match for
    "Bas Kleinsman" (25,000 rows, five patterns) took 89 ms on PostgreSQL, two patterns 27 ms."""
    kept: list[str] = []
    for pattern in sorted(word, key=len):
        if not any(shorter in pattern for shorter in kept):
            kept.append(pattern)
    return kept


def candidate_clause(found: Sequence[dict[str, float]]) -> ColumnElement[bool] | None:
    """Employers whose search text holds, for every query word, one of its patterns: exactly
    the matches. FTS5's trigram table answers on SQLite (a pattern of 3+ characters), substring
    LIKEs served by the pg_trgm GIN index on PostgreSQL; the same rows on both."""
    if not found:
        return None
    column = "employer.search_text"

    def like(word: Sequence[str]) -> str:
        return "(" + " OR ".join(f"{column} LIKE '%{_literal(p)[1:-1]}%'" for p in word) + ")"

    words = [_widest(word) for word in found]
    if db.engine.dialect.name == "postgresql":
        return text(" AND ".join(like(word) for word in words))  # type: ignore[return-value]
    indexed = [word for word in words if all(len(p) >= 3 for p in word)]
    clauses = [like(word) for word in words if word not in indexed]
    if indexed:
        for word in indexed:
            for p in word:
                _literal(p)  # checked: FTS5's own quoting is the double quotes around each pattern
        match = " AND ".join("(" + " OR ".join(f'"{p}"' for p in word) + ")" for word in indexed)
        fts = f"SELECT rowid FROM employer_fts WHERE employer_fts MATCH '{match}'"  # noqa: S608 - checked above
        clauses.append(f"employer.id IN ({fts})")
    return text(" AND ".join(clauses))  # type: ignore[return-value]


def coarse_score(found: Sequence[dict[str, float]]) -> ColumnElement[float]:
    """The relevance as the database computes it: per query word the worth of its best pattern
    in the text, a tenth more in the name (the first section); summed. ``score`` adds how much
    of the name the query covers, for the first rows (``RERANKED``)."""
    position = "strpos" if db.engine.dialect.name == "postgresql" else "instr"
    name_end = f"{position}(employer.search_text, ' | ')"  # SECTION
    terms = []
    for word in found:
        ranked = sorted(
            [(value * 1.1, p, True) for p, value in word.items()] + [(value, p, False) for p, value in word.items()],
            key=lambda row: -row[0],
        )
        whens = []
        for value, p, in_name in ranked:
            at = f"{position}(employer.search_text, {_literal(p)})"
            condition = f"{at} BETWEEN 1 AND {name_end}" if in_name else f"{at} > 0"
            whens.append(f"WHEN {condition} THEN {value:.4f}")
        terms.append("CASE " + " ".join(whens) + " ELSE 0 END")
    return literal_column("(" + " + ".join(terms) + ")")


# --- ranking ----------------------------------------------------------------------------------------


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or ``limit + 1`` once above."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed(word: str) -> int:
    """Typos forgiven in a query word: none up to 3 letters, one up to 5, two from 6."""
    return 0 if len(word) <= 3 else 1 if len(word) <= 5 else 2


@lru_cache(maxsize=500_000)
def _pair(word: str, stored: str) -> float:
    """How well query word ``word`` matches one stored word (0: not at all)."""
    if word == stored:
        return 1.0
    if stored.startswith(word):
        return 0.9 if len(word) >= 2 else 0.5
    if len(word) >= 4 and word in stored:
        return 0.8  # part of a compound: "dekker" in "dakdekkerbedryf"
    if word[0].isdigit() or stored[0].isdigit():
        return 0.0  # KvK numbers and postcodes match whole or by their beginning, never with a typo
    allowed = _allowed(word)
    if not allowed or len(set(word) - set(stored)) > allowed:  # each edit brings one letter at most
        return 0.0
    distance = _distance(word, stored, allowed)
    if distance <= allowed:
        return 0.85 - 0.1 * distance
    if len(word) >= 5 and len(stored) > len(word):  # a typo in the first part of a compound
        distance = _distance(word, stored[: len(word)], allowed)
        if distance <= allowed:
            return 0.7 - 0.1 * distance
    return 0.0


class _Matches:
    """How well one query word matches the stored words (``_pair``), for the rows of one search:
    each distinct stored word is scored once, and a row is then judged with set operations
    (C speed): the vocabulary is small next to the number of rows."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: set[str] = set()
        self.accepted: set[str] = set()
        self.scores: dict[str, float] = {}
        self.prefixes = frozenset(word[:i] for i in range(2, len(word)))

    def _learn(self, stored: Iterable[str]) -> None:
        for token in stored:
            self.seen.add(token)
            if value := _pair(self.word, token):
                self.accepted.add(token)
                self.scores[token] = value

    def best(self, tokens: list[str], token_set: set[str]) -> float:
        if unseen := token_set - self.seen:
            self._learn(unseen)
        hits = self.accepted & token_set
        best = max(map(self.scores.__getitem__, hits)) if hits else 0.0
        if best < 1.0 and not self.prefixes.isdisjoint(token_set):
            # Two neighbours written as one ("grootkoerkamp"), the first beginning the query word.
            joined = {a + b for a, b in zip(tokens, tokens[1:], strict=False) if a in self.prefixes}
            if unseen := joined - self.seen:
                self._learn(unseen)
            best = max([best, *(self.scores.get(token, 0.0) for token in joined)])
        return best


def score(words: Sequence[str], search_text: str, matches: Sequence[_Matches] | None = None) -> float:
    """The relevance of one employer (0: not a match): the mean over the query words of their
    best match, every word required; a match in the name is worth a tenth more, and a name
    the query covers more of ranks higher ("techniek bv": "Techniek BV" before "Aannemer
    Techniek Twente Installaties"). ``matches``: one ``_Matches`` per word, shared by the rows
    of one search."""
    if not words:
        return 0.0
    if matches is None:
        matches = [_Matches(word) for word in words]
    name, _bar, rest = search_text.partition(SECTION)
    numbers, _bar, rest = rest.partition(SECTION)
    name_words = name.split()
    name_set = set(name_words)
    other_words: list[str] | None = None
    other_set: set[str] = set()
    total = 0.0
    in_name = 0
    for word_matches in matches:
        best = word_matches.best(name_words, name_set) * 1.1
        if best:
            in_name += 1
        if best < 1.1:
            if word_matches.word[0].isdigit():  # KvK number and postcode: a section of their own
                number_words = numbers.split()
                best = max(best, word_matches.best(number_words, set(number_words)))
            else:
                if other_words is None:
                    other_words = rest.split()
                    other_set = set(other_words)
                    other_set.discard("|")
                best = max(best, word_matches.best(other_words, other_set))
        if not best:
            return 0.0
        total += best
    return total / len(matches) + 0.1 * min(1.0, in_name / max(1, len(name_words)))


def query_words(term: str) -> list[str]:
    return list(dict.fromkeys(fold(term)))


# The first rows of a search (ten list pages) are ranked by ``score`` after the database's
# ``coarse_score``; it adds at most a tenth (how much of the name the query covers).
RERANKED = 250


def search_ids(
    term: str, *where: ColumnElement[bool], limit: int | None = None, ordered: Select | None = None
) -> list[int]:
    """The ids of the employers matching ``term`` (and ``where``), best match first; merged
    employers included unless ``where`` leaves them out. Empty when the term has no words.
    ``ordered``: a ``select(Employer.id)`` with its joins and ORDER BY, for another order than
    relevance (the employer list's sorts): the matches keep that order, in the same one query.

    The database finds exactly the matches (``patterns``, ``candidate_clause``) and orders
    them by ``coarse_score``; Python ranks only the first ``RERANKED`` by ``score``, so a search
    matching 25,000 employers is not 25,000 rows scored in Python."""
    ids, _total = _search(term, where, fetch=limit, ordered=ordered, with_total=False)
    return ids[:limit] if limit is not None else ids


def search_window(
    term: str, *where: ColumnElement[bool], first: int, count: int, ordered: Select | None = None
) -> tuple[list[int], int]:
    """The ids of matches ``first`` to ``first + count`` (0-based) in :func:`search_ids`'s order,
    and the number of matches, from the same one query (``count(*) OVER ()``). A list page
    needs no more: the database then keeps only the first rows of its sort (a top-N heap) instead
    of sorting and sending every match (25,000 for a contactpersoon's name)."""
    ids, total = _search(term, where, fetch=first + count, ordered=ordered, with_total=True)
    return ids[first : first + count], total


def _search(
    term: str, where: Sequence[ColumnElement[bool]], *, fetch: int | None, ordered: Select | None, with_total: bool
) -> tuple[list[int], int]:
    """The first ``fetch`` matches (all: None), reranked, and the number of matches (with
    ``with_total``; else the number of rows read)."""
    words = query_words(term)
    if not words:
        return [], 0
    found = patterns(words)
    clause = candidate_clause(found)
    if clause is None:
        return [], 0
    query: Select
    if ordered is None:
        query = select(Employer.id).order_by(coarse_score(found).desc(), Employer.name, Employer.id)
        if fetch is not None:
            fetch = max(fetch, RERANKED)
    else:
        query = ordered
    if with_total:
        query = query.add_columns(func.count().over())
    query = query.where(clause, *where)
    if fetch is not None:
        query = query.limit(fetch)
    rows = db.session.execute(query).all()
    ids = [row[0] for row in rows]
    total = rows[0][1] if with_total and rows else len(ids)
    if ordered is not None:
        return ids, total
    first, rest = ids[:RERANKED], ids[RERANKED:]
    if first:
        texts = db.session.execute(
            select(Employer.id, Employer.name, Employer.search_text).where(Employer.id.in_(first))
        ).all()
        matches = [_Matches(word) for word in words]
        order = {employer_id: n for n, employer_id in enumerate(first)}
        scored = sorted(
            ((score(words, text_, matches), name, employer_id) for employer_id, name, text_ in texts),
            key=lambda row: (-row[0], row[1], row[2]) if row[0] else (1, order[row[2]], ""),
        )
        first = [employer_id for _s, _name, employer_id in scored]
    return first + rest, total


def find_employers(term: str, *where: ColumnElement[bool], limit: int, options: Sequence = ()) -> list[Employer]:
    """The employers matching ``term`` that are not merged away (and match ``where``), best match
    first: the lookup of every employer search box (trajectories, vacancies, merging)."""
    ids = search_ids(term, Employer.merged_into_id.is_(None), *where, limit=limit)
    if not ids:
        return []
    by_id = {e.id: e for e in db.session.scalars(select(Employer).where(Employer.id.in_(ids)).options(*options))}
    return [by_id[i] for i in ids if i in by_id]
