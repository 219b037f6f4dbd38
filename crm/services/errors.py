"""Errors that services raise; views turn them into Dutch messages."""


class ServiceError(Exception):
    """A rule refused the operation; ``str(error)`` is a message for the user."""


class PermissionDenied(ServiceError):
    pass


class StaleRecord(ServiceError):
    """The record changed since the form was opened (optimistic locking)."""
