"""An account manager exports the employer list: the export is a job on the bulk queue, its page
says "bezig" and updates itself (htmx) when the worker is done, then offers the file."""

import re
import uuid

from playwright.sync_api import expect

from crm.services.search import rebuild_search_text
from tasks import exports as export_tasks
from tests import factories
from tests.browser.conftest import sign_in


def test_the_export_page_waits_for_the_worker_then_offers_the_file(page, live_app, live_db, monkeypatch):
    tag = uuid.uuid4().hex[:6]
    me = factories.UserFactory(email=f"anna-{tag}@uwv.example", name="Anna de Vries", role="accountmanager")
    factories.EmployerFactory(name=f"Bouwbedrijf Exporteer{tag} B.V.", sbi_section_code="F")
    rebuild_search_text()  # the list's search finds it
    my_email, my_id = me.email, me.id  # read before the commit (SQLite: a later read would hold the lock)
    live_db.commit()
    queued: list[tuple] = []
    monkeypatch.setattr("crm.view_helpers.queue_task", lambda _app, name, *args: queued.append(args))

    sign_in(page, my_email)
    page.goto(f"/werkgevers?q=Exporteer{tag}")
    page.get_by_role("button", name="Exporteer CSV").click()

    expect(page).to_have_url(re.compile(r"/exporten/[0-9a-f]{32}$"))
    expect(page.get_by_role("status")).to_contain_text("Bezig sinds")
    page.wait_for_load_state("load")  # htmx is polling
    ((owner_id, token),) = queued
    assert owner_id == my_id
    with live_app.app_context():  # the worker takes the job
        assert export_tasks.build_export.run(owner_id, token) == 1

    expect(page.get_by_text("De export is klaar: 1 rij.")).to_be_visible(timeout=10_000)
    link = page.get_by_role("link", name=re.compile(r"werkgevers-\d{8}-\d{4}\.csv downloaden"))
    with page.expect_download() as download_info:
        link.click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    assert f"Bouwbedrijf Exporteer{tag} B.V." in content
