"""`accord import` as a user runs it: exact output, one-line errors, and the worked examples of docs/importing.md."""

from __future__ import annotations

import csv
import glob
import re
import shlex
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from accord.connectors.importing.mapping import parse_mapping
from accord.connectors.importing.presets import load_preset
from accord.models import metadata
from import_support import accord
from stores import SHARED_DATA, require_shared_data

DOC = Path(__file__).resolve().parents[2] / "docs" / "importing.md"
COMMENTS = ("id,handle,when,text\n"
            "1,@naledi,2024-05-01T10:00:00,Do you deliver?\n"
            "2,sipho,2024-05-01 10:05,Price?\n"
            "3,lerato,,Hi\n")
MAPPING = """
source = "sheet"
timezone = "UTC"
[fields]
external_id = "id"
occurred_at = "when"
channel = { value = "instagram" }
kind = { value = "comment" }
text = "text"
[[identity]]
column = "handle"
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace made by `accord init`, shared by the tests of this module (each imports its own source)."""
    folder = tmp_path_factory.mktemp("cli-imports")
    result = accord("--workspace", "ws", "init", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def lines(stream: str) -> list[str]:
    return [line for line in stream.splitlines() if line.strip()]


def test_import_prints_one_line_per_file_and_the_rejects_file(workspace):
    (workspace / "a.csv").write_text(COMMENTS, encoding="utf-8")
    (workspace / "b.csv").write_text(COMMENTS.replace("\n1,", "\n11,").replace("\n2,", "\n12,").replace("\n3,", "\n13,"),
                                     encoding="utf-8")
    (workspace / "map.toml").write_text(MAPPING, encoding="utf-8")
    args = ("--workspace", "ws", "import", "engagements", "--mapping", "map.toml", "a.csv", "b.csv",
            "--rejects", "out/rejected.csv")

    first = accord(*args, cwd=workspace)
    again = accord(*args, cwd=workspace)

    engine = create_engine(f"sqlite:///{workspace / 'ws' / 'accord.sqlite3'}")
    copied = [name for name in metadata.tables if name not in ("web_session", "api_token")]  # secrets stay out
    with engine.connect() as conn:
        rows_in_store = sum(conn.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in copied)
    engine.dispose()
    # The second run wrote nothing, so it synced nothing; its two import_run rows came after the first sync.
    assert (first.returncode, first.stderr, lines(first.stdout)) == (0, "", [
        "a.csv: 3 rows read, 2 written, 0 already there, 1 rejected (run 1)",
        "b.csv: 3 rows read, 2 written, 0 already there, 1 rejected (run 2)",
        "Rejected rows are in out/rejected.csv",
        f"The warehouse the reviews read is up to date: {rows_in_store - 2:,} rows copied into {len(copied)} tables.",
    ])
    assert (again.returncode, again.stderr, lines(again.stdout)) == (0, "", [
        "a.csv: 3 rows read, 0 written, 2 already there, 1 rejected (run 3)",
        "b.csv: 3 rows read, 0 written, 2 already there, 1 rejected (run 4)",
        "Rejected rows are in out/rejected.csv",
    ])
    with (workspace / "out" / "rejected.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["file", "row", "line", "field", "reason", "raw"],
            ["a.csv", "3", "4", "occurred_at", "empty; a time is required", "3,lerato,,Hi"],
            ["b.csv", "3", "4", "occurred_at", "empty; a time is required", "13,lerato,,Hi"],
        ]
    engine = create_engine(f"sqlite:///{workspace / 'ws' / 'accord.sqlite3'}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id, kind, preset, status, rows_read, rows_written, rows_duplicate, "
                                   "rows_rejected, started_by FROM import_run ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row[1:8]) for row in stored] == [
        ("engagements", None, "finished", 3, 2, 0, 1), ("engagements", None, "finished", 3, 2, 0, 1),
        ("engagements", None, "finished", 3, 0, 2, 1), ("engagements", None, "finished", 3, 0, 2, 1)]
    assert all(row[8].startswith("cli:") for row in stored)


@pytest.mark.parametrize(("args", "message"), [
    (("engagements", "x.csv"), "error: --mapping: give either a --mapping file or a --preset (facebook-comments, "
                               "instagram-comments, olist-closed-deals, olist-mql, online-retail, youtube-comments)"),
    (("engagements", "--preset", "tiktok", "x.csv"),
     "error: --preset: 'tiktok' is not a preset (presets: facebook-comments, instagram-comments, olist-closed-deals, "
     "olist-mql, online-retail, youtube-comments)"),
    (("orders", "--preset", "youtube-comments", "x.csv"),
     "error: mapping: preset youtube-comments is a mapping for engagements imports, not orders"),
    (("engagements", "--preset", "youtube-comments", "missing.csv"),
     "error: file: missing.csv does not exist or is not a file"),
    (("engagements", "--mapping", "bad-column.toml", "x.csv"),
     "error: mapping: column 'Comment' is not in the file's header (id, handle, when, text)"),
])
def test_errors_are_one_line_and_write_nothing(workspace, args, message):
    (workspace / "x.csv").write_text(COMMENTS, encoding="utf-8")
    (workspace / "bad-column.toml").write_text(MAPPING.replace('text = "text"', 'text = "Comment"'), encoding="utf-8")

    result = accord("--workspace", "ws", "import", *args, cwd=workspace)

    assert (result.returncode, result.stdout, lines(result.stderr)) == (1, "", [message]), result.stderr


def doc_examples() -> list[tuple[str, str, str, list[str]]]:
    """(mapping file name, command, printed lines) for each worked example in docs/importing.md."""
    body = DOC.read_text(encoding="utf-8")
    mappings = dict(re.findall(r"```toml\n# (\S+\.toml)\n(.*?)```", body, flags=re.DOTALL))
    examples = []
    for command, output in re.findall(r"```\n\$ (accord import .*?)\n(.*?)```", body, flags=re.DOTALL):
        name = re.search(r"--mapping (\S+)", command)[1]
        examples.append((name, mappings[name], command, output.splitlines()))
    return examples


def test_the_documented_mappings_are_the_presets():
    examples = doc_examples()

    assert [name for name, *_ in examples] == ["youtube-comments.toml", "online-retail.toml"]
    for name, mapping, _, _ in examples:
        documented = parse_mapping(tomllib.loads(mapping), name="doc")
        bundled = load_preset(name.removesuffix(".toml"))
        assert (documented.__dict__ | {"name": ""}) == (bundled.__dict__ | {"name": ""})


@pytest.mark.realdata
@pytest.mark.parametrize("example", [0, 1], ids=["youtube-comments", "online-retail"])
def test_the_worked_examples_print_what_the_docs_say(tmp_path, example):
    require_shared_data("youtube-spam-collection")
    require_shared_data("online-retail")
    name, mapping, command, expected = doc_examples()[example]
    (tmp_path / name).write_text(mapping, encoding="utf-8")
    assert accord("init", cwd=tmp_path).returncode == 0
    args = []
    for word in shlex.split(command)[1:]:
        word = word.replace("../shared/data", str(SHARED_DATA))
        args += sorted(glob.glob(word)) if "*" in word or "[" in word else [word]

    result = accord(*args, cwd=tmp_path)
    again = accord(*args, cwd=tmp_path)

    assert (result.returncode, result.stderr, result.stdout.splitlines()) == (0, "", expected)
    assert again.returncode == 0
    assert all(" 0 written, " in line for line in again.stdout.splitlines() if "rows read" in line)


def test_no_sync_leaves_the_warehouse_for_later(tmp_path):
    assert accord("--workspace", "ws", "init", cwd=tmp_path).returncode == 0
    (tmp_path / "a.csv").write_text(COMMENTS, encoding="utf-8")
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")

    result = accord("--workspace", "ws", "import", "engagements", "--no-sync", "--mapping", "map.toml", "a.csv",
                    cwd=tmp_path)

    assert (result.returncode, lines(result.stdout)) == (0, [
        "a.csv: 3 rows read, 2 written, 0 already there, 1 rejected (run 1)",
        "Rejected rows are in ws/rejects/a.csv.rejects.csv",
    ])
    assert not (tmp_path / "ws" / "warehouse.duckdb").exists()
