"""Importing employers from CSV and XLSX: upload, column mapping, preview, confirm, report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__)
