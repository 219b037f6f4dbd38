"""The werkgevers blueprint. Its routes live in ``views`` (one employer) and ``listing`` (the list)."""

from flask import Blueprint

bp = Blueprint("employers", __name__)
