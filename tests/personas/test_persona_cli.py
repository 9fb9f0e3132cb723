"""`accord personas list|discover|fit`, run as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select

from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.personas.models import Persona
from cli.cli_support import Call, run
from persona_people import organisation, person
from stores import settings_for


def test_list_discover_fit_and_errors(backend, tmp_path):
    settings = settings_for(backend, tmp_path / "ws")
    store = Store.open(settings, upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="CLI Kitchen")
        office = organisation(session, industry="legal", city="Cape Town")
        for n in range(8):
            person(session, f"Sandton {n}", channel="instagram", city="Sandton", engaged=["instagram", "tiktok"])
            person(session, f"Durban {n}", channel="facebook", city="Durban", engaged=["facebook", "whatsapp"])
            person(session, f"Office {n}", channel="linkedin", org=office,
                   engaged=["linkedin", "linkedin", "email"])
    store.close()
    env = {"ACCORD_DATABASE_URL": settings.database_url} if settings.database_url else None

    def accord(*args: str):
        return run(Call(["--workspace", str(settings.workspace), "personas", *args], cwd=tmp_path, env=env))

    empty = accord("list")
    assert (empty.returncode, empty.stdout) == (0, "No personas yet: declare one on the Personas page or with POST "
                                                   "/api/v1/personas, or run `accord personas discover`.\n")
    found = accord("discover", "--clusters", "3", "--no-sync")
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0] == "Discovered 3 personas, as asked."
    store = Store.open(settings)
    with store.transaction() as session:
        personas = {p.id: p.name for p in session.scalars(select(Persona).order_by(Persona.id))}
    store.close()
    assert len(personas) == 3
    shown = [re.match(r"(.+) \(persona (\d+)\): (\d+) contacts \(33%\): ", line).groups() for line in lines[1:]]
    assert sorted(shown) == sorted((name, str(pid), "8") for pid, name in personas.items())

    listed = accord("list")
    assert listed.returncode == 0
    for pid, name in personas.items():
        assert re.search(rf"^{pid}\s+{re.escape(name)}\s+discovered\s+8\s", listed.stdout, re.M), listed.stdout

    fitted = accord("fit", "--no-sync")
    assert fitted.returncode == 0, fitted.stderr
    assert [line.split() for line in fitted.stdout.splitlines()] == [["id", "persona", "kind", "fitting"]] + [
        [str(pid), *name.split(), "discovered", "8"] for pid, name in personas.items()]

    wrong = accord("discover", "--clusters", "7")
    assert (wrong.returncode, wrong.stdout) == (1, "")
    assert wrong.stderr.strip() == "error: clusters: 7 is not 2, 3 or 4; leave it out to let the data choose"

    synced = accord("discover")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.splitlines()[-1].startswith("The warehouse the reviews read is up to date: ")
