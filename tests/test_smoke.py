from tests.conftest import login_as


def test_every_factory_builds_a_row(factories, session):
    made = [
        getattr(factories, name)()
        for name in dir(factories)
        if name.endswith("Factory") and name not in ("Base", "SQLAlchemyModelFactory")
    ]
    assert all(getattr(obj, "id", None) or getattr(obj, "trajectory_id", None) for obj in made)


def test_worklist_shows_my_employers_and_follow_ups(client, factories):
    me = factories.UserFactory(name="Anna de Vries")
    mine = factories.EmployerFactory(name="Metaalbedrijf Hengelo", contactpersoon=me)
    factories.EmployerFactory(name="Zorggroep Elders")
    factories.FollowUpFactory(owner=me, employer=mine, subject="Intake BBL-vacature plannen")
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert "Mijn werkvoorraad" in html
    assert "Metaalbedrijf Hengelo" in html
    assert "Intake BBL-vacature plannen" in html
    assert "Zorggroep Elders" not in html
