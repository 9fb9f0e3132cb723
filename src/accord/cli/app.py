"""Typer commands. Each parses input, calls one service, and prints the outcome."""

from __future__ import annotations

import errno
import socket
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.cli.business import business_app
from accord.cli.imports import import_app
from accord.cli.nurture import tasks_command
from accord.cli.personas import personas_app
from accord.cli.plan import plan_app
from accord.cli.reviews import reviews_app
from accord.cli.warehouse import sync_after_change, sync_command
from accord.errors import Invalid, NotFound, SetupError
from accord.kernel import migrate
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.settings import Settings

app = typer.Typer(
    help="Accord: every person who engages, answered by a person.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(business_app, name="business")
app.add_typer(plan_app, name="plan")
app.add_typer(personas_app, name="personas")
app.add_typer(reviews_app)  # `accord review` and `accord report`
app.command("sync")(sync_command)
app.command("tasks")(tasks_command)
out = Console(highlight=False, soft_wrap=True)

DEMO_OWNER_EMAIL = "owner@kasikitchen.co.za"


@app.callback()
def _global(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None, typer.Option(help="Workspace folder (default ./accord-data or ACCORD_WORKSPACE).")
    ] = None,
) -> None:
    ctx.obj = {"workspace": workspace}


def settings_from(ctx: typer.Context) -> Settings:
    """Settings from the environment, with --workspace taking precedence."""
    overrides = {"workspace": ctx.obj["workspace"]} if ctx.obj and ctx.obj.get("workspace") else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        # A field's error names its environment variable; a whole-settings check names it in its message.
        source = f"ACCORD_{str(first['loc'][0]).upper()}" if first["loc"] else "settings"
        raise SetupError(f"{source}: {first['msg'].removeprefix('Value error, ')}") from None


def _ensure_owner(store: Store, email: str, name: str) -> tuple[str, str | None]:
    """Create the first owner if there is none; return their email and a new password (or None)."""
    with store.transaction() as session:
        owner = accounts.first_owner(session)
        if owner is not None:
            return owner.email, None
        password = accounts.new_password()
        user = accounts.create_user(session, UserIn(email=email, name=name, role="owner", password=password), actor=SYSTEM)
        return user.email, password


@app.command()
def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The business's name.")] = "My business",
    currency: Annotated[str, typer.Option(help="Base currency (ISO 4217).")] = "ZAR",
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "Africa/Johannesburg",
    region: Annotated[str, typer.Option(help="Default phone region (ISO 3166 alpha-2).")] = "ZA",
    owner_email: Annotated[str, typer.Option(help="The first owner's email.")] = "owner@example.com",
) -> None:
    """Create the workspace: schema, settings and the first owner."""
    store = Store.open(settings_from(ctx), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name=name, base_currency=currency, timezone=timezone, default_region=region)
    email, password = _ensure_owner(store, owner_email, "Owner")
    out.print(f"Workspace ready at {store.engine.url.render_as_string(hide_password=True)}")
    if password:
        out.print(f"Owner login: [bold]{email}[/] / [bold]{password}[/] (shown once; change it under Settings)")
    else:
        out.print(f"Owner already exists: {email}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
    )


@app.command()
def demo(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option(help="small (default) or large (1M contacts, for benchmarks).")] = "small",
    seed: Annotated[int, typer.Option(help="Same seed, same business.")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the app when loaded.")] = True,
) -> None:
    """Load the demo business (Kasi Kitchen & Catering) once, print the login, and serve it."""
    from accord.demo.loader import load_demo

    if scale not in ("small", "large"):
        raise Invalid("--scale", f"'{scale}' is not small or large")
    store = Store.open(settings_from(ctx), upgrade=True)
    with _progress() as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = load_demo(store, scale=scale, seed=seed, progress=report)
    if summary.already_loaded:
        out.print(f"The demo (seed {seed}, {scale}) is already loaded; nothing was added.")
    else:
        rows = sum(summary.counts.values())
        out.print(f"Loaded the demo (seed {seed}, {scale}): {rows:,} rows in {summary.seconds:.1f} s.")
    password = _demo_login(store)
    if scale == "small":
        out.print(sync_after_change(store.settings, store))
    else:  # tens of millions of rows: the owner decides when to spend the minutes
        out.print("Run `accord sync` to fill the warehouse the reviews read.")
    out.print(f"Log in at http://{store.settings.host}:{store.settings.port} as "
              f"[bold]{DEMO_OWNER_EMAIL}[/] with password [bold]{password}[/]")
    if serve:
        _serve(store)


