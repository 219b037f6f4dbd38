"""Errors that services raise, in two families that a view never has to tell apart by hand.

- ``PermissionDenied``: a rule of ``crm/permissions.py`` refused the actor. It is not a
  ``ServiceError``: it passes every ``except ServiceError`` and reaches the error handler
  (``crm/errors.py``), which rolls back, writes the refusal to the audit trail and answers 403.
- ``ServiceError`` (and ``StaleRecord``): the operation was refused for a reason the user can act
  on; ``str(error)`` is a translated message that the view shows beside the form. The view that
  catches it rolls back when it goes on using the session (services never roll back).

So a view needs one ``except ServiceError``.
"""


class ServiceError(Exception):
    """A rule refused the operation; ``str(error)`` is a message for the user."""


class PermissionDenied(Exception):
    """The actor may not do this; the error handler answers it (403), never the view."""


class StaleRecord(ServiceError):
    """The record changed since the form was opened (optimistic locking)."""
