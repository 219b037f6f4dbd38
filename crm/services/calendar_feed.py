"""The personal iCal feed: a user's open follow-ups as all-day events (RFC 5545).

Calendar apps (Outlook, Google, Apple) fetch ``/agenda/<token>.ics`` without signing in, so
the secret token in ``User.ical_token`` is the only key: 32 random bytes, revocable and
regenerated on demand from the profile page (``crm.services.accounts``).

Written by hand, without a library: CRLF line ends, lines folded at 75 octets (never inside a
UTF-8 character), TEXT values escaped, a stable UID per follow-up so an app updates the event
instead of adding a second one when the follow-up moves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm import permissions
from crm.extensions import db
from crm.i18n import force_locale
from crm.lib import mail
from crm.models import FollowUp, User
from crm.models.base import utcnow
from crm.services.reminders import follow_up_path

MAX_EVENTS = 2000


def user_for_token(token: str) -> User | None:
    """The active user whose feed this is; None for an unknown or revoked token."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.ical_token == token))
    if user is None or not user.active:
        return None
    return user


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets joined by CRLF + space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    pieces, current, limit = [], b"", 75
    for char in line:
        octets = char.encode("utf-8")
        if len(current) + len(octets) > limit:
            pieces.append(current.decode("utf-8"))
            current, limit = b"", 74  # continuation lines start with a space
        current += octets
    pieces.append(current.decode("utf-8"))
    return "\r\n ".join(pieces)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def render_feed(user: User, now: datetime | None = None) -> str:
    now = now or utcnow()
    domain = mail.message_domain()
    follow_ups = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.owner_id == user.id, FollowUp.status == "open", permissions.visible_follow_ups_clause(user))
        .options(selectinload(FollowUp.employer))
        .order_by(FollowUp.due_date, FollowUp.id)
        .limit(MAX_EVENTS)
    )
    with force_locale(user.locale or "nl"):
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Werkgeverscrm//Opvolgacties//NL",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{escape_text(_('Opvolgacties – %(name)s', name=user.name))}",
            "X-WR-TIMEZONE:Europe/Amsterdam",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        ]
        for follow_up in follow_ups:
            link = mail.absolute_url(follow_up_path(follow_up))
            summary = follow_up.subject
            if follow_up.employer is not None:
                summary = f"{follow_up.subject} – {follow_up.employer.name}"
            description = "\n".join(
                part
                for part in (
                    follow_up.subject,
                    f"{_('Werkgever')}: {follow_up.employer.name}" if follow_up.employer else "",
                    f"{_('Openen in Werkgeverscrm')}: {link}",
                )
                if part
            )
            lines += [
                "BEGIN:VEVENT",
                f"UID:followup-{follow_up.id}@{domain}",
                f"DTSTAMP:{_stamp(now)}",
                f"LAST-MODIFIED:{_stamp(follow_up.updated_at)}",
                f"DTSTART;VALUE=DATE:{_day(follow_up.due_date)}",
                f"DTEND;VALUE=DATE:{_day(follow_up.due_date + timedelta(days=1))}",
                f"SUMMARY:{escape_text(summary)}",
                f"DESCRIPTION:{escape_text(description)}",
                f"URL:{link}",
                "TRANSP:TRANSPARENT",
                "STATUS:CONFIRMED",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