def _demo_login(store: Store) -> str:
    """The demo owner's password: set afresh on every run, so the printed login always works."""
    password = accounts.new_password()
    with store.transaction() as session:
        try:
            owner = accounts.user_by_email(session, DEMO_OWNER_EMAIL)
        except NotFound:
            accounts.create_user(
                session, UserIn(email=DEMO_OWNER_EMAIL, name="Thandi Mokoena", role="owner", password=password),
                actor=SYSTEM,
            )
        else:
            accounts.set_password(session, owner, password, actor=SYSTEM)
    return password


def _serve(store: Store) -> None:
    import uvicorn

    from accord.web.app import create_app

    settings = store.settings
    _check_address(settings.host, settings.port)
    if settings.sync_minutes > 0:
        threading.Thread(target=_keep_warehouse_current, args=(store,), name="warehouse-sync", daemon=True).start()
    out.print(f"Serving on http://{settings.host}:{settings.port} (Ctrl+C stops)")
    uvicorn.run(create_app(store), host=settings.host, port=settings.port, log_level="warning")


def _keep_warehouse_current(store: Store) -> None:
    """While the app serves, bring the warehouse up to date every ACCORD_SYNC_MINUTES (changes made in the app)."""
    while True:
        time.sleep(store.settings.sync_minutes * 60)
        try:
            sync_after_change(store.settings, store)
        except Exception as exc:  # noqa: BLE001 - a failed round must not stop the next one; say why and go on
            Console(stderr=True).print(f"warehouse sync failed: {type(exc).__name__}: {exc}".splitlines()[0])


def _check_address(host: str, port: int) -> None:
    """Refuse, in one line, an address the server cannot listen on, before announcing that it serves."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        unavailable: list[OSError] = []
        for family, kind, proto, _, address in addresses:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
                try:
                    probe.bind(address)
                except OSError as exc:
                    if exc.errno != errno.EADDRNOTAVAIL:
                        raise
                    unavailable.append(exc)  # like asyncio: a family this host lacks (often IPv6) is skipped
        if len(unavailable) == len(addresses):
            raise unavailable[0]
    except OSError as exc:
        raise SetupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


@app.command()
def serve(ctx: typer.Context) -> None:
    """Serve the web app and the API (ACCORD_HOST, ACCORD_PORT)."""
    _serve(Store.open(settings_from(ctx)))


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the migrations this version ships with."""
    from accord.kernel import db

    settings = settings_from(ctx)
    engine = db.make_engine(settings)
    db.check_connection(engine)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    out.print(f"Schema at {after}" + (" (no change)" if before == after else f" (was {before or 'empty'})"))


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Their email, used to log in.")],
    role: Annotated[str, typer.Option(help="owner, marketing, sales or viewer.")] = "sales",
    name: Annotated[str, typer.Option(help="Their name.")] = "",
    password: Annotated[str | None, typer.Option(help="Default: a generated one, printed once.")] = None,
) -> None:
    """Add a user who can log in."""
    store = Store.open(settings_from(ctx))
    chosen = password or accounts.new_password()
    try:
        data = UserIn(email=email, name=name or email.split("@")[0], role=role, password=chosen)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Invalid(str(first["loc"][0]), first["msg"]) from None
    with store.transaction() as session:
        user = accounts.create_user(session, data, actor=SYSTEM)
    out.print(f"Added {user.email} ({user.role})" + ("" if password else f" with password [bold]{chosen}[/]"))


@app.command()
def get(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A path such as / or /api/v1/dashboard.")],
    as_: Annotated[str | None, typer.Option("--as", help="Email of the user to act as (default: the first owner).")] = None,
) -> None:
    """Make one in-process request as a user, print the body, exit 1 on a non-2xx answer."""
    from accord.web.smoke import request_as

    status, body = request_as(Store.open(settings_from(ctx)), path, as_)
    typer.echo(body)
    if not 200 <= status < 300:
        raise typer.Exit(1)
