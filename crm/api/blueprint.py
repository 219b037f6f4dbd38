"""The API's blueprint. Resource modules add their routes to it; crm/__init__.py imports them."""

from apiflask import APIBlueprint

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
