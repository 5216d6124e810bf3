"""Unit tests of :mod:`impactlib.intake.readers` and ``text_files``: a partner's file into a table.

Every file is written for real in ``tmp_path`` (no mocks). Each refusal checks the error type
and that its one-line message names the file and the line, row, column or sheet at fault.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from impactlib.core.validation import InputError
from impactlib.intake import (
    KINDS,
    FileTable,
    TextDialect,
    detect_dialect,
    kind_of,
    read_file,
    text_files,
)
from impactlib.intake.errors import IntakeError, ReadError

FRENCH = (
    "commune;montant;taux;réponse\n"
    "Saint-Étienne;1 234,5;12,3;oui\n"
    "Orléans;12,3;-0,5;NA\n"
    "Besançon;;7;l’été\n"
)


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def refused(path: Path, *names: str, error: type[Exception] = ReadError, **options) -> str:
    """The message of ``read_file(path)``, checked to be one line naming the file and ``names``."""
    with pytest.raises(error) as caught:
        read_file(path, **options)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message, message
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"
    return message


# -- kinds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.csv", "csv"),
        ("a.TXT", "csv"),
        ("a.tsv", "tsv"),
        ("a.xlsx", "excel"),
        ("a.xlsm", "excel"),
        ("a.dta", "stata"),
        ("a.sav", "spss"),
        ("a.zsav", "spss"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
    ],
)
def test_kind_of_reads_the_extension(name, kind):
    assert kind_of(name) == kind
    assert kind in KINDS


def test_unknown_extension_is_refused_with_the_kinds_accepted(tmp_path):
    path = write(tmp_path / "enquete.xls", b"\xd0\xcf\x11\xe0")
    message = refused(path, ".xls", "csv", "excel (.xlsx, .xlsm)", "stata", "save it as .xlsx")
    assert "parquet" in message
    with pytest.raises(ReadError, match="extensionless"):
        kind_of(tmp_path / "README")


def test_missing_file_is_named_in_one_line(tmp_path):
    refused(tmp_path / "absent.csv", "does not exist")
    refused(tmp_path, "is a folder")


def test_parameters_that_do_not_apply_are_input_errors(tmp_path):
    path = write(tmp_path / "a.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="sheet does not apply to a csv file"):
        read_file(path, sheet="baseline")
    with pytest.raises(InputError, match="kind must be one of"):
        read_file(path, kind="sas")
    with pytest.raises(InputError, match="decimal must be one of"):
        read_file(path, decimal=";")
    with pytest.raises(InputError, match="not a known encoding"):
        read_file(path, encoding="ansi")


# -- CSV and TSV -----------------------------------------------------------------------------


def test_french_cp1252_export_with_semicolons_and_decimal_commas(tmp_path):
    path = write(tmp_path / "export.csv", FRENCH, encoding="cp1252")
    table = read_file(path)
    assert isinstance(table, FileTable) and table.kind == "csv"
    assert table.dialect == TextDialect(encoding="cp1252", separator=";", decimal=",")
    assert table.sheet is None and table.labels == {}
    frame = table.frame
    assert list(frame.columns) == ["commune", "montant", "taux", "réponse"]
    assert frame["commune"].tolist() == ["Saint-Étienne", "Orléans", "Besançon"]
    assert frame["réponse"].tolist() == ["oui", "NA", "l’été"]  # "NA" is text, not missing
    # Text, not numbers: the schema casts with decimal=","; an empty field is missing.
    assert frame["montant"].iloc[:2].tolist() == ["1 234,5", "12,3"]
    assert pd.isna(frame["montant"].iloc[2])
    assert all(pd.api.types.is_string_dtype(dtype) for dtype in frame.dtypes)
    assert detect_dialect(path) == table.dialect


def test_declared_dialect_is_used_and_reported(tmp_path):
    path = write(tmp_path / "export.csv", FRENCH, encoding="cp1252")
    table = read_file(path, encoding="cp1252", separator=";", decimal=".")
    assert table.dialect == TextDialect("cp1252", ";", ".")
    assert table.frame["taux"].tolist() == ["12,3", "-0,5", "7"]


def test_utf8_with_byte_order_mark(tmp_path):
    path = write(tmp_path / "bom.csv", "\ufeff identifiant ,ville\n1,Nîmes\n2,Évry\n")
    table = read_file(path)
    assert table.dialect == TextDialect("utf-8-sig", ",", ".")
    assert list(table.frame.columns) == ["identifiant", "ville"]  # BOM and spaces stripped
    assert table.frame["ville"].tolist() == ["Nîmes", "Évry"]


def test_tsv_and_a_utf16_text_export(tmp_path):
    content = "id\tpoids\tville\n1\t12,5\tNîmes\n2\t3,25\tCréteil\n"
    table = read_file(write(tmp_path / "a.tsv", content))
    assert table.kind == "tsv" and table.dialect == TextDialect("utf-8", "\t", ",")
    assert table.frame["poids"].tolist() == ["12,5", "3,25"]
    # Excel's "Unicode text" export: UTF-16 with its byte order mark, tab-separated.
    table = read_file(write(tmp_path / "unicode.txt", content, encoding="utf-16"))
    assert table.dialect == TextDialect("utf-16", "\t", ",")
    assert table.frame["ville"].tolist() == ["Nîmes", "Créteil"]


@pytest.mark.parametrize(
    ("content", "separator", "decimal"),
    [
        ("a,b\n1.5,2\n", ",", "."),
        ("a;b\n1,5;2\n", ";", ","),
        ("a;b\n1,5;2.5\n", ";", "."),  # a decimal point vetoes the comma
        ('a|b\n"1 234 567,89"|x\n', "|", ","),
        ("a\u00a0;b\n1\u00a0234,5;2\n", ";", ","),  # no-break spaces between thousands
        ("a;b\n1;2\n", ";", "."),  # no decimal number at all
        ("id\n1\n2\n", ",", "."),  # one column
        ("a;b,c;d\n1;2,5;3\n", ";", ","),  # the most consistent fields win
    ],
)
def test_separator_and_decimal_detection(tmp_path, content, separator, decimal):
    dialect = detect_dialect(write(tmp_path / "a.csv", content))
    assert (dialect.separator, dialect.decimal) == (separator, decimal)


def test_decimal_found_beyond_the_first_mib_when_it_holds_none(tmp_path):
    rows = "".join(f"{i};\n" for i in range(200_000))  # > 1 MiB of integers and blanks
    path = write(tmp_path / "late.csv", "id;poids\n" + rows + "200000;12,5\n")
    assert read_file(path).dialect.decimal == ","


def test_quoted_line_breaks_and_blank_lines_are_read(tmp_path):
    path = write(tmp_path / "q.csv", 'id,avis\n1,"bien;\nmerci"\n\n2,"dit ""oui"""\n')
    frame = read_file(path).frame
    assert frame["avis"].tolist() == ["bien;\nmerci", 'dit "oui"']


