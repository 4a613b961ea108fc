"""Users, sign-in, sessions and API tokens. Secrets are never stored or logged: only hashes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Executable, Row, bindparam, delete, func, select
from sqlalchemy.orm import Session

from shieldwall.access.model import (
    ALL_SCOPES,
    Actor,
    Role,
    Scope,
    coherent_scopes,
    may_manage_tokens,
    roles_of,
)
from shieldwall.access.tables import ApiToken, LoginFailure, UserAccount, WebSession
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.service import delegation_by_code
from shieldwall.delegations.tables import Delegation
from shieldwall.kit import i18n
from shieldwall.kit.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, Throttled
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.locks import lock_name
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform, UnitOfWork

# A token's last use is recorded to the minute: one write a minute per token in use, not one
# per request (each took the database's write lock).
LAST_USE_PRECISION = dt.timedelta(minutes=1)
HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class TokenCheck(NamedTuple):
    """What a bearer token's check found (``AccessService.token_actor``)."""

    actor: Actor | None  # None: unknown, revoked, expired, or its user disabled
    stale: bool  # its last use is a minute old or more: record this one
    holds_until: dt.datetime | None  # the same answer until then, the database unchanged


@functools.cache
def _unknown_user_hash() -> str:
    """Verified against when the username is unknown or disabled, so that every answer takes as
    long. Made on first use, not at import: every CLI command and every start of the app paid
    one argon2 hash (64 MiB, a fifth of a second) for it, most never to sign anyone in."""
    return HASHER.hash(secrets.token_urlsafe(16))


MIN_PASSWORD = 12
WRONG_CREDENTIALS = N_("wrong username or password")


def _clock_time(at: dt.datetime) -> str:
    """``14:30 UTC``: a time of today in the viewer's time zone, with the zone's name."""
    local = i18n.to_viewer_time(at)
    return f"{local:%H:%M} {local.tzname()}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scopes(text: str | list[str] | None) -> frozenset[Scope]:
    if not text:
        return ALL_SCOPES
    parts = text.split() if isinstance(text, str) else text
    try:
        return frozenset(Scope(p) for p in parts)
    except ValueError:
        raise InvalidInput("scope", _("use read, write or both")) from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "password", _("use at least {count} characters").format(count=MIN_PASSWORD)
        )


@dataclass(frozen=True)
class Attempt:
    """A sign-in under way: counted as a failed one until its password proves right."""

    username: str
    failure_id: int
    password_hash: str  # the account's, or a stand-in's when there is no usable account


@dataclass(frozen=True)
class SessionInfo:
    actor: Actor
    csrf_token: str
    expires_at: dt.datetime


# What an actor is built from, as plain columns of its user and delegation: every statement
# that yields an actor (sign-in, a credential, the platform's own processes) selects these.
_ACTOR_COLUMNS = (
    UserAccount.id.label("user_id"),
    UserAccount.username,
    UserAccount.role,
    Delegation.id.label("delegation_id"),
    Delegation.code,
    Delegation.kind.label("delegation_kind"),
)


def _holder(s: Session, credential: type[WebSession | ApiToken], secret: str) -> Row[Any] | None:
    """The credential whose secret hashes to ``secret``'s hash, with what its actor needs of
    its user and delegation: one statement of plain columns, built once (every request asks
    it; loading three ORM objects, and building the statement, cost more than the query)."""
    return s.connection().execute(_holder_statement(credential), {"hash": digest(secret)}).first()


@functools.cache
def _holder_statement(credential: type[WebSession | ApiToken]) -> Executable:
    columns = (
        (
            ApiToken.kind,
            ApiToken.scopes,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at.label("ended_at"),
        )
        if credential is ApiToken
        else (WebSession.csrf_token, WebSession.ended_at)
    )
    return (
        select(
            credential.expires_at,
            *columns,
            *_ACTOR_COLUMNS,
            UserAccount.disabled,
        )
        .join(UserAccount, UserAccount.id == credential.user_id)
        .join(Delegation, Delegation.id == UserAccount.delegation_id)
        .where(credential.token_hash == bindparam("hash"))
    )


