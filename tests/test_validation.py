import pytest

from crm.services import validation as v


@pytest.mark.parametrize(
    ("raw", "clean"), [("12345678", "12345678"), (" 1234 5678 ", "12345678"), ("", None), ("12.34.56.78", "12345678")]
)
def test_kvk_number_accepted(raw, clean):
    assert v.kvk_number(raw) == clean


@pytest.mark.parametrize("raw", ["1234567", "123456789", "1234567a"])
def test_kvk_number_refused(raw):
    with pytest.raises(v.Invalid, match="8 cijfers"):
        v.kvk_number(raw)


def test_postcode_is_normalised_and_checked():
    assert v.postcode("7511jk") == "7511 JK"
    with pytest.raises(v.Invalid, match="Nederlandse postcode"):
        v.postcode("0123 AB")


def test_vestigingsnummer_email_phone_website():
    assert v.vestigingsnummer("0000 1234 5678") == "000012345678"
    with pytest.raises(v.Invalid):
        v.vestigingsnummer("123")
    assert v.email("Info@Bakkerij.NL").lower() == "info@bakkerij.nl"
    with pytest.raises(v.Invalid):
        v.email("geen-adres")
    assert v.phone("053  481 2000") == "053 481 2000"
    with pytest.raises(v.Invalid):
        v.phone("bel me")
    assert v.website("www.bakkerij.nl") == "https://www.bakkerij.nl"
    with pytest.raises(v.Invalid):
        v.website("javascript:alert(1)")


def test_sbi_code_and_municipality(session):
    assert v.sbi_code("47.11") == "4711"
    with pytest.raises(v.Invalid, match="bestaat niet"):
        v.sbi_code("0400")
    assert v.municipality("enschede").name == "Enschede"
    with pytest.raises(v.Invalid, match="staat niet in de lijst"):
        v.municipality("Atlantis")


@pytest.mark.parametrize("text", ["BSN 111222333", "nummer: 123.456.782", "123456782"])
def test_bsn_is_detected(text):
    assert v.contains_bsn(text)
    with pytest.raises(v.Invalid, match="burgerservicenummer"):
        v.no_bsn(text)


@pytest.mark.parametrize(
    "text", ["KvK 12345678", "tel 0534812000", "123456789", "postcode 7511 JK", "06 1111 2223 3", "000012345678"]
)
def test_other_numbers_are_not_a_bsn(text):
    assert not v.contains_bsn(text)


def test_every_free_text_field_refuses_a_bsn(client, factories):
    """Not only the fields that ask for it: BaseForm checks every free-text field."""
    from tests.conftest import csrf_token, login_as

    login_as(client, factories.UserFactory(role="admin"))
    token = csrf_token(client, "/beheer/organisaties/nieuw")
    html = client.post(
        "/beheer/organisaties/nieuw", data={"name": "Stichting 111 222 333", "kind": "overig", "csrf_token": token}
    ).get_data(as_text=True)
    assert "burgerservicenummer (BSN)" in html
