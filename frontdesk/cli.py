"""The `frontdesk` command: serve, migrate, manage users and API tokens."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import logging.config
import os
import secrets
import sys

from frontdesk.actions import users
from frontdesk.actions.context import Context
from frontdesk.bus.base import EventBus
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.observability import log_config
from frontdesk.permissions import ROLES
from frontdesk.store.db import Database
from frontdesk.store.migrate import upgrade


async def _with_ctx(settings: Settings, fn):
    db = Database(settings.resolved_database_url(), busy_timeout_ms=settings.busy_timeout_ms)
    # With Redis, what a command publishes (a revocation: password, token revoke) reaches every
    # node's sockets; without it there is no bus to reach a running server through.
    bus: EventBus = InProcessBus()
    if settings.redis_url:
        from frontdesk.bus.redis import RedisBus

        bus = RedisBus(settings.redis_url)  # publish only: never started
    try:
        return await fn(Context(db=db, settings=settings, bus=bus))
    finally:
        await bus.close()
        await db.dispose()


async def migrate(settings: Settings) -> None:
    await _with_ctx(settings, lambda ctx: upgrade(ctx.db))


async def ensure_admin(settings: Settings) -> None:
    """On the very first start, create an admin and print its credentials once."""

    async def run(ctx: Context) -> None:
        if await users.count_users(ctx=ctx):
            return
        password = secrets.token_urlsafe(12)
        await users.do_create_user(ctx=ctx, email="admin@example.com", name="Admin", role="admin", password=password)
        bar = "=" * 64
        print(
            f"\n{bar}\n  frontdesk: first start — an admin account was created.\n"
            f"  Console:  /console\n  E-mail:   admin@example.com\n  Password: {password}\n"
            f"  (shown once; change it with `frontdesk user password --email admin@example.com`)\n{bar}\n",
            flush=True,
        )

    await _with_ctx(settings, run)


def _password(arg: str | None) -> str:
    if arg:
        return arg
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("passwords do not match")
    return first


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Self-hosted live chat for customer support.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    sub.add_parser("migrate", help="apply database migrations")

    user = sub.add_parser("user", help="manage console users").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=ROLES, default="agent")
    create.add_argument("--password", help="read from the terminal or standard input when omitted")
    create.add_argument(
        "--department",
        action="append",
        dest="departments",
        metavar="SLUG",
        help="a department the user works in (repeatable; default: the default department)",
    )
    password = user.add_parser("password", help="set a user's password")
    password.add_argument("--email", required=True)
    password.add_argument("--password")
    password.add_argument(
        "--keep-tokens", action="store_true", help="keep the user's API tokens working (default: revoke them)"
    )

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="subcommand", required=True)
    token_create = token.add_parser("create", help="create an API token (printed alone on the last line)")
    token_create.add_argument("--user", required=True, help="the user's e-mail")
    token_create.add_argument("--label")
    token_create.add_argument("--expires-days", type=int, help="the token stops working after this many days")
    token_list = token.add_parser("list", help="list API tokens (their ids, never the secrets)")
    token_list.add_argument("--user", help="only this user's (e-mail)")
    token_revoke = token.add_parser("revoke", help="revoke an API token by its id (from `token list`)")
    token_revoke.add_argument("id")

    demo = sub.add_parser("demo", help="fill the database with a simulated history (reports have something to show)")
    demo.add_argument("--weeks", type=int, default=8, help="weeks of history before today's, up to now (default 8)")
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same history (default 1)")
    demo.add_argument("--force", action="store_true", help="add the demo even when the database has real chats")

    analytics = sub.add_parser("analytics", help="chat facts and hourly roll-ups of the reports").add_subparsers(
        dest="analytics_command", required=True
    )
    analytics.add_parser("rebuild", help="clear chat_facts and metric_hours and compute them again from every chat")

    args = parser.parse_args(argv)
    settings = Settings()
    try:
        if args.command == "migrate":
            private_files()
            asyncio.run(migrate(settings))
            print("database is up to date")
        elif args.command == "demo":
            private_files()
            asyncio.run(migrate(settings))
            asyncio.run(ensure_admin(settings))
            _demo(settings, args.weeks, args.seed, args.force)
        elif args.command == "analytics":
            private_files()
            asyncio.run(migrate(settings))
            _rebuild_analytics(settings)
        elif args.command == "serve":
            _serve(settings, args.host, args.port, args.workers)
        elif args.command == "user" and args.user_command == "create":
            made = asyncio.run(
                _with_ctx(
                    settings,
                    lambda ctx: users.do_create_user(
                        ctx=ctx,
                        email=args.email,
                        name=args.name,
                        role=args.role,
                        password=_password(args.password),
                        departments=args.departments,
                    ),
                )
            )
            print(f"created {made['role']} {made['email']} (id {made['id']})")
        elif args.command == "user" and args.user_command == "password":
            asyncio.run(
                _with_ctx(
                    settings,
                    lambda ctx: users.do_set_password(
                        ctx=ctx, email=args.email, password=_password(args.password), keep_tokens=args.keep_tokens
                    ),
                )
            )
            ended = "console sessions" if args.keep_tokens else "console sessions and API tokens"
            print(f"password changed; existing {ended} were ended")
        elif args.command == "token" and args.subcommand == "list":
            tokens = asyncio.run(_with_ctx(settings, lambda ctx: users.list_tokens_cli(ctx=ctx, email=args.user)))
            print("id\tuser\tlabel\tcreated\texpires\tlast used")
            for t in tokens:
                cells = (t["user"]["email"], t["label"], t["created_at"], t["expires_at"], t["last_used_at"])
                print("\t".join([t["id"], *(c or "-" for c in cells)]))
        elif args.command == "token" and args.subcommand == "revoke":
            asyncio.run(_with_ctx(settings, lambda ctx: users.do_revoke_token_cli(ctx=ctx, token_id=args.id)))
            print(f"token {args.id} revoked")
        elif args.command == "token":
            secret = asyncio.run(
                _with_ctx(
                    settings,
                    lambda ctx: users.do_create_api_token(
                        ctx=ctx, email=args.user, label=args.label, expires_days=args.expires_days
                    ),
                )
            )
            print("API token (shown once; use it as 'Authorization: Bearer TOKEN'):")
            print(secret)
    except ChatRuleError as exc:
        raise SystemExit(f"error: {exc.message}") from None


class _ProgressBar:
    """One line on stderr, redrawn in place: the phase, a bar, counts and %."""

    WIDTH = 30

    def __init__(self) -> None:
        self.phase: str | None = None
        self.shown = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        percent = int(share * 100)
        if phase == self.phase and percent == self.shown and done != total:
            return
        if phase != self.phase and self.phase is not None:
            sys.stderr.write("\n")
        self.phase, self.shown = phase, percent
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r{phase:<18} [{bar}] {done:>9,}/{total:<9,} {percent:3d}%")
        sys.stderr.flush()

    def end(self) -> None:
        if self.phase is not None:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _demo(settings: Settings, weeks: int, seed: int, force: bool) -> None:
    from frontdesk.actions.demo import do_load_demo

    bar = _ProgressBar()
    try:
        summary = asyncio.run(
            _with_ctx(settings, lambda ctx: do_load_demo(ctx, weeks=weeks, seed=seed, force=force, progress=bar))
        )
    finally:
        bar.end()
    if summary["unchanged"]:
        print(f"The demo history (seed {seed}, {weeks} weeks from {summary['start']}) is loaded; nothing to do.")
    else:
        print(
            f"Demo history written: {summary['chats']:,} chats over {weeks} week{'' if weeks == 1 else 's'} "
            f"({summary['start']} to {summary['end']}), {len(summary['users'])} users, "
            f"{len(summary['departments'])} departments ({', '.join(summary['departments'])})."
        )
    print("Start the server (`make run` or `frontdesk serve`), open /console and log in as one of:")
    for user in summary["users"]:
        print(f"  {user['email']:<34} {user['role']:<10} {user['name']}")
    print(f"Password (every demo user): {summary['password']}")
    offices = ", ".join(f"{o['name']} ({o['timezone']})" for o in summary.get("offices", []))
    if offices:
        print(f"Offices: {offices}; the agents' shifts are under Staffing -> Shifts.")


def _rebuild_analytics(settings: Settings) -> None:
    from frontdesk.actions.facts import do_rebuild_facts

    bar = _ProgressBar()
    try:
        done = asyncio.run(
            _with_ctx(settings, lambda ctx: do_rebuild_facts(ctx, progress=lambda d, t: bar("chat facts", d, t)))
        )
    finally:
        bar.end()
    print(f"Rebuilt the facts and hourly roll-ups of {done:,} closed chats.")


def private_files() -> None:
    """What this process creates (database, WAL, secret key, uploads) is readable by its user
    only; the code that creates those files also sets their modes (store/files.py, config.py)."""
    os.umask(0o077)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from frontdesk.server import HTTP_PROTOCOL

    private_files()
    config = log_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(config)
    asyncio.run(migrate(settings))
    asyncio.run(ensure_admin(settings))
    settings.signing_key  # noqa: B018 — create the key file before workers fork
    uvicorn.run(
        "frontdesk.asgi:app",
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=HTTP_PROTOCOL,  # httptools, with bounds on the request head (frontdesk/server.py)
        ws="websockets-sansio",
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        log_level=settings.log_level,
        log_config=config,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=5,  # an idle keep-alive connection is closed after 5 s
        limit_concurrency=settings.max_connections,  # past it, HTTP requests are answered 503
        backlog=2048,
    )
