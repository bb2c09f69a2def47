"""Sign-in, sign-out and the language picker."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from scheduler.accounts import signin
from scheduler.core.access import pages
from scheduler.core.errors import DomainError
from scheduler.core.i18n import base_language
from scheduler.web import i18n
from scheduler.web.common import LANGUAGE_COOKIE, Page, local_path, session_cookie

HOME = {"admin": "/planner", "family": "/family", "interpreter": "/interpreter", "teacher": "/teacher"}


@get("/", include_in_schema=False, guards=[pages.public])
async def home(page: Page) -> Redirect:
    if page.session is None:
        return Redirect(path="/signin", status_code=303)
    return Redirect(path=HOME.get(page.session.principal.role, "/signin"), status_code=303)


@get("/signin", include_in_schema=False, guards=[pages.public])
async def signin_form(page: Page, next: str = "/", sent: bool = False, email: str = "") -> Template:
    """``email`` fills in the address (the link in a school's invitation: scheduler/roster/invitations.py)."""
    return page.render("signin.html", next=local_path(next), sent=sent, error="", email=email[:254])


async def _signed_in(page: Page, cookie: str, target: str | None) -> Redirect:
    session = await signin.current(cookie)
    default = HOME.get(session.principal.role, "/") if session else "/"
    target = local_path(target, default)
    response = Redirect(path=default if target in ("/", "/signin") else target, status_code=303)
    response.cookies.append(session_cookie(cookie, page.settings))
    return response


@post("/signin/token", include_in_schema=False, guards=[pages.public])
async def signin_token(page: Page, request: Request) -> Redirect | Template:
    form = await request.form()
    try:
        cookie = await signin.with_api_token(form.get("token") or "")
    except DomainError as exc:
        return page.render("signin.html", status_code=exc.status_code, next=local_path(form.get("next")),
                           sent=False, error=page.gettext("That access token is not known. Check it and try again."))
    return await _signed_in(page, cookie, form.get("next"))


@post("/signin/email", include_in_schema=False, guards=[pages.public])
async def signin_email(page: Page, request: Request) -> Redirect:
    form = await request.form()
    await signin.email_link(page.settings, form.get("email") or "", page.language, i18n.translator)
    return Redirect(path=f"/signin?sent=1&next={local_path(form.get('next'))}", status_code=303)


@get("/signin/{token:str}", include_in_schema=False, guards=[pages.public])
async def signin_link_form(page: Page, token: str) -> Template:
    """A page with a button rather than signing in on GET: mail scanners follow links to check them."""
    return page.render("signin_link.html", token=token)


@post("/signin/link", include_in_schema=False, guards=[pages.public])
async def signin_link(page: Page, request: Request) -> Redirect | Template:
    form = await request.form()
    try:
        cookie = await signin.with_link(form.get("token") or "")
    except DomainError:
        return page.render("signin.html", status_code=401, next="/", sent=False,
                           error=page.gettext("This sign-in link has expired or was already used. Ask for a new one."))
    return await _signed_in(page, cookie, "/")


@post("/signout", include_in_schema=False, guards=[pages.signed_in()])
async def signout(page: Page) -> Redirect:
    await page.form()
    assert page.session is not None
    await signin.sign_out(page.session)
    response = Redirect(path="/signin", status_code=303)
    response.cookies.append(session_cookie("", page.settings, max_age=0))
    return response


@post("/language", include_in_schema=False, guards=[pages.public])
async def language(page: Page, request: Request) -> Redirect:
    """Remembered in a cookie so it also works before signing in; it changes nothing stored."""
    form = await request.form()
    response = Redirect(path=local_path(form.get("next")), status_code=303)
    response.cookies.append(Cookie(key=LANGUAGE_COOKIE, value=base_language(form.get("lang")), path="/",
                                   samesite="lax", max_age=365 * 86400))
    return response


ROUTES = [home, signin_form, signin_token, signin_email, signin_link_form, signin_link, signout, language]
