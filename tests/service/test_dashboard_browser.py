"""The dashboard served by uvicorn on loopback, seen in headless Chromium (Playwright).

The ledger is the one of ``test_dashboard_views`` (a warhead total over its limit, an
overdue notice, a draw with a missing reveal, a disputed finding, a located seismic
event). Every page is visited with a session cookie; the key facts must be visible, no
request may leave 127.0.0.1, and a full-page screenshot of each page is saved in the
test's folder and, when ``TREATYVERIFY_SCREENSHOTS`` names a folder, there too.

The browser is Debian's Chromium (``/usr/bin/chromium``; ``make test`` installs it);
without it the browser tests are skipped. The HTTP checks at the end need no browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_helpers import running_server
from test_dashboard_views import DISSENT_REASON, NOW, build_dashboard_ledger

from treatyverify.service.app import create_app
from treatyverify.service.auth import SESSION_COOKIE, create_session
from treatyverify.service.config import load_config
from treatyverify.service.context import ServiceContext, open_context

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = ("", "notifications", "inspections", "findings", "monitoring", "ledger")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (make test installs it)",
)


@dataclass
class Dashboard:
    context: ServiceContext
    token: str
    observer_token: str
    base_url: str


def _service(folder: Path) -> ServiceContext:
    built = build_dashboard_ledger(folder)
    config = folder / "service.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ledger": str(built.path),
                "treaty": str(folder / "new-start-test.yaml"),
                "exercises": {"out": "exercise-runs", "workers": 1, "max_runs": 10},
            }
        ),
        encoding="utf-8",
    )
    return open_context(load_config(config), clock=lambda: NOW)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    context = _service(tmp_path_factory.mktemp("dashboard-service"))
    token, _expires = create_session(context, context.members["us"])
    other, _expires = create_session(context, context.members["uk"])
    app = create_app(context)
    try:
        with running_server(app) as base_url:
            yield Dashboard(context, token, other, base_url)
    finally:
        context.close()


def _save(page: object, name: str, folder: Path) -> None:
    path = folder / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    extra = os.environ.get("TREATYVERIFY_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(extra) / path.name)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@needs_chromium
def test_every_page_in_chromium(dashboard: Dashboard, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import Browser, Route, expect

    assert isinstance(browser, Browser)
    host = urlsplit(dashboard.base_url).netloc
    seen: list[str] = []
    refused: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == host:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": SESSION_COOKIE, "value": dashboard.token, "url": dashboard.base_url}]
    )
    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("request", lambda request: seen.append(request.url))
    try:
        for name in PAGES:
            response = page.goto(f"{dashboard.base_url}/dashboard/{name}".rstrip("/"))
            assert response is not None and response.status == 200, name
            expect(page.locator("#viewer")).to_have_text("signed in: us (party)")
            assert page.locator("script").count() == 0
            _save(page, name or "status", tmp_path)

        page.goto(f"{dashboard.base_url}/dashboard")
        exceeded = page.locator("#limit-warheads-us")
        expect(exceeded).to_contain_text("1,600")
        expect(exceeded).to_contain_text("1,550")
        expect(exceeded.locator(".badge")).to_have_text("exceeded")
        expect(page.locator("#limit-warheads-ru .badge")).to_have_text("within")

        page.goto(f"{dashboard.base_url}/dashboard/notifications")
        overdue = page.locator("tr.overdue")
        expect(overdue).to_have_count(2)
        expect(overdue.first).to_contain_text("OVERDUE")
        expect(overdue.filter(has_text="detected-launch-7")).to_contain_text("overdue-unanswered")
        expect(page.locator("tr.notification", has_text="us-launch-1").first).to_contain_text(
            "late"
        )

        page.goto(f"{dashboard.base_url}/dashboard/inspections")
        draw = page.locator("#draw-type-one-1")
        expect(draw).to_contain_text("settled")
        expect(draw.locator("td").nth(6)).to_have_text("ru")
        expect(page.locator("tr.measurement")).to_contain_text("count = 4")

        page.goto(f"{dashboard.base_url}/dashboard/findings")
        disputed = page.locator("tr.finding.disputed")
        expect(disputed).to_have_count(1)
        expect(disputed.locator(".dissent")).to_have_text(f"us dissents: {DISSENT_REASON}")
        expect(disputed).to_contain_text("signed: ru, uk")

        page.goto(f"{dashboard.base_url}/dashboard/monitoring")
        marker = page.locator("svg.worldmap g.event")
        expect(marker).to_have_count(1)
        expect(marker.locator("circle")).to_be_visible()
        expect(marker.locator("title")).to_contain_text("window-01: origin")
        box = marker.locator("circle").bounding_box()
        svg_box = page.locator("svg.worldmap").bounding_box()
        assert box is not None and svg_box is not None
        # 129.04 E, 41.3 N on the equirectangular map.
        centre_x = (box["x"] + box["width"] / 2 - svg_box["x"]) / svg_box["width"]
        centre_y = (box["y"] + box["height"] / 2 - svg_box["y"]) / svg_box["height"]
        assert centre_x == pytest.approx((129.04 + 180) / 360, abs=0.005)
        assert centre_y == pytest.approx((90 - 41.3) / 180, abs=0.005)

        page.goto(f"{dashboard.base_url}/dashboard/ledger")
        expect(page.locator("#verification .badge")).to_have_text("verified")
        expect(page.locator("#root")).to_have_text(dashboard.context.ledger.root().hex())
    finally:
        context.close()
    assert not refused
    assert seen and all(urlsplit(url).netloc == host for url in seen), seen


@needs_chromium
def test_sign_in_through_the_form(dashboard: Dashboard, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context()
    page = context.new_page()
    try:
        response = page.goto(f"{dashboard.base_url}/dashboard/findings")
        assert response is not None and response.status == 401
        expect(page.locator("#login-help")).to_contain_text("needs a dashboard session")
        expect(page.locator("nav")).to_have_count(0)
        _save(page, "login", tmp_path)

        page.fill("#token", "not-a-token")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-error")).to_contain_text("unknown session token")
        assert "not-a-token" not in page.content()

        page.fill("#token", dashboard.observer_token)
        page.click("#login-form button[type=submit]")
        expect(page).to_have_url(f"{dashboard.base_url}/dashboard/findings")
        expect(page.locator("#viewer")).to_have_text("signed in: uk (party)")
        (cookie,) = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        page.click("header form.logout button")
        expect(page).to_have_url(f"{dashboard.base_url}/dashboard/login")
        assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        response = page.goto(f"{dashboard.base_url}/dashboard")
        assert response is not None and response.status == 401
    finally:
        context.close()


# Without a browser -----------------------------------------------------------------------


def test_pages_refuse_without_a_session_and_forbid_scripts(dashboard: Dashboard) -> None:
    client = TestClient(dashboard_app(dashboard))
    for name in PAGES:
        response = client.get(f"/dashboard/{name}".rstrip("/"))
        assert response.status_code == 401, name
        assert response.headers["content-type"].startswith("text/html")
        assert "Sign in to the dashboard" in response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]
    client.cookies.set(SESSION_COOKIE, "expired-or-forged")
    response = client.get("/dashboard/ledger")
    assert response.status_code == 401 and "Your session ended" in response.text


def test_pages_with_a_session(dashboard: Dashboard) -> None:
    client = TestClient(dashboard_app(dashboard))
    client.cookies.set(SESSION_COOKIE, dashboard.token)
    for name in PAGES:
        response = client.get(f"/dashboard/{name}".rstrip("/"))
        assert response.status_code == 200, name
        lowered = response.text.lower()
        assert "<script" not in lowered and "http://" not in lowered and "https://" not in lowered


def test_login_sets_the_cookie_and_returns_to_a_dashboard_page_only(dashboard: Dashboard) -> None:
    client = TestClient(dashboard_app(dashboard), follow_redirects=False)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(
        "/dashboard/login",
        content=f"token={dashboard.token}&next=/dashboard/ledger",
        headers=headers,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/ledger"
    assert "httponly" in response.headers["set-cookie"].lower()
    response = client.post(
        "/dashboard/login",
        content=f"token={dashboard.token}&next=//elsewhere.example/",
        headers=headers,
    )
    assert response.headers["location"] == "/dashboard"
    response = client.post("/dashboard/login", content=b"token=\xff", headers=headers)
    assert response.status_code == 400


def dashboard_app(dashboard: Dashboard) -> FastAPI:
    return create_app(dashboard.context)
