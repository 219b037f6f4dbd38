from sqlalchemy import select

from crm.extensions import db
from crm.lib.passwords import verify_password
from crm.models import User


def test_create_user_makes_the_first_admin(app, session):
    result = app.test_cli_runner().invoke(
        args=[
            "crm",
            "create-user",
            "--email",
            "Beheer@Twente.nl",
            "--name",
            "Eerste Beheerder",
            "--organisation",
            "Leerwerkloket Twente",
            "--password",
            "zeven rode appels op tafel",
        ],
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "beheer@twente.nl"))
    assert user.role == "admin" and user.organisation.name == "Leerwerkloket Twente"
    assert verify_password(user.password_hash, "zeven rode appels op tafel")


def test_create_user_refuses_a_weak_password(app, session):
    result = app.test_cli_runner().invoke(
        args=[
            "crm",
            "create-user",
            "--email",
            "x@twente.nl",
            "--name",
            "X",
            "--organisation",
            "Org",
            "--password",
            "kort",
        ],
    )
    assert result.exit_code != 0 and "minstens 12 tekens" in result.output
    assert db.session.scalar(select(User).where(User.email == "x@twente.nl")) is None


def test_load_reference_is_idempotent(app, session):
    result = app.test_cli_runner().invoke(args=["crm", "load-reference"])
    assert "added 0 regions, 0 municipalities, 0 SBI sections" in result.output
