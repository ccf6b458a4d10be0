"""The store's schema version, and upgrading a store to this release's (Alembic, hall/migrations).

Theory of operation
-------------------
Every table is made and changed by a migration in hall/migrations/versions, one linear history
from the first release's schema (revision 0001, the baseline) to `head()`. Alembic records the
store's version in its `alembic_version` table. Opening a store (`upgrade_store`, which the
journal calls) reads that version and:

* a store with no tables is built by running every migration;
* a store with the journal but no version was written before versions were recorded (the first
  release, or a development store made by `create_all`): it is stamped at the baseline and
  upgraded from there — the migrations after the baseline create only what is missing;
* a store at an older version is upgraded step by step, each step logged and committed on its
  own (a failed step leaves the store at the last good version);
* a store at a version this release does not know was written by a newer release: it is refused
  (`StoreTooNew`), never opened, since this release would misread it.

A new migration: `alembic -c hall/migrations/alembic.ini revision -m "what"`, or copy the newest
file and set `revision` and `down_revision`; tests/test_upgrades.py checks that the migrations
build exactly the tables of hall/schema.py and the statistics.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine as SqlEngine

log = logging.getLogger("hall.store")
logging.getLogger("alembic").setLevel(logging.WARNING)  # its own lines repeat ours ("store upgraded to …")

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the first release's schema (git 936c4c0)


class StoreTooNew(Exception):
    """The store was written by a newer release; the message says which version and what to do."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The schema version of this release."""
    found = _scripts().get_current_head()
    assert found is not None
    return found


def revisions() -> list[str]:
    """Every schema version, oldest (the baseline) first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


def describe(revision: str) -> str:
    """A revision's number and the first line of its docstring."""
    script = _scripts().get_revision(revision)
    return f"{revision} ({(script.doc or '').strip().splitlines()[0] if script and script.doc else ''})"


def store_version(store: SqlEngine) -> str | None:
    """The store's schema version; None for a store without one (empty, or older than versions)."""
    with store.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_store(store: SqlEngine, to: str | None = None) -> list[str]:
    """Bring the store to this release's schema (or to the revision `to`: tests build older
    stores that way); the revisions applied, in order (see the module doc)."""
    current = store_version(store)
    target = to or head()
    if current == target:
        return []
    if current is not None and current not in revisions():
        raise StoreTooNew(
            f"the store is at schema version {current}, which this release does not know (it knows up to {target}): "
            "it was written by a newer release; run that release, or restore a backup taken before the upgrade"
        )
    with store.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    config = _config()
    applied: list[str] = []

    def on_apply(*, step: Any, **_: Any) -> None:
        for revision in step.up_revision_ids:
            applied.append(revision)
            log.info("store upgraded to schema %s", describe(revision))

    with store.begin() as conn:
        config.attributes["connection"] = conn
        if current is None and "events" in tables:
            log.info("store without a schema version (the first release's): taken as %s", describe(BASELINE))
            command.stamp(config, BASELINE)
        elif current is None:
            log.info("empty store: building schema %s", target)
    with store.connect() as conn:
        config.attributes["connection"] = conn
        config.attributes["on_version_apply"] = on_apply
        command.upgrade(config, target)
        conn.commit()
    return applied
