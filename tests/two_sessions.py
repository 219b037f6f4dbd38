"""Two people editing the same record, as two browsers would (crm.edit_merge): each opens the
edit form (a GET, the page's own form read as a browser posts it), changes some fields and
saves. Used by tests/test_edit_merge.py for every versioned form."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

from crm.extensions import db


class _EditForm(HTMLParser):
    """The fields of the page's form that carries ``opened``, as a browser would post them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self.current: list[tuple[str, str]] | None = None
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = []
            self.forms.append(self.current)
        if self.current is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.current.append((name, a.get("value") or "on"))
                return
            self.current.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select is not None and "selected" in a:
            self.current.append((self.select, a.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.current is not None:
            self.current.append((self.textarea, _without_first_newline(self.text)))
            self.textarea = None


def _without_first_newline(text: str) -> str:
    """A browser drops one newline right after <textarea> (WTForms writes one)."""
    return text[2:] if text.startswith("\r\n") else text.removeprefix("\n")


def edit_form_on(page: str) -> MultiDict:
    parser = _EditForm()
    parser.feed(page)
    forms = [f for f in parser.forms if any(name == "opened" for name, _ in f)]
    assert len(forms) == 1, "no versioned edit form (with an 'opened' snapshot) on the page"
    return MultiDict(forms[0])


@dataclass
class Session:
    """One person's browser: a test client signed in as ``user``, on one edit page."""

    client: object
    url: str
    form: MultiDict = field(default_factory=MultiDict)
    page: str = ""

    def open(self) -> Session:
        db.session.commit()  # the test's data so far stays when a request rolls back
        self.page = self.client.get(self.url).get_data(as_text=True)  # type: ignore[attr-defined]
        self.form = edit_form_on(self.page)
        return self

    def save(self, **changes):
        """Post the form as it is on screen, with ``changes`` typed in (a list for a multi-select,
        None to untick a checkbox); returns the response and keeps the page shown after it."""
        data = self.form.copy()
        for name, value in changes.items():
            data.poplist(name)
            if isinstance(value, list):
                for v in value:
                    data.add(name, str(v))
            elif value is not None:
                data.add(name, str(value))
        db.session.commit()
        response = self.client.post(self.url, data=data)  # type: ignore[attr-defined]
        self.page = response.get_data(as_text=True)
        if response.status_code == 200 and 'name="opened"' in self.page:
            self.form = edit_form_on(self.page)
        db.session.expire_all()
        return response

    def text(self) -> str:
        return html.unescape(self.page)
