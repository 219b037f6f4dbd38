"""Bad input, tried on every form of the app (hypothesis).

Every GET page of the access matrix is opened in the built world by a user who may use it; each
``<form method="post">`` found in its HTML is posted with random and hostile values (very long
strings, control characters, HTML/JS, SQL fragments, unicode, wrong types) and without a CSRF
token. Never a 500; a refusal shows a message and stores nothing; stored HTML comes back
escaped. And no form takes a possible BSN (elfproef-valid 9-digit number) in free text.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn
from werkzeug.datastructures import MultiDict

import crm
from crm.extensions import db
from crm.forms import BaseForm
from tests.access_world import build_world, fingerprint
from tests.conftest import csrf_token, login_as
from tests.test_access_matrix import EXPECTED, OK, add_rule_records, rule_key, rules, url_for_rule

FIGURES = {
    "forms": 0,
    "fuzz_cases": 0,
    "date_cases": 0,
    "bsn_cases": 0,
    "server_errors": 0,
    "escaped": 0,
    "silent_tampered": 0,
}

# Sign-in steps are throttled per address (a fuzzed password would lock out other tests);
# they have their own tests in test_auth.py / test_sign_in_security.py.
SKIP = {"auth.login", "auth.login_code", "auth.reauthenticate"}
# Forms that end the session or are a plain button: no fields to fuzz.
SKIP_ACTIONS = {"/logout"}
FUZZ_ACTORS = ("accountmanager", "coordinator", "admin", "partner")
FREE_TEXT_TYPES = {"text", "tel", "url", "search", ""}

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = [
    "x" * 10_000,
    "é" * 10_000,
    "regel\x00met\x01stuur\x1btekens",
    "\x7f\x08",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR 1=1 --",
    "; DROP TABLE employer;",
    "1; DELETE FROM participant",
    "Zoë Çelik — ✓ 🚀 日本語 \u202e",
    "０１２３",
    "abc",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2024-13-45",
    "31-02-2024",
    "",
    "   ",
    "%s%n{0}{{7*7}}",
    "../../etc/passwd",
    "http://evil.example/",
]


# --- finding the forms ----------------------------------------------------------------------


def is_csrf(name: str) -> bool:
    return name.endswith("csrf_token")  # "csrf_token", or "prefs-csrf_token" on a prefixed form


@dataclass
class Form:
    page: str
    action: str
    fields: list[dict] = field(default_factory=list)
    method: str = "post"

    def defaults(self) -> list[tuple[str, str]]:
        """What a browser would send untouched (a valid submission where the page prefills)."""
        data = []
        for f in self.fields:
            if f["kind"] == "select":
                chosen = f["selected"] or (f["options"][:1] if not f["multiple"] else [])
                data += [(f["name"], v) for v in chosen]
            elif f["kind"] in ("checkbox", "radio"):
                if f["checked"]:
                    data.append((f["name"], f["value"]))
            elif f["kind"] not in ("submit", "button", "file", "image", "reset"):
                data.append((f["name"], f["value"]))
        return data

    def fuzzable(self) -> list[dict]:
        return [f for f in self.fields if not is_csrf(f["name"]) and f["kind"] not in ("submit", "button", "file")]

    def free_text(self) -> list[str]:
        names = []
        for f in self.fields:
            free = (f["kind"] == "input" and f["type"] in FREE_TEXT_TYPES) or f["kind"] == "textarea"
            if free and f["name"] not in names and f["name"] not in ("q", "next"):
                names.append(f["name"])
        return names


class FormParser(HTMLParser):
    def __init__(self, page: str, methods: tuple[str, ...] = ("post",)):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.methods = methods
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: dict | None = None
        self.textarea: dict | None = None
        self.option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            if method in self.methods:
                action = a.get("action") or self.page
                self.current = Form(page=self.page, action=action, method=method)
                self.forms.append(self.current)
            else:
                self.current = None
            return
        if self.current is None or (tag not in ("input", "select", "textarea", "option", "button")):
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            entry = {"name": name, "value": a.get("value") or "", "type": kind, "kind": "input"}
            if kind in ("checkbox", "radio", "submit", "button", "file", "image", "reset"):
                entry["kind"] = kind
                entry["checked"] = "checked" in a
            self.current.fields.append(entry)
        elif tag == "select" and name:
            self.select = {
                "name": name,
                "kind": "select",
                "options": [],
                "selected": [],
                "multiple": "multiple" in a,
            }
            self.current.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            value = a.get("value")
            self.select["options"].append(value if value is not None else "")
            if "selected" in a:
                self.select["selected"].append(self.select["options"][-1])
        elif tag == "textarea" and name:
            self.textarea = {"name": name, "kind": "textarea", "value": ""}
            self.current.fields.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def forms_on(html: str, page: str, methods: tuple[str, ...] = ("post",)) -> list[Form]:
    parser = FormParser(page, methods)
    parser.feed(html)
    found = []
    for form in parser.forms:
        path = urlsplit(form.action).path
        if path in SKIP_ACTIONS or not form.fuzzable():
            continue
        found.append(form)
    return found


def form_pages(app) -> list[str]:
    """The matrix rules with a GET page one of the fuzzing actors may open."""
    keys = []
    for rule in rules(app):
        key = rule_key(rule)
        if rule.endpoint in SKIP or "GET" not in rule.methods or "POST" not in rule.methods:
            continue
        if any(EXPECTED[key]["GET"].get(actor) in (200, OK) for actor in FUZZ_ACTORS):
            keys.append(key)
    return keys


def get_pages(app) -> list[str]:
    """Every matrix rule with a GET page one of the fuzzing actors may open (filter forms live on
    GET-only pages)."""
    keys = []
    for rule in rules(app):
        key = rule_key(rule)
        if rule.endpoint in SKIP or "GET" not in rule.methods:
            continue
        if any(EXPECTED[key]["GET"].get(actor) in (200, OK) for actor in FUZZ_ACTORS):
            keys.append(key)
    return keys


def pytest_generate_tests(metafunc):
    if "page_key" in metafunc.fixturenames or "get_page_key" in metafunc.fixturenames:
        from config import TestingConfig
        from crm import create_app

        app = create_app(TestingConfig)
        if "page_key" in metafunc.fixturenames:
            metafunc.parametrize("page_key", form_pages(app))
        else:
            metafunc.parametrize("get_page_key", get_pages(app))


@dataclass
class Setup:
    client: object
    world: object
    user: object
    forms: list[Form]
    token: str

    def tokens(self, form: Form) -> list[tuple[str, str]]:
        """The session's CSRF token under each token field name of the form."""
        names = {f["name"] for f in form.fields if is_csrf(f["name"])} or {"csrf_token"}
        return [(name, self.token) for name in sorted(names)]


