"""Reading files: encodings and dialects detected, rows streamed with their numbers, bad rows reported not raised."""

from __future__ import annotations

import codecs

import pytest

from accord.connectors.importing.mapping import check_columns, parse_mapping
from accord.connectors.importing.presets import load_preset, preset_names
from accord.connectors.importing.reader import RowStream, detect_format, raw_text
from accord.errors import Invalid

TEXT = "id,name,note\n1,Zoë,Café €5\n2,Sipho,\"multi\nline, quoted\"\n\n3,Naledi,plain\n"
ROWS = [(1, 2, ["1", "Zoë", "Café €5"]), (2, 3, ["2", "Sipho", "multi\nline, quoted"]), (3, 6, ["3", "Naledi", "plain"])]


def read(path, **options):
    file_format = detect_format(path, **options)
    with RowStream(path, file_format) as stream:
        return file_format, stream.header, [(r.number, r.line, r.values, r.problem) for r in stream]


@pytest.mark.parametrize(("encoding", "written", "detected"), [
    ("utf-8", TEXT.encode("utf-8"), "utf-8"),
    ("utf-8 with BOM", codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    ("utf-16 LE with BOM", TEXT.encode("utf-16"), "utf-16"),
    ("utf-16 BE with BOM", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
    ("cp1252", TEXT.encode("cp1252"), "cp1252"),
])
def test_encodings_are_detected_and_rows_come_out_the_same(tmp_path, encoding, written, detected):
    path = tmp_path / "people.csv"
    path.write_bytes(written)

    file_format, header, rows = read(path)

    assert (file_format.encoding, file_format.delimiter) == (detected, ",")
    assert header == ["id", "name", "note"]
    assert rows == [(n, line, values, None) for n, line, values in ROWS]


def test_a_byte_undefined_in_cp1252_falls_back_to_latin_1(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(b"id,name\n1,Ren\xe9e\x81\n")

    file_format, _, rows = read(path)

    assert file_format.encoding == "latin-1"
    assert rows == [(1, 2, ["1", "Ren\xe9e\x81"], None)]


@pytest.mark.parametrize(("delimiter", "shown"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_dialects_are_sniffed(tmp_path, delimiter, shown):
    path = tmp_path / "export.csv"
    path.write_text(TEXT.replace(",", delimiter).replace(f"multi\nline{delimiter} quoted", "multi\nline, quoted"),
                    encoding="utf-8")

    file_format, header, rows = read(path)

    assert file_format.describe() == f"CSV, utf-8, delimiter {shown}"
    assert header == ["id", "name", "note"]
    assert rows == [(n, line, values, None) for n, line, values in ROWS]


def test_the_mapping_can_fix_encoding_and_delimiter(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes("a;b\n1;Zoë\n".encode("cp1252"))

    file_format, header, rows = read(path, encoding="latin-1", delimiter=";")

    assert (file_format.encoding, header, rows) == ("latin-1", ["a", "b"], [(1, 2, ["1", "Zoë"], None)])


def test_invalid_utf8_and_a_wrong_field_count_are_problems_of_their_row(tmp_path):
    path = tmp_path / "damaged.csv"
    path.write_bytes("id,name,note\n1,Zoë,ok\n".encode() + b"2,Bad\xff\xfe,x\n3,short\n4,Lwazi,fine\n")

    file_format, _, rows = read(path)

    assert file_format.encoding == "utf-8"
    assert rows == [
        (1, 2, ["1", "Zoë", "ok"], None),
        (2, 3, ["2", "Bad\udcff\udcfe", "x"], ("row", "invalid UTF-8: byte 0xff cannot be decoded")),
        (3, 4, ["3", "short"], ("row", "2 fields; the header has 3")),
        (4, 5, ["4", "Lwazi", "fine"], None),
    ]
    assert raw_text(rows[1][2]) == "2,Bad\\xff\\xfe,x"


def test_json_lines_are_flattened_and_bad_lines_reported(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text('{"id": "1", "from": {"id": 42, "name": "Zoë"}, "likes": 3, "ok": true}\n'
                    '\n'
                    'not json\n'
                    '[1, 2]\n'
                    '{"id": "2", "message": "hi"}\n', encoding="utf-8")

    file_format, header, rows = read(path)

    assert file_format.describe() == "JSON Lines, utf-8"
    assert header == ["id", "from.id", "from.name", "likes", "ok", "message"]
    assert rows == [
        (1, 1, ["1", "42", "Zoë", "3", "true", ""], None),
        (2, 3, ["not json"], ("row", "not valid JSON: Expecting value: line 1 column 1 (char 0)")),
        (3, 4, ["[1, 2]"], ("row", "not a JSON object")),
        (4, 5, ["2", "", "", "", "", "hi"], None),
    ]


def test_an_empty_file_is_one_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(Invalid) as caught:
        read(path)

    assert caught.value.message == "file: empty.csv is empty: it has no header row"


def test_a_column_the_file_lacks_is_named_with_the_header():
    mapping = load_preset("online-retail")
    header = ["InvoiceNo", "StockCode", "Description", "Qty", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]

    with pytest.raises(Invalid) as caught:
        check_columns(mapping, header)

    assert caught.value.message == ("mapping: column 'Quantity' is not in the file's header (InvoiceNo, StockCode, "
                                    "Description, Qty, InvoiceDate, UnitPrice, CustomerID, Country)")


@pytest.mark.parametrize(("data", "message"), [
    ({"fields": {"text": {"column": "a", "value": "b"}}},
     "mapping: field 'text' needs exactly one of column, columns, value or template"),
    ({"colour": "blue"}, "mapping: mapping has unknown key 'colour' (known: attributes, batch_size, cost_ratio, "
                         "countries, currency, details, fields, file, identity, kind, refund, region, source, timezone, values)"),
    ({"identity": [{"kind": "fax", "column": "n"}]},
     "mapping: [[identity]] 1: kind must be email, phone or handle, not 'fax'"),
    ({"fields": {"id": {"column": "x", "pattern": "\\d+"}}}, "mapping: field 'id' has a pattern without a (group) to keep"),
    ({"refund": {"column": "x"}}, "mapping: [refund] needs a column and either a prefix or a list of values"),
    ({"file": {"delimiter": ";;"}}, "mapping: [file] delimiter must be one character"),
])
def test_malformed_mappings_are_refused_by_name(data, message):
    with pytest.raises(Invalid) as caught:
        parse_mapping(data, name="m.toml")

    assert caught.value.message == message


def test_every_preset_parses():
    assert preset_names() == ["facebook-comments", "instagram-comments", "olist-closed-deals", "olist-mql",
                              "online-retail", "youtube-comments"]
    assert {name: load_preset(name).kind for name in preset_names()} == {
        "facebook-comments": "engagements", "instagram-comments": "engagements", "olist-closed-deals": "leads",
        "olist-mql": "leads", "online-retail": "orders", "youtube-comments": "engagements",
    }


def test_a_field_longer_than_the_csv_modules_default_limit_is_read(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,text\n1," + "x" * 200_000 + "\n2,short\n", encoding="utf-8")

    _, _, rows = read(path)

    assert [(n, line, len(values[1]), problem) for n, line, values, problem in rows] == [
        (1, 2, 200_000, None), (2, 3, 5, None)]
