"""Importing employers from CSV and XLSX: upload, column mapping, preview, confirm, report."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("imports", __name__)


@bp.route("/werkgevers/import", methods=["GET", "POST"])
@login_required
def upload():
    abort(501)