def test_utf8_file_declared_latin1_is_caught_as_mojibake(tmp_path):
    path = write(tmp_path / "declared.csv", "id;ville\n1;Paris\n2;Saint-Étienne\n")
    words = ("mojibake", "'ville'", "row 2", "line 3", "read as latin-1", "likely utf-8")
    assert "Ã" in refused(path, *words, encoding="latin-1")
    refused(path, "'ville'", "row 2", "cp1252", "utf-8", encoding="cp1252")


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("lâ€™école", ("mojibake", "read as utf-8", "new export")),  # in a UTF-8 file
        ("Saint-\ufffdtienne", ("U+FFFD", "lost")),  # letters already lost
        ("\u00c3\u00a0 domicile", ("mojibake",)),  # "à" read as cp1252: "Ã", no-break space
        ("Ã domicile", ("mojibake",)),  # the same once the no-break space became a space
    ],
)
def test_mojibake_inside_a_utf8_file_is_refused(tmp_path, cell, words):
    path = write(tmp_path / "m.csv", f"id,lieu,note\n1,Paris,a\n2,Lyon,b\n3,{cell},c\n")
    refused(path, "'lieu'", "row 3", "line 4", *words)


def test_cp1252_quotes_read_as_latin1_are_caught(tmp_path):
    path = write(tmp_path / "q.csv", "id;avis\n1;l’eau\n", encoding="cp1252")
    refused(path, "'avis'", "row 1", "control characters", "cp1252", encoding="latin-1")


def test_mojibake_in_the_header_is_named(tmp_path):
    path = write(tmp_path / "h.csv", "id;rÃ©gion\n1;Bretagne\n")
    refused(path, "the header", "rÃ©gion", "mojibake")


def test_cp1252_file_declared_utf8_names_the_line(tmp_path):
    path = write(tmp_path / "w.csv", "id;ville\n1;Paris\n2;Orléans\n", encoding="cp1252")
    refused(path, "not utf-8", "line 3", "0xE9", "encoding: cp1252", "latin-1", encoding="utf-8")


