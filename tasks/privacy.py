"""Nightly privacy job: anonymise participants whose retention period has passed."""

from celery import shared_task
from flask import current_app

from crm.extensions import db
from crm.services.privacy import anonymise_expired


@shared_task
def anonymise_expired_participants() -> int:
    done = anonymise_expired(current_app.config["RETENTION_MONTHS"])
    db.session.commit()
    return done
