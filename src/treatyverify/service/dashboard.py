"""The dashboard: read-only HTML pages under ``/dashboard``, server-rendered, no JavaScript.

Every page needs a dashboard session: a cookie (``tv_session``) holding a session token
bound to one member's key (see :mod:`treatyverify.service.auth`). Without a valid one a
page answers 401 with the sign-in form and how to get a token. ``POST /dashboard/login``
takes the token from the form and sets the cookie (HttpOnly, SameSite=Strict);
``POST /dashboard/logout`` removes it. The pages are computed by
:mod:`treatyverify.service.views` from the ledger at the time of the request.

Every response forbids scripts and any third-party resource by its
Content-Security-Policy; the pages carry none anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from treatyverify.records.ledger import Ledger
from treatyverify.service import views
from treatyverify.service.auth import SESSION_COOKIE, AuthError, authenticate_token
from treatyverify.service.context import Member, ServiceContext
from treatyverify.service.deps import get_context
from treatyverify.treaty import TreatySpec

__all__ = ["BASE", "LoginView", "router"]

BASE = "/dashboard"
router = APIRouter(prefix=BASE, include_in_schema=False)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
MAX_FORM_BYTES = 4096

ViewBuilder = Callable[[TreatySpec, Ledger, datetime], Any]
_BUILDERS: dict[str, ViewBuilder] = {
    "status": views.treaty_status,
    "notifications": views.notifications_view,
    "inspections": views.inspections_view,
    "findings": views.findings_view,
    "monitoring": views.monitoring_view,
    "ledger": views.ledger_view,
}
_PATHS = {f"{BASE}/{path}".rstrip("/"): name for name, path, _title in views.PAGES}


@dataclass(frozen=True)
class LoginView:
    """The sign-in page: why it is shown, the form's target and the page to return to."""

    message: str
    error: str
    action: str
    next: str
    session_hours: float


def _viewer(
    request: Request, context: Annotated[ServiceContext, Depends(get_context)]
) -> Member | AuthError:
    """The member of the session cookie, or why there is none."""
    try:
        return authenticate_token(context, request.cookies.get(SESSION_COOKIE, ""))
    except AuthError as error:
        return error


Viewer = Annotated[Member | AuthError, Depends(_viewer)]
Context = Annotated[ServiceContext, Depends(get_context)]


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _login_page(
    context: ServiceContext, *, message: str, error: str = "", next_page: str = BASE, status: int
) -> HTMLResponse:
    view = LoginView(
        message=message,
        error=error,
        action=f"{BASE}/login",
        next=next_page if next_page in _PATHS else BASE,
        session_hours=context.config.limits.session_hours,
    )
    now = context.now()
    return _html(views.render_page("login", view, spec=context.spec, now=now), status)


def _page(
    name: str, request: Request, context: ServiceContext, viewer: Member | AuthError
) -> Response:
    if isinstance(viewer, AuthError):
        cookie = request.cookies.get(SESSION_COOKIE)
        message = (
            f"Your session ended ({viewer.reason}). Sign in again."
            if cookie
            else "This page needs a dashboard session. Sign in with a session token."
        )
        return _login_page(context, message=message, next_page=request.url.path, status=401)
    now = context.now()
    view = _BUILDERS[name](context.spec, context.ledger, now)
    html = views.render_page(
        name,
        view,
        spec=context.spec,
        now=now,
        viewer=f"{viewer.id} ({viewer.role})",
        base_path=BASE,
    )
    return _html(html)


@router.get("", summary="Treaty status")
def status_page(request: Request, context: Context, viewer: Viewer) -> Response:
    """Declared holdings against the treaty's limits."""
    return _page("status", request, context, viewer)


@router.get("/notifications", summary="Notifications and deadlines")
def notifications_page(request: Request, context: Context, viewer: Viewer) -> Response:
    """Notices with their deadlines; overdue ones marked."""
    return _page("notifications", request, context, viewer)


@router.get("/inspections", summary="Inspections and draws")
def inspections_page(request: Request, context: Context, viewer: Viewer) -> Response:
    """Draws, inspection reports and measurement results."""
    return _page("inspections", request, context, viewer)


@router.get("/findings", summary="Findings and their consensus state")
def findings_page(request: Request, context: Context, viewer: Viewer) -> Response:
    """Findings and reports: who signed, who dissented and why."""
    return _page("findings", request, context, viewer)


@router.get("/monitoring", summary="Monitoring events on a map")
def monitoring_page(request: Request, context: Context, viewer: Viewer) -> Response:
    """Seismic bulletins and the world map of located events."""
    return _page("monitoring", request, context, viewer)


@router.get("/ledger", summary="Ledger verification state")
def ledger_page(request: Request, context: Context, viewer: Viewer) -> Response:
    """The whole ledger re-verified."""
    return _page("ledger", request, context, viewer)


@router.get("/login", summary="Sign-in form")
def login_form(context: Context, viewer: Viewer) -> Response:
    """The sign-in form (also when already signed in, to change member)."""
    message = (
        f"You are signed in as {viewer.id}; a new token replaces the session."
        if isinstance(viewer, Member)
        else "Sign in with a session token."
    )
    return _login_page(context, message=message, status=200)


def _form_fields(body: bytes) -> dict[str, str] | None:
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        parsed = parse_qs(body.decode("ascii"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in parsed.items() if values}


@router.post("/login", summary="Sign in with a session token")
async def login(request: Request, context: Context) -> Response:
    """Check the token; set the session cookie and go to the dashboard, or say why not."""
    fields = _form_fields(await request.body())
    if fields is None:
        return _login_page(
            context,
            message="Sign in with a session token.",
            error="The form could not be read (a token is letters, digits, '-' and '_').",
            status=400,
        )
    token = fields.get("token", "").strip()
    next_page = fields.get("next", BASE)
    try:
        await run_in_threadpool(authenticate_token, context, token)
    except AuthError as error:
        return _login_page(
            context,
            message="Sign in with a session token.",
            error=f"Not signed in: {error.reason}.",
            next_page=next_page,
            status=error.status,
        )
    response = RedirectResponse(
        next_page if next_page in _PATHS else BASE, status_code=303, headers=SECURITY_HEADERS
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(context.config.limits.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", summary="Sign out")
def logout() -> Response:
    """Remove the session cookie and show the sign-in form."""
    response = RedirectResponse(f"{BASE}/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