def test_bytes_that_are_neither_utf8_nor_cp1252(tmp_path):
    path = write(tmp_path / "x.csv", b"id;v\n1;a\n2;\x81\n")
    refused(path, "neither UTF-8 nor cp1252", "line 3", "0x81")


def test_utf8_bom_on_a_file_declared_cp1252(tmp_path):
    path = write(tmp_path / "b.csv", "\ufeffid;v\n1;é\n")
    refused(path, "byte order mark", "cp1252", encoding="cp1252")


def test_ragged_rows_are_named_by_file_line(tmp_path):
    content = 'a;b;c\n1;2;3\n4;5\n\n6;"x\ny";7\n8;9;10;11\n12;13;14\n'
    message = refused(write(tmp_path / "r.csv", content), "line 3 has 2", "line 7 has 4")
    assert "header (line 1) has 3 fields" in message


def test_many_ragged_rows_are_counted(tmp_path):
    content = "a;b\n" + "1;2;3\n" * 12
    message = refused(write(tmp_path / "r.csv", content), "line 2 has 3", "line 6 has 3")
    assert "12 lines in all" in message and "line 7" not in message


def test_truncated_last_line(tmp_path):
    path = write(tmp_path / "t.csv", "a;b;c\n1;2;3\n4;5;6\n7;8")
    refused(path, "truncated", "last line (4)", "2 of the header's 3 fields")
    # The same row with its line end is a ragged row, not a truncation.
    path = write(tmp_path / "u.csv", "a;b;c\n1;2;3\n4;5;6\n7;8\n")
    assert "is truncated" not in refused(path, "line 4 has 2")


def test_a_quote_left_open_is_a_truncation(tmp_path):
    path = write(tmp_path / "q.csv", 'id;avis\n1;bien\n2;"merci,\nau revoir\n')
    refused(path, "truncated or holds a stray quote", "starts on line 3")
    # A quote inside an unquoted field is text (an odd number of quotes all the same).
    path = write(tmp_path / "ok.csv", 'id;taille\n1;12" écran\n2;"a ""b"""\n')
    assert read_file(path).frame["taille"].tolist() == ['12" écran', 'a "b"']


def test_a_record_longer_than_a_parsing_block(tmp_path):
    long_text = "é" * 9_000_000  # 18 MB in UTF-8 (9 MB in cp1252), beyond one 4 MiB block
    path = write(tmp_path / "long.csv", f'id;avis;n\n1;"{long_text}";2\n2;court;3\n')
    frame = read_file(path).frame
    assert frame["avis"].str.len().tolist() == [9_000_000, 5]
    path = write(tmp_path / "long1252.csv", path.read_text(encoding="utf-8"), "cp1252")
    frame = read_file(path, encoding="cp1252", decimal=",").frame  # read as it is, decoded after
    assert frame["avis"].str.len().tolist() == [9_000_000, 5]


ONE_BYTE_FILES = [
    FRENCH,
    FRENCH.replace("\n", "\r\n"),
    'id;avis\n1;"très ""bien"" – 10 €"\n2;"sur\ndeux lignes, à voir"\n\n3;\n',
    "id;nom;\n1;Île-de-France;\n2;Orléans;\n",  # a trailing separator: a nameless column
    "id;montant\n1;1\u00a0234,5\n2;‘12’\n",
    "id;a;b\n" + "".join(f"{i};{'é' * (i % 5)};{i % 3},5\n" for i in range(300_000)),
]


@pytest.mark.parametrize("content", ONE_BYTE_FILES)
@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", None])
def test_a_one_byte_file_read_as_it_is_gives_what_decoding_it_whole_gives(
    tmp_path, monkeypatch, content, encoding
):
    """cp1252 or Latin-1 files are parsed as bytes and decoded column by column; the table
    and dialect are those of the exact path (the whole file decoded to UTF-8, then parsed)."""
    path = write(tmp_path / "f.csv", content, "cp1252")  # read as Latin-1: C1 controls, refused

    def outcome():
        try:
            table = read_file(path, encoding=encoding)
        except ReadError as error:
            return str(error), None
        return table.frame, table.dialect

    one_byte, tables = text_files._one_byte_table, []

    def spy(*args):
        tables.append(one_byte(*args))
        return tables[-1]

    monkeypatch.setattr(text_files, "_one_byte_table", spy)
    fast = outcome()
    assert tables[0] is not None or isinstance(fast[0], str)  # read as it is, unless refused
    monkeypatch.setattr(text_files, "_one_byte_table", lambda *args: None)
    exact = outcome()
    if isinstance(exact[0], str):
        assert fast == exact and "control characters" in exact[0]
    else:
        pd.testing.assert_frame_equal(fast[0], exact[0])
        assert fast[1] == exact[1]