def open_page(app, page_key, methods: tuple[str, ...] = ("post",)) -> Setup:
    rule = next(r for r in rules(app) if rule_key(r) == page_key)
    world = build_world()
    db.session.commit()
    add_rule_records(rule, world)
    actor = next(a for a in FUZZ_ACTORS if EXPECTED[page_key]["GET"][a] in (200, OK))
    client = app.test_client()
    login_as(client, world.users[actor])
    path = url_for_rule(rule, world.ids)
    response = client.get(path)
    assert response.status_code == 200, (path, actor, response.status_code)
    html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    response.close()  # an export is a temporary file
    forms = forms_on(html, path, methods)
    token = csrf_token(client, "/profiel")
    return Setup(client, world, world.users[actor], forms, token)


def post_isolated(setup: Setup, form: Form, data: list[tuple[str, str]]):
    """Post in a savepoint that is rolled back afterwards: each case meets the same world.
    Returns (status, html, changed, location)."""
    db.session.commit()
    savepoint = db.session.get_bind().begin_nested()
    try:
        login_as(setup.client, setup.user)  # a case may have ended the session (password change)
        before = fingerprint()
        try:
            response = setup.client.post(form.action, data=MultiDict(data))
        except Exception as error:  # an exception escaping a view is a 500 in production
            FIGURES["server_errors"] += 1
            raise AssertionError(f"server error on POST {form.action}: {error!r}") from error
        db.session.commit()
        changed = fingerprint() != before
        html = response.get_data(as_text=True)
        response.close()
        return response.status_code, html, changed, response.headers.get("Location", "")
    finally:
        db.session.commit()
        savepoint.rollback()
        db.session.expire_all()


def tampered(fields: list[dict], values: dict) -> bool:
    for f in fields:
        value = values.get(f["name"])
        if f.get("type") == "hidden" and value != f.get("value", ""):
            return True
        if f["kind"] == "select" and value not in f["options"]:
            return True
        if f["kind"] in ("radio", "checkbox") and value not in {x["value"] for x in fields if x["name"] == f["name"]}:
            return True
    return False


