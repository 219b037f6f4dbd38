"""The partner API under ``/api/v1`` (issue 19): another door to the same services and the same
crm/permissions.py, described by an OpenAPI 3.1 document generated from the pydantic models
that validate its requests and responses (APIFlask).

Layout (how to add a resource: /work/notes/api-skeleton.md, and the README):

- ``blueprint.py`` the blueprint; ``views.py`` its hooks (token, rate limit, language,
  headers), the document and its page; ``problems.py`` errors as application/problem+json;
  ``auth.py`` the acting client and ``operation(scope=...)``; ``paging.py`` keyset cursors;
  ``etags.py`` ETag / If-Match; ``schemas.py`` the shared models;
- one module per resource (``reference.py``, ``employers.py``, ``contacts.py``,
  ``follow_ups.py``), each adding its routes to the blueprint.
"""
