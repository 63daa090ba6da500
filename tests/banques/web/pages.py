"""Helpers for page tests: log in through the form, read forms out of HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx2 import Response

from banques.accounts.models import User
from tests.factories import PASSWORD


@dataclass
class Form:
    id: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                Form(a.get("id", ""), a.get("action", ""), a.get("method", "get"))
            )
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.forms[-1].fields.setdefault(a.get("name", ""), "")
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1].fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms(html: str) -> dict[str, Form]:
    parser = _Forms()
    parser.feed(html)
    return {f.id or f.action: f for f in parser.forms}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, user: User, *, suivant: str = "/scan") -> Response:
    page = client.get("/connexion", params={"suivant": suivant})
    assert page.status_code == 200
    return client.post(
        "/connexion",
        data={
            "email": user.email,
            "mot_de_passe": PASSWORD,
            "csrf": csrf_of(page.text),
            "suivant": suivant,
        },
        follow_redirects=False,
    )


def submit(client: TestClient, form: Form, **values: str) -> Response:
    return client.post(form.action, data=form.fields | values, follow_redirects=False)


def text_of(html: str) -> str:
    """The page's text without tags and with collapsed spaces (for assertions)."""
    import html as html_lib

    no_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(no_tags))