def shows_refusal(html: str) -> bool:
    return any(marker in html for marker in ("is-invalid", 'class="alert', "invalid-feedback", "text-danger"))


def value_strategy(f: dict):
    hostile = st.sampled_from(HOSTILE)
    free = st.text(max_size=60)
    if f["kind"] == "select":
        return st.one_of(st.sampled_from(f["options"] or [""]), hostile, free)
    return st.one_of(hostile, free, st.just(f.get("value", "")))


# --- the tests ----------------------------------------------------------------------------


def test_every_form_is_a_base_form():
    """BaseForm refuses control characters and a possible BSN in every free-text field: every
    form of the app must derive from it."""
    for module in pkgutil.walk_packages(crm.__path__, "crm."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("crm.")}
    assert len(ours) > 10
    strays = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in ours if not issubclass(cls, BaseForm))
    assert strays == []


def test_fuzz_form(app, session, page_key):
    setup = open_page(app, page_key)
    if not setup.forms:
        pytest.skip(f"{page_key}: no post form with fields")
    for form in setup.forms:
        FIGURES["forms"] += 1
        fields = form.fuzzable()
        baseline = form.defaults()

        # Without a CSRF token: 400 with a page that says so, nothing stored.
        status, html, changed, location = post_isolated(setup, form, [(k, v) for k, v in baseline if not is_csrf(k)])
        assert status == 400, (form.action, status, location)
        assert not changed

        fuzz_one_form(setup, form, fields, baseline)


def fuzz_one_form(setup: Setup, form: Form, fields: list[dict], baseline: list[tuple[str, str]]) -> None:
    @FUZZ
    @given(st.fixed_dictionaries({f["name"]: value_strategy(f) for f in fields}))
    def case(values):
        FIGURES["fuzz_cases"] += 1
        data = [(k, v) for k, v in baseline if k not in values and not is_csrf(k)]
        data += list(values.items()) + [*setup.tokens(form)]
        status, html, changed, location = post_isolated(setup, form, data)
        assert status < 500, (form.action, status)
        if status == 200 and not changed:
            if tampered(fields, values):
                # A value no browser sends (hidden field changed, option not offered): refused,
                # but a field message is not always possible (counted, and reported).
                FIGURES["silent_tampered"] += not shows_refusal(html)
            else:
                assert shows_refusal(html), f"{form.action}: refused without a message for {values!r}"[:2000]
        if status in (400, 422):
            assert not changed, (form.action, values)

    case()


def test_stored_html_is_escaped(app, session, page_key):
    """Each free-text field in turn gets ``<b>x</b>``; when the form takes it, every page
    the flow leads to shows it escaped."""
    setup = open_page(app, page_key)
    for form in setup.forms:
        for name in form.free_text():
            data = [(k, v) for k, v in form.defaults() if k != name and not is_csrf(k)]
            data += [(name, "Proef <b>x</b> 7"), *setup.tokens(form)]
            db.session.commit()
            response = setup.client.post(form.action, data=MultiDict(data), follow_redirects=True)
            html = response.get_data(as_text=True)
            assert response.status_code < 500
            assert "<b>x</b>" not in html, (form.action, name)
            if "Proef &lt;b&gt;x&lt;/b&gt; 7" in html:
                FIGURES["escaped"] += 1
            page = setup.client.get(form.page).get_data(as_text=True)
            assert "<b>x</b>" not in page, (form.page, name)


