"""The main menu is readable and usable from the keyboard: its links reach WCAG AA contrast
on the menu's blue, keyboard focus shows as a visible ring, and the current page is marked."""

import re

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in


def _rgb(css: str) -> tuple[float, float, float, float]:
    parts = [float(p) for p in re.findall(r"[\d.]+", css)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(foreground: str, background: str) -> float:
    fg, bg = _rgb(foreground), _rgb(background)
    alpha = fg[3]
    blended = [fg[i] * alpha + bg[i] * (1 - alpha) for i in range(3)]
    high, low = sorted((_luminance(blended), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_menu_links_are_readable_focusable_and_mark_the_current_page(page, live_db):
    factories.UserFactory(email="coby@gemeente.example", name="Coby Coördinator", role="coordinator")
    live_db.commit()
    sign_in(page, "coby@gemeente.example")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    background = menu.evaluate("el => getComputedStyle(el).backgroundColor")
    links = menu.locator(".nav-link")
    assert links.count() >= 7
    for i in range(links.count()):
        link = links.nth(i)
        color = link.evaluate("el => getComputedStyle(el).color")
        ratio = _contrast(color, background)
        assert ratio >= 4.5, (link.inner_text(), color, background, round(ratio, 2))

    current = menu.get_by_role("link", name="Mijn werkvoorraad")
    expect(current).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="Werkgevers", exact=True)).not_to_have_attribute("aria-current", "page")

    # Tab from the skip link into the menu: the focused link draws a ring that contrasts too.
    page.keyboard.press("Tab")  # "Naar de inhoud"
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")  # the first menu link
    focused = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.textContent.trim(), s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    text, style, width, outline_color = focused
    assert text == "Mijn werkvoorraad"
    assert style == "solid" and float(width.removesuffix("px")) >= 2, focused
    assert _contrast(outline_color, background) >= 3, focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mijn werkvoorraad")).to_be_visible()


def test_coordinators_menu_fits_one_line_at_1366(browser, live_server, live_db):
    factories.UserFactory(email="marieke@gemeente.example", name="Marieke Oude Vrielink", role="coordinator")
    live_db.commit()
    context = browser.new_context(base_url=live_server, locale="nl-NL", viewport={"width": 1366, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, "marieke@gemeente.example")
        menu = page.get_by_role("navigation", name="Hoofdmenu")
        items = menu.locator(".navbar-brand, .nav-link")
        tops = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
        assert items.count() >= 10
        boxes = [(items.nth(i).inner_text()[:20], items.nth(i).bounding_box()) for i in range(items.count())]
        height = menu.bounding_box()["height"]
        assert max(tops) - min(tops) <= 16 and height <= 64, (
            height,
            [(t, round(b["x"]), round(b["y"]), round(b["height"])) for t, b in boxes],
        )
        assert not page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
    finally:
        context.close()