@pytest.mark.parametrize(
    "content",
    [
        "id;ville\n1;Ã©\n",  # mojibake
        "id;ville\n1;a;b\n",  # a ragged row
        'id;ville\n1;"open\n',  # a quote left open
        "id;ville\n1;\x81\n",  # a byte cp1252 does not decode
    ],
)
def test_a_one_byte_file_with_a_fault_is_refused_as_the_exact_path_refuses_it(
    tmp_path, monkeypatch, content
):
    path = write(tmp_path / "f.csv", content.encode("latin-1"))
    with pytest.raises(ReadError) as fast:
        read_file(path, encoding="cp1252")
    monkeypatch.setattr(text_files, "_one_byte_table", lambda *args: None)
    with pytest.raises(ReadError) as exact:
        read_file(path, encoding="cp1252")
    assert str(fast.value) == str(exact.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ("is empty",)),
        (b"\n \n", ("is empty",)),
        (b"\xef\xbb\xbf", ("is empty",)),
        (b"id;ville\n", ("header (line 1) but no rows",)),
        (b"id;ville\r\n\r\n", ("header (line 1) but no rows",)),
        (b"\nid;ville\n1;2\n", ("line 1 is blank",)),
    ],
)
def test_empty_and_header_only_files(tmp_path, content, words):
    refused(write(tmp_path / "e.csv", content), *words)


def test_duplicate_column_names(tmp_path):
    path = write(tmp_path / "d.csv", "id;âge; âge ;sexe;sexe\n1;2;3;4;5\n")
    refused(path, "duplicate column names", "line 1", "'âge'", "'sexe'")


def test_a_nameless_column_is_dropped_when_empty_and_refused_with_data(tmp_path):
    table = read_file(write(tmp_path / "t.csv", "a;b;\n1;2;\n3;4;\n"))
    assert list(table.frame.columns) == ["a", "b"]
    path = write(tmp_path / "u.csv", "a;b;\n1;2;\n3;4;x\n")
    refused(path, "column 3 has no name", "row 2 (line 3)")


def test_errors_are_intake_errors_raised_from_the_cause(tmp_path):
    path = write(tmp_path / "w.csv", "id;ville\n1;Orléans\n", encoding="cp1252")
    with pytest.raises(IntakeError) as caught:
        read_file(path, encoding="utf-8")
    assert isinstance(caught.value, ReadError) and isinstance(caught.value, ValueError)
    with pytest.raises(ReadError) as caught:
        read_file(write(tmp_path / "bad.parquet", b"PAR1 not really"))
    assert caught.value.__cause__ is not None


# -- Excel -----------------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def two_sheets(tmp_path):
    return workbook(
        tmp_path / "enquete.xlsx",
        {
            "baseline": [
                ["id", " code postal ", "date", "revenu", "consent"],
                [1, "01234", dt.datetime(2024, 1, 15), 1234.5, True],
                [2, "75011", None, None, False],
                [None, None, None, None, None],
            ],
            "suivi": [["id", "revenu"], [1, 1300], [2, 980.25]],
        },
    )


