"""The ``moke`` command: ``serve``, ``create-admin``, ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Sequence

from aiohttp import web
from sqlalchemy import select

from server.aiohttp_hooks import AppRunner
from server.config import Settings, add_arguments, load_settings
from server.errors import ConfigError

log = logging.getLogger("moke")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moke", description="Moke (磨课) lesson-study server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server", description="Run the Moke server.")
    add_arguments(serve)
    admin = sub.add_parser("create-admin", help="create (or reset) an administrator account")
    admin.add_argument("username")
    admin.add_argument("--password", help="password (prompted when omitted; or MOKE_ADMIN_PASSWORD)")
    admin.add_argument("--display-name", default=None)
    add_arguments(admin)
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    add_arguments(migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(cli=vars(args))
    except ConfigError as exc:
        print(f"moke: configuration error: {exc.message}", file=sys.stderr)
        return 2
    from server.logs import setup_logging

    setup_logging(settings.log_level, as_json=settings.log_json, access=settings.access_log)
    try:
        if args.command == "serve":
            asyncio.run(serve(settings, migrate_argv=["migrate", *argv[1:]]))
        elif args.command == "create-admin":
            password = args.password or _prompt_password()
            asyncio.run(create_admin(settings, args.username, password, args.display_name))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
    except ConfigError as exc:
        print(f"moke: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _prompt_password() -> str:
    pw = getpass.getpass("password: ")
    if len(pw) < 8:
        raise ConfigError("password must have at least 8 characters")
    return pw


async def serve(settings: Settings, migrate_argv: Sequence[str] = ("migrate",)) -> None:
    """Serve until SIGTERM or SIGINT. ``migrate_argv``: how to run ``moke migrate`` with the same settings."""
    from server.app import build_app
    from server.tls import server_ssl_context

    ssl_context = server_ssl_context(settings)  # before anything starts: a bad certificate fails fast
    await _migrate_in_child(settings, migrate_argv)
    app = build_app(settings)
    runner = AppRunner(app, shutdown_timeout=settings.shutdown_timeout, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
    await site.start()
    port = settings.port
    sockets = getattr(site._server, "sockets", None)
    if sockets:
        port = sockets[0].getsockname()[1]
    scheme = "https" if ssl_context else "http"
    print(f"Moke listening on {scheme}://{settings.host}:{port}", flush=True)
    print(
        "  log in: register at the page above, or create an admin with `moke create-admin NAME`", flush=True
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down: closing connections and flushing writes")
    await runner.cleanup()
    log.info("stopped")


async def create_admin(settings: Settings, username: str, password: str, display_name: str | None) -> None:
    from server.auth.passwords import hash_password
    from server.db import Database, now
    from server.models import User

    async with Database(settings.effective_database_url) as db, db.transaction() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
        if user is None:
            user = User(username=username, display_name=display_name or username, created_at=now())
            session.add(user)
        user.password_hash = hash_password(password)
        user.is_admin = True
    print(f"administrator {username!r} is ready")


async def _migrate_in_child(settings: Settings, migrate_argv: Sequence[str]) -> None:
    """Run a due migration as ``moke migrate`` in a child process: Alembic and Mako (about 11 MB resident)
    are then never imported by the serving process. The app's own start-up finds the database at head."""
    from server.db import Database

    db = Database(settings.effective_database_url)
    await db.start(migrate=False)
    try:
        pending = await db.pending_migrations()
    finally:
        await db.stop()
    if not pending:
        return
    # its stdout goes to our stderr: our first line on stdout says that we listen
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", *migrate_argv, stdout=sys.stderr
    )
    if await child.wait() != 0:
        raise ConfigError(f"the database migration failed (moke migrate exited with {child.returncode})")


async def _migrate(settings: Settings) -> None:
    from server.db import Database

    async with Database(settings.effective_database_url):
        pass
    print("database is up to date")


if __name__ == "__main__":
    raise SystemExit(main())
