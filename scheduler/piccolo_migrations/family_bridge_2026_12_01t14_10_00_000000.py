"""Credential notices: PostgreSQL announces every revocation, so processes may remember tokens safely.

``scheduler/core/credential_cache.py`` remembers who a bearer token is for
a few seconds, and is on only while it hears these notices. Triggers rather
than application code because a revocation some path forgot to announce
would leave a revoked token working: deactivation, erasure, a cascade from
a deleted school or family, or hand-written SQL all reach these triggers.

* ``app_user``: after a DELETE, or an UPDATE changing the token, role,
  school, family, interpreter or ``active``: ``NOTIFY fb_credentials,
  <the old token hash>``.
* ``event`` and ``registration`` (the owners remembered, ``fixed`` in
  ``core.access.owner_of``): after a DELETE statement, ``NOTIFY
  fb_credentials, 'owners'`` once per statement.

A NOTIFY is delivered when its transaction commits, never before, and not
at all when it rolls back. SQLite has no NOTIFY: nothing is remembered
there, and this migration does nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T14:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "credential notices"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


_POSTGRES = [
    """CREATE FUNCTION credential_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' OR OLD.token_hash IS DISTINCT FROM NEW.token_hash OR OLD.role IS DISTINCT FROM NEW.role
         OR OLD.school IS DISTINCT FROM NEW.school OR OLD.family IS DISTINCT FROM NEW.family
         OR OLD.interpreter IS DISTINCT FROM NEW.interpreter OR OLD.active IS DISTINCT FROM NEW.active THEN
        PERFORM pg_notify('fb_credentials', OLD.token_hash);
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER credential_changed AFTER UPDATE OR DELETE ON app_user FOR EACH ROW "
    "EXECUTE FUNCTION credential_changed()",
    """CREATE FUNCTION owners_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('fb_credentials', 'owners');
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER event_owner_deleted AFTER DELETE ON event FOR EACH STATEMENT EXECUTE FUNCTION owners_deleted()",
    "CREATE TRIGGER registration_owner_deleted AFTER DELETE ON registration FOR EACH STATEMENT "
    "EXECUTE FUNCTION owners_deleted()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def triggers():
        if _Raw._meta.db.engine_type == "postgres":
            for sql in _POSTGRES:
                await _Raw.raw(sql)

    manager.add_raw(triggers)
    return manager
