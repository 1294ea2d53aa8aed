"""REST: register, log in, who am I, short-lived URL tokens for media elements. (Guests log in with an invite code, a room's concern: ``rooms.invite_routes``.)"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.api import ApiRoutes, json_response, read_json
from server.auth.passwords import PASSWORDS
from server.auth.tokens import URL_TTL, Principal
from server.context import ctx_of
from server.db import now
from server.errors import Conflict, RateLimited, Unauthorized, ValidationError
from server.http import principal_of
from server.models import User
from server.ratelimit import Limit

routes = ApiRoutes("auth")

USERNAME = r"^[A-Za-z0-9_.@-]{3,64}$"
# What an <audio>/<video> element loads (it cannot send a header): a voice note, a recording's file.
MEDIA_PATH = r"^/api/(voice/[A-Za-z0-9_-]{1,64}|(recordings|library)/[A-Za-z0-9_-]{1,64}/file)$"


def _attempts(request: web.Request) -> tuple[Limit, str]:
    # Registrations and failed log-ins per client address, every process counting together.
    return Limit("auth_attempts", ctx_of(request).settings.auth_attempts, 60), request.remote or "unknown"


async def _check_attempts(request: web.Request, *, spend: bool) -> None:
    """429 ``auth_rate`` when this address is over ``auth_attempts`` a minute; ``spend`` counts this one."""
    await ctx_of(request).limits.enforce(
        *_attempts(request), spend=spend,
        code="auth_rate", message="too many log-in attempts from this address; wait a minute",
    )  # fmt: skip


class RegisterIn(BaseModel):
    username: str = Field(pattern=USERNAME, description="3–64 letters, digits, _ . @ -")
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field(min_length=1, max_length=64)
    school: str = Field(default="", max_length=128)


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class UserOut(BaseModel):
    id: int
    username: str | None
    display_name: str
    school: str
    is_admin: bool
    is_guest: bool


class TokenOut(BaseModel):
    token: str
    expires_in: int
    user: UserOut
    room_id: str | None = None
    role: str | None = None


def user_out(u: User) -> UserOut:
    return UserOut(
        id=u.id, username=u.username, display_name=u.display_name, school=u.school,
        is_admin=u.is_admin, is_guest=u.is_guest,
    )  # fmt: skip


def principal_for(user: User, room_scope: str | None = None) -> Principal:
    return Principal(user.id, user.display_name, user.is_admin, user.is_guest, room_scope)


_THROTTLED = ((RateLimited, "auth_rate"), (RateLimited, "auth_busy"))  # attempts per address; hash queue full


@routes.route("POST", "/api/auth/register", summary="Create an account", body=RegisterIn, response=TokenOut,
              status=201, auth=False, errors=((Conflict, "username_taken"), *_THROTTLED))  # fmt: skip
async def register(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    body = await read_json(request, RegisterIn)
    passwords = request.app[PASSWORDS]
    await _check_attempts(request, spend=True)
    user = User(
        username=body.username, display_name=body.display_name, school=body.school,
        password_hash=await passwords.hash(body.password), created_at=now(),
    )  # fmt: skip
    try:
        async with ctx.db.transaction() as session:
            session.add(user)
    except IntegrityError:
        raise Conflict("that username is taken", code="username_taken") from None
    token = ctx.tokens.issue(principal_for(user))
    return json_response(TokenOut(token=token, expires_in=ctx.tokens.ttl, user=user_out(user)), status=201)


@routes.route("POST", "/api/auth/login", summary="Log in with username and password", body=LoginIn,
              response=TokenOut, auth=False, errors=((Unauthorized, "bad_credentials"), *_THROTTLED))  # fmt: skip
async def login(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    body = await read_json(request, LoginIn)
    passwords = request.app[PASSWORDS]
    await _check_attempts(request, spend=False)
    async with ctx.db.session() as session:
        user = (
            await session.execute(select(User).where(User.username == body.username))
        ).scalar_one_or_none()
    # verify_password runs the hash even for an unknown user: same answer, same time.
    if not await passwords.verify(user.password_hash if user else None, body.password) or user is None:
        await ctx.limits.hit(*_attempts(request))  # only a failed log-in counts
        raise Unauthorized("wrong username or password", code="bad_credentials")
    token = ctx.tokens.issue(principal_for(user))
    return json_response(TokenOut(token=token, expires_in=ctx.tokens.ttl, user=user_out(user)))


@routes.route("GET", "/api/auth/me", summary="The account behind the token", response=UserOut)
async def me(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    p = principal_of(request)
    async with ctx.db.session() as session:
        user = await session.get(User, p.user_id)
    if user is None:
        raise Unauthorized("account no longer exists", code="token_invalid")
    return json_response(user_out(user))


class UrlTokenIn(BaseModel):
    path: str = Field(
        pattern=MEDIA_PATH, description="/api/voice/{id}, /api/recordings/{id}/file or /api/library/{id}/file"
    )


class UrlTokenOut(BaseModel):
    token: str
    expires_in: int


@routes.route("POST", "/api/url-token", summary="A short-lived token for one media URL (?t=)", body=UrlTokenIn,
              response=UrlTokenOut, errors=((ValidationError, "validation"),))  # fmt: skip
async def url_token(request: web.Request) -> web.Response:
    """For ``GET path?t=<token>`` within ``URL_TTL`` seconds, nothing else: the session token stays out of
    URLs. Whether the caller may read the path is still decided by its route when the URL is loaded."""
    p = principal_of(request)
    body = await read_json(request, UrlTokenIn)
    token = ctx_of(request).tokens.issue_url(p, body.path)
    return json_response(UrlTokenOut(token=token, expires_in=URL_TTL))