def test_excel_sheets_read_by_name_keep_their_types(two_sheets):
    table = read_file(two_sheets, sheet="baseline")
    assert (table.kind, table.sheet, table.dialect) == ("excel", "baseline", None)
    frame = table.frame
    assert list(frame.columns) == ["id", "code postal", "date", "revenu", "consent"]
    assert len(frame) == 2  # the empty last row is dropped
    assert frame["code postal"].tolist() == ["01234", "75011"]  # text stays text
    assert frame["id"].dtype == "int64" and frame["revenu"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame["date"].iloc[0] == pd.Timestamp("2024-01-15") and pd.isna(frame["date"].iloc[1])
    assert frame["consent"].dtype == bool
    suivi = read_file(two_sheets, sheet="suivi").frame
    assert suivi["revenu"].tolist() == [1300, 980.25]


def test_excel_wrong_sheet_and_missing_sheet(two_sheets):
    refused(two_sheets, "no sheet 'Suivi'", "'baseline'", "'suivi'", sheet="Suivi")
    refused(two_sheets, "2 sheets", "'baseline'", "'suivi'")


def test_excel_single_sheet_needs_no_name(tmp_path):
    path = workbook(tmp_path / "one.xlsx", {"données": [["id", "x"], [1, "a"]]})
    table = read_file(path)
    assert table.sheet == "données" and table.frame["x"].tolist() == ["a"]


def test_excel_header_checks_name_the_sheet(tmp_path):
    rows = [["id", "x", "x"], [1, 2, 3]]
    path = workbook(tmp_path / "d.xlsx", {"baseline": rows})
    refused(path, "sheet 'baseline'", "duplicate column names", "'x'")
    path = workbook(tmp_path / "n.xlsx", {"baseline": [["id", None], [1, None], [2, "z"]]})
    refused(path, "sheet 'baseline'", "column B has no name", "cell B3")
    path = workbook(tmp_path / "h.xlsx", {"baseline": [["id", "x"]]})
    refused(path, "sheet 'baseline'", "no rows")


def test_corrupt_and_truncated_workbooks(tmp_path, two_sheets):
    truncated = write(tmp_path / "cut.xlsx", two_sheets.read_bytes()[:2000])
    refused(truncated, "Excel workbook", "BadZipFile", sheet="baseline")
    refused(write(tmp_path / "fake.xlsx", "id;x\n1;2\n"), "Excel workbook")


# -- Stata and SPSS --------------------------------------------------------------------------


LABELLED = pd.DataFrame(
    {
        "sexe": [1, 2, 1, 3, None],
        "age": [30.0, 41.0, None, 25.0, 52.0],
        "commune": ["Lyon", "Saint-Étienne", "", "Nîmes", "Évry"],
    }
)
VALUE_LABELS = {"sexe": {2: "Femme", 1: "Homme", 9: "Ne sait pas"}}


@pytest.mark.parametrize(
    ("name", "write_file", "kind"),
    [
        ("enquete.dta", pyreadstat.write_dta, "stata"),
        ("enquete.sav", pyreadstat.write_sav, "spss"),
        ("enquete.zsav", pyreadstat.write_sav, "spss"),
    ],
)
def test_stata_and_spss_value_and_variable_labels(tmp_path, name, write_file, kind):
    path = tmp_path / name
    options = {"compress": True} if name.endswith(".zsav") else {}
    write_file(
        LABELLED,
        path,
        column_labels={"sexe": "Sexe de l'enquêté", "age": "Âge révolu"},
        variable_value_labels=VALUE_LABELS,
        **options,
    )
    table = read_file(path)
    assert table.kind == kind and table.dialect is None and table.sheet is None
    assert table.labels == {"sexe": "Sexe de l'enquêté", "age": "Âge révolu"}
    sexe = table.frame["sexe"]
    assert isinstance(sexe.dtype, pd.CategoricalDtype)
    # The labels in the order of their codes, unused ones included, then unlabelled values.
    assert list(sexe.cat.categories) == ["Homme", "Femme", "Ne sait pas", 3]
    assert sexe.iloc[:4].tolist() == ["Homme", "Femme", "Homme", 3]
    assert pd.isna(sexe.iloc[4])
    assert table.frame["age"].iloc[[0, 3]].tolist() == [30.0, 25.0]
    commune = table.frame["commune"]
    assert commune.iloc[1] == "Saint-Étienne" and pd.isna(commune.iloc[2])


def test_corrupt_stata_and_spss_files(tmp_path):
    pyreadstat.write_dta(LABELLED, tmp_path / "ok.dta")
    cut = write(tmp_path / "cut.dta", (tmp_path / "ok.dta").read_bytes()[:300])
    refused(cut, "Stata file", "ReadstatError")
    refused(write(tmp_path / "fake.sav", b"not an SPSS file" * 8), "SPSS file")


# -- Parquet ---------------------------------------------------------------------------------


def test_parquet_round_trip_and_truncated_file(tmp_path):
    frame = LABELLED.assign(
        jour=pd.to_datetime(["2024-01-02"] * 5), sexe=pd.Categorical(["a", "b", "a", None, "b"])
    )
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_file(tmp_path / "t.parquet")
    assert table.kind == "parquet" and table.labels == {}
    pd.testing.assert_frame_equal(table.frame, frame)
    cut = write(tmp_path / "cut.pq", (tmp_path / "t.parquet").read_bytes()[:-40])
    refused(cut, "Parquet file", "ArrowInvalid")