def test_employer_name_with_html_is_shown_escaped(app, session):
    world = build_world()
    db.session.commit()
    client = app.test_client()
    login_as(client, world.users["accountmanager"])
    (form,) = forms_on(client.get("/werkgevers/nieuw").get_data(as_text=True), "/werkgevers/nieuw")
    data = MultiDict([(k, v) for k, v in form.defaults() if k != "name"])
    data["name"] = "Bakkerij <b>x</b> & Zn"
    response = client.post("/werkgevers/nieuw", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bakkerij &lt;b&gt;x&lt;/b&gt; &amp; Zn" in html
    assert "<b>x</b>" not in html
    listing = client.get("/werkgevers?q=Bakkerij").get_data(as_text=True)
    assert "Bakkerij &lt;b&gt;x&lt;/b&gt;" in listing
    assert "<b>x</b>" not in listing


# --- garbage in every date field ---------------------------------------------------------------

# Values a date input can receive from a browser without date picker, a script or a paste.
GARBAGE_DATES = [
    "x",
    "2024-13-45",
    "31-02-2024",
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "-1",
    "１２-１２-２０２６",
    "2026-12-06\x00",
    "2026-12-06' OR 1=1 --",
    "9" * 40,
    "2026-12-06T25:61",
]
DATE_TYPES = {"date", "datetime-local", "month", "time"}


def date_fields(form: Form) -> list[str]:
    return [f["name"] for f in form.fields if f["kind"] == "input" and f["type"] in DATE_TYPES]


def test_garbage_dates(app, session, get_page_key):
    """Every date field of every form (POST and GET filter forms alike), each garbage value in
    turn, the other fields as the page fills them: a page with a message, never a 500, and
    nothing stored."""
    setup = open_page(app, get_page_key, methods=("post", "get"))
    targets = [(form, name) for form in setup.forms for name in date_fields(form)]
    if not targets:
        pytest.skip(f"{get_page_key}: no date field")
    for form, name in targets:
        for value in GARBAGE_DATES:
            FIGURES["date_cases"] += 1
            data = [(k, v) for k, v in form.defaults() if k != name and not is_csrf(k)] + [(name, value)]
            if form.method == "get":
                db.session.commit()
                response = setup.client.get(form.action, query_string=MultiDict(data))
                assert response.status_code == 200, (form.action, name, value, response.status_code)
                response.close()
                continue
            status, html, changed, location = post_isolated(setup, form, data + setup.tokens(form))
            assert status < 500, (form.action, name, value, status)
            assert not changed, f"{form.action}: stored {name}={value!r}"
            if status in (302, 303):  # refused with a flash message on the page it returns to
                html = setup.client.get(location).get_data(as_text=True)
            assert shows_refusal(html), (
                f"{form.action}: {name}={value!r} refused without a message ({status} {location})"
            )


# --- no BSN in any free-text field ------------------------------------------------------------

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


@st.composite
def elfproef_numbers(draw) -> str:
    """Eight random digits and the ninth that makes sum(d_i * w_i) % 11 == 0 (w = 9..2, -1)."""
    digits = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    last = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
    assume(last < 10)
    number = "".join(map(str, digits)) + str(last)
    assert (sum(int(d) * w for d, w in zip(number, (*WEIGHTS, -1), strict=True))) % 11 == 0
    assume(stdnum_bsn.is_valid(number))  # e.g. 000000000 is no BSN
    if draw(st.booleans()):
        number = f"{number[:3]} {number[3:6]} {number[6:]}"
    return number


def test_elfproef_numbers_are_bsns():
    @settings(max_examples=200, derandomize=True, database=None)
    @given(elfproef_numbers())
    def check(number):
        assert stdnum_bsn.is_valid(number.replace(" ", ""))

    check()


def test_no_form_takes_a_bsn(app, session, page_key):
    setup = open_page(app, page_key)
    targets = [(form, name) for form in setup.forms for name in form.free_text()]
    if not targets:
        pytest.skip(f"{page_key}: no free-text field")

    @settings(max_examples=max(10, 3 * len(targets)), **BSN_SETTINGS)
    @given(st.sampled_from(targets), elfproef_numbers(), st.sampled_from(["{}", "Bel {} terug", "{}."]))
    def case(target, number, template):
        form, name = target
        FIGURES["bsn_cases"] += 1
        data = [(k, v) for k, v in form.defaults() if k != name and not is_csrf(k)]
        data += [(name, template.format(number)), *setup.tokens(form)]
        status, html, changed, location = post_isolated(setup, form, data)
        assert status < 500
        assert not changed, f"{form.action}: stored a BSN in {name}"
        assert "burgerservicenummer" in html, f"{form.action} field {name}: BSN not refused ({status} {location})"

    case()


BSN_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
}


def test_zz_figures(capsys):
    with capsys.disabled():
        print(
            f"\nfuzzing: {FIGURES['forms']} forms, {FIGURES['fuzz_cases']} fuzz cases, "
            f"{FIGURES['date_cases']} garbage dates, {FIGURES['bsn_cases']} BSN cases, {FIGURES['escaped']} stored values shown escaped, "
            f"{FIGURES['server_errors']} server errors, {FIGURES['silent_tampered']} tampered values refused without a message"
        )
    assert FIGURES["server_errors"] == 0