def _actor_of(row: Row[*tuple[Any, ...]], scopes: frozenset[Scope]) -> Actor:
    """The actor of a row holding ``_ACTOR_COLUMNS``."""
    return Actor(
        name=row.username,
        delegation=row.code,
        delegation_id=row.delegation_id,
        delegation_kind=DelegationKind(row.delegation_kind),
        role=Role(row.role),
        user_id=row.user_id,
        scopes=scopes,
    )


class AccessService:
    """Use cases of access; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    # ---- users ---------------------------------------------------------------------------

    def add_user(
        self,
        actor: Actor,
        *,
        username: str,
        delegation: str,
        role: str,
        password: str,
        display_name: str = "",
    ) -> int:
        username = check_text("username", username.strip().lower(), max_length=80)
        if not username or not username.replace("-", "").replace(".", "").isalnum():
            raise InvalidInput("username", _("use letters, digits, dots and hyphens"))
        check_text("name", display_name, max_length=200)
        try:
            role_v = Role(role)
        except ValueError:
            raise InvalidInput(
                "role", _("use one of {choices}").format(choices=", ".join(r.value for r in Role))
            ) from None
        _check_password(password)
        s = self.uow.session
        d = delegation_by_code(s, delegation, "delegation")
        allowed = roles_of(DelegationKind(d.kind))
        if role_v not in allowed:
            raise InvalidInput(
                "role",
                _("a {kind} delegation's users are {roles}").format(
                    kind=d.kind, roles=", ".join(sorted(r.value for r in allowed))
                ),
            )
        if s.scalar(select(UserAccount.id).where(UserAccount.username == username)):
            raise InvalidInput("username", _("{name} already exists").format(name=username))
        now = self.uow.clock.now()
        user = UserAccount(
            username=username,
            display_name=display_name or username,
            delegation_id=d.id,
            role=role_v.value,
            password_hash=HASHER.hash(password),
            disabled=False,
            created_at=now,
            password_changed_at=now,
        )
        s.add(user)
        s.flush()
        self.uow.audit(
            actor,
            now,
            "user.add",
            "user",
            user.id,
            None,
            {"username": username, "delegation": d.code, "role": role_v.value},
        )
        return user.id

    def list_users(self) -> list[dict[str, Any]]:
        s = self.uow.session
        rows = s.execute(
            select(UserAccount, Delegation.code)
            .join(Delegation, Delegation.id == UserAccount.delegation_id)
            .order_by(Delegation.code, UserAccount.username)
        ).all()
        return [
            {
                "username": u.username,
                "display_name": u.display_name,
                "delegation": code,
                "role": u.role,
                "disabled": u.disabled,
            }
            for u, code in rows
        ]

    def _user(self, s: Session, username: str) -> UserAccount:
        """The user, locked until the unit of work ends: it is about to change."""
        user = s.scalar(
            select(UserAccount).where(UserAccount.username == username.lower()).with_for_update()
        )
        if user is None:
            raise NotFound(_("no user {name!r}").format(name=username))
        return user

    def _shut_out(self, user: UserAccount, now: dt.datetime) -> None:
        """End every browser session and revoke every token of ``user``: after a disable or a
        password reset, nothing issued before still lets anyone in."""
        s = self.uow.session
        for session in s.scalars(
            select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        ):
            session.ended_at = now
        for token in s.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = now

    def disable_user(self, actor: Actor, username: str) -> None:
        s = self.uow.session
        user = self._user(s, username)
        if user.disabled:
            raise InvalidInput(
                "username", _("{name} is already disabled").format(name=user.username)
            )
        user.disabled = True
        now = self.uow.clock.now()
        self._shut_out(user, now)
        self.uow.audit(
            actor,
            now,
            "user.disable",
            "user",
            user.id,
            {"disabled": False},
            {"disabled": True},
        )

    def reset_password(self, actor: Actor, username: str, password: str) -> None:
        _check_password(password)
        s = self.uow.session
        user = self._user(s, username)
        now = self.uow.clock.now()
        user.password_hash = HASHER.hash(password)
        user.password_changed_at = now
        # Whoever knew the old password may have made tokens with it: they all go too.
        self._shut_out(user, now)
        self.uow.audit(
            actor, now, "user.reset_password", "user", user.id, None, {"password": "changed"}
        )

    # ---- sign-in ------------------------------------------------------------------------

    def _throttle(self, s: Session, username: str, address: str, now: dt.datetime) -> None:
        window = dt.timedelta(minutes=self.uow.settings.login_failure_window_minutes)
        since = now - window
        for column, key, limit, what in (
            (
                LoginFailure.username,
                username,
                self.uow.settings.login_failures_per_account,
                N_("this account"),
            ),
            (
                LoginFailure.address,
                address,
                self.uow.settings.login_failures_per_address,
                N_("this address"),
            ),
        ):
            count, oldest = s.execute(
                select(func.count(), func.min(LoginFailure.at)).where(
                    column == key, LoginFailure.at > since
                )
            ).one()
            if count >= limit:
                oldest_at = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
                retry_at = oldest_at + window
                seconds = max(1, int((retry_at - now).total_seconds()) + 1)
                # The time to try again is written in the viewer's time zone, with its name.
                raise Throttled(
                    _(
                        "too many failed sign-ins for {what}; try again after {time} "
                        "(in {minutes} min)"
                    ).format(
                        what=_(what),
                        time=_clock_time(retry_at),
                        minutes=-(-seconds // 60),
                    ),
                    retry_after_seconds=seconds,
                )

    def attempt_sign_in(self, username: str, address: str) -> Attempt:
        """Count the failed sign-ins before and record this attempt as one more, in one step
        under a lock on the account's and the address's names: a burst of attempts gets at
        most the limit of password checks. Throttled when the limit is reached."""
        s = self.uow.session
        now = self.uow.clock.now()
        lock_name(s, "sign-in account", username)
        lock_name(s, "sign-in address", address)
        self._throttle(s, username, address, now)
        failure = LoginFailure(username=username, address=address, at=now)
        s.add(failure)
        s.flush()
        user = s.scalar(select(UserAccount).where(UserAccount.username == username))
        stored = _unknown_user_hash() if user is None or user.disabled else user.password_hash
        return Attempt(username, failure.id, stored)

    def complete_sign_in(self, attempt: Attempt, password: str) -> Actor | None:
        """The attempt's password proved right: it is no failure, and the actor signs in.
        None if the account was disabled or its password changed meanwhile."""
        s = self.uow.session
        row = s.execute(
            select(UserAccount, *_ACTOR_COLUMNS)
            .join(Delegation, Delegation.id == UserAccount.delegation_id)
            .where(UserAccount.username == attempt.username)
        ).first()
        if row is None or row[0].disabled or row[0].password_hash != attempt.password_hash:
            return None
        user = row[0]
        s.execute(delete(LoginFailure).where(LoginFailure.id == attempt.failure_id))
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        return _actor_of(row, ALL_SCOPES)

    def actor_for(self, username: str) -> Actor:
        """The actor of an existing, enabled user, without a password: for the platform's
        own processes (the demo builder), never for a request from outside."""
        s = self.uow.session
        row = s.execute(
            select(*_ACTOR_COLUMNS)
            .join(Delegation, Delegation.id == UserAccount.delegation_id)
            .where(UserAccount.username == username.lower(), UserAccount.disabled.is_(False))
        ).first()
        if row is None:
            raise NotFound(_("no enabled user {name!r}").format(name=username))
        return _actor_of(row, ALL_SCOPES)

    # ---- language and time zone ------------------------------------------------------------

    def language_of(self, actor: Actor) -> tuple[str | None, str | None]:
        """The user's chosen language and time zone (``None``: not chosen)."""
        user = self.uow.session.get(UserAccount, actor.user_id)
        if user is None:
            raise NotFound(_("no such user"))
        return user.locale, user.time_zone

    def choose_language(self, actor: Actor, locale: str, time_zone: str) -> None:
        """Store the language and time zone a user reads the platform in; an unknown one is
        refused, naming the field."""
        if locale not in i18n.LOCALES:
            raise InvalidInput(
                "locale", _("use one of {choices}").format(choices=", ".join(i18n.LOCALES))
            )
        if not i18n.is_time_zone(time_zone):
            raise InvalidInput(
                "time_zone",
                _("{zone!r} is not a time zone; use an IANA name such as Europe/Kyiv").format(
                    zone=time_zone
                ),
            )
        user = self.uow.session.get(UserAccount, actor.user_id)
        if user is None:
            raise NotFound(_("no such user"))
        user.locale, user.time_zone = locale, time_zone

    # ---- browser sessions ---------------------------------------------------------------

    def start_session(self, actor: Actor) -> tuple[str, SessionInfo]:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.uow.clock.now()
        expires = now + dt.timedelta(hours=self.uow.settings.session_hours)
        assert actor.user_id is not None
        s = self.uow.session
        s.add(
            WebSession(
                token_hash=digest(token),
                csrf_token=csrf,
                user_id=actor.user_id,
                created_at=now,
                expires_at=expires,
            )
        )
        return token, SessionInfo(actor, csrf, expires)

    def session(self, token: str) -> SessionInfo | None:
        """The live session behind a cookie; None when unknown, ended or expired."""
        s = self.uow.session
        web = _holder(s, WebSession, token)
        if web is None:
            return None
        if web.ended_at is not None or web.disabled or web.expires_at <= self.uow.clock.now():
            return None
        return SessionInfo(_actor_of(web, ALL_SCOPES), web.csrf_token, web.expires_at)

    def end_session(self, token: str) -> None:
        s = self.uow.session
        web = s.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
        if web is not None and web.ended_at is None:
            web.ended_at = self.uow.clock.now()

    # ---- API tokens ---------------------------------------------------------------------

    def issue_token(
        self,
        actor: Actor,
        *,
        kind: str,
        name: str,
        scopes: frozenset[Scope],
        expires_in: dt.timedelta | None,
    ) -> tuple[str, dict[str, Any]]:
        """A new bearer token for ``actor``; the secret is returned once and never stored.

        Its scopes are read, or read and write; a personal token needs a credential that may
        write, and lives at most ``personal_token_max_days`` (no expiry asked: that maximum).
        """
        if actor.user_id is None:
            raise Forbidden(_("only a signed-in user holds tokens"))
        coherent_scopes("scope" if kind == "oauth" else "scopes", scopes)
        if not scopes <= actor.scopes:
            raise Forbidden(_("a token cannot have more scopes than the credential issuing it"))
        if kind == "personal" and not may_manage_tokens(actor.scopes):
            raise Forbidden(_("making a token needs the write scope; this token is read-only"))
        expires_in = self._lifetime(kind, expires_in)
        prefix = "swo_" if kind == "oauth" else "swp_"
        secret = prefix + secrets.token_urlsafe(32)
        now = self.uow.clock.now()
        s = self.uow.session
        token = ApiToken(
            token_hash=digest(secret),
            prefix=secret[:10],
            kind=kind,
            name=name.strip()[:120] or kind,
            scopes=" ".join(sorted(scopes)),
            user_id=actor.user_id,
            created_at=now,
            expires_at=now + expires_in,
        )
        s.add(token)
        s.flush()
        if kind == "personal":
            self.uow.audit(
                actor,
                now,
                "token.issue",
                "api_token",
                token.id,
                None,
                {"name": token.name, "scopes": token.scopes, "expires_at": token.expires_at},
            )
        return secret, self._token_dict(token)

    def _lifetime(self, kind: str, asked: dt.timedelta | None) -> dt.timedelta:
        """How long a new token lives: what was asked, within the kind's maximum."""
        settings = self.uow.settings
        if kind != "personal":
            return asked or dt.timedelta(hours=settings.token_hours)
        longest = dt.timedelta(days=settings.personal_token_max_days)
        if asked is None:
            return longest
        if asked > longest:
            raise InvalidInput(
                "expires_in_days",
                _(
                    "a personal token lives at most {count} days "
                    "(SHIELDWALL_PERSONAL_TOKEN_MAX_DAYS)"
                ).format(count=settings.personal_token_max_days),
            )
        return asked

    @staticmethod
    def _token_dict(t: ApiToken) -> dict[str, Any]:
        return {
            "id": t.id,
            "name": t.name,
            "kind": t.kind,
            "prefix": t.prefix,
            "scopes": t.scopes.split(),
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }

    def token_actor(self, secret: str) -> TokenCheck:
        """The live token's actor (None when unknown, revoked, expired or its user disabled);
        whether its last use is older than ``LAST_USE_PRECISION`` (then the caller records
        this one with ``record_token_use``, in a unit of work that writes); and until when, the
        database unchanged, the same check would give the same answer without a write. Only
        reads: every API request asks this, and taking the write lock for each serialised them
        all."""
        s = self.uow.session
        token = _holder(s, ApiToken, secret)
        if token is None:
            return TokenCheck(None, False, None)
        now = self.uow.clock.now()
        if token.ended_at is not None or token.disabled:  # revoked, or its user disabled
            return TokenCheck(None, False, None)
        # A token made before every token had an expiry lives as long as a new one may.
        expires_at = token.expires_at or token.created_at + self._lifetime(token.kind, None)
        if expires_at <= now:
            return TokenCheck(None, False, None)
        actor = _actor_of(token, parse_scopes(token.scopes))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
            return TokenCheck(actor, True, None)
        return TokenCheck(actor, False, min(expires_at, token.last_used_at + LAST_USE_PRECISION))

    def record_token_use(self, secret: str) -> None:
        """The token's last use is now (the token list shows it to its holder)."""
        token = self.uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == digest(secret))
        )
        if token is not None:
            token.last_used_at = self.uow.clock.now()

    def list_tokens(self, actor: Actor) -> list[dict[str, Any]]:
        s = self.uow.session
        return [
            self._token_dict(t)
            for t in s.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == actor.user_id, ApiToken.kind == "personal")
                .order_by(ApiToken.id)
            )
        ]

    def revoke_token(self, actor: Actor, token_id: int) -> dict[str, Any]:
        if not may_manage_tokens(actor.scopes):
            raise Forbidden(_("revoking a token needs the write scope; this token is read-only"))
        s = self.uow.session
        token = s.get(ApiToken, token_id, with_for_update=True)  # revoked once, audited once
        # Only personal access tokens are listed and revoked here; password-flow tokens
        # simply expire.
        if token is None or token.user_id != actor.user_id or token.kind != "personal":
            raise NotFound(_("token {id} does not exist").format(id=token_id))
        if token.revoked_at is None:
            now = self.uow.clock.now()
            token.revoked_at = now
            self.uow.audit(
                actor,
                now,
                "token.revoke",
                "api_token",
                token.id,
                {"revoked": False},
                {"revoked": True},
            )
        return self._token_dict(token)


def _verified(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in(platform: Platform, username: str, password: str, address: str) -> Actor:
    """The signed-in actor; NotAuthenticated for wrong credentials, Throttled when too many
    failures came before.

    Each attempt is first recorded as a failure, counted against the limits atomically (see
    ``attempt_sign_in``) and committed; the password is then checked outside any transaction,
    so no lock is held while it is hashed; a right password withdraws the failure in a unit
    of work of its own. A wrong one leaves it recorded, as does a crash in between.
    """
    username = username.strip().lower()[:80]
    with platform.unit_of_work() as uow:
        attempt = AccessService(uow).attempt_sign_in(username, address[:64])
    if _verified(attempt.password_hash, password):
        with platform.unit_of_work() as uow:
            actor = AccessService(uow).complete_sign_in(attempt, password)
        if actor is not None:
            return actor
    raise NotAuthenticated(_(WRONG_CREDENTIALS))
