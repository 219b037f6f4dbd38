"""Background jobs. ``tasks.worker`` is the entry point for ``celery -A tasks.worker``."""
