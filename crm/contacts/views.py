"""Logging contacts and handling follow-ups (also from the worklist, with htmx)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contacts", __name__)
