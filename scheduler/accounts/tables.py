"""Who signs in: users and their API token hashes, e-mailed sign-in links, browser sessions, and the
answers kept for Idempotency-Key retries."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import Interpreter, School
from scheduler.families.tables import Family


class User(Table, tablename="app_user"):
    """Someone who signs in; the role decides what they may touch.

    Only a hash of the API token is stored, so a copy of the database does
    not hand out working credentials.
    """

    role = Varchar(length=16)
    name = Varchar(length=120)
    email = Varchar(length=254)
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, null=True, default=None)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, null=True, default=None)
    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.cascade, null=True, default=None)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # a deactivated account keeps its row (history names it) but signs in no more: its token is
    # replaced, its sessions and links deleted (scheduler/accounts/staff.py)
    active = Boolean(default=True)


class SignInLink(Table):
    """A one-time link e-mailed to someone who asked to sign in to the web pages.

    Only the hash is kept; it expires within minutes and is marked used the
    first time it is followed, so a forwarded or leaked old e-mail opens nothing.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class WebSession(Table):
    """A signed-in browser. The cookie carries a random token; the row holds its hash.

    A row rather than a signed cookie so signing out, deleting an account or
    an administrator's revocation end the session at once.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class IdempotencyKey(Table):
    """The first answer to a booking POST, replayed when a client retries with the same key."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    key = Varchar(length=200)
    route = Varchar(length=200)
    request_hash = Varchar(length=64, default="")  # SHA-256 of method, path and body: one key, one request
    status_code = SmallInt()
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
