"""tools/simulate_partner_files.py: a partner's files, fake but realistic, from a known truth."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from impactlib.experiment import intraclass_correlation
from impactlib.intake.identifiers import find_identifier, identifier_kind_of_name, nir_key_is_valid

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "simulate_partner_files.py"
PARAMS = ROOT / "tools" / "partner_files.yaml"
STEM = "accompagnement-renforce"
FILES = {f"{STEM}.xlsx", f"{STEM}_export.csv", "simulation.json"}

PHONE = re.compile(r"(?:0[67](?:[ .\-]?\d{2}){4}|\+33 ?[67](?: ?\d{2}){4})")
EMAIL = re.compile(r"[a-z0-9][a-z0-9._\-]*@(?:[a-z0-9\-]+\.)+[a-z]{2,}")
AMOUNT = re.compile(r"\d{1,3}(?:\u00a0\d{3})*,\d{2}")
AMBIGUOUS_ACCENTED = r"^\d+, (?:place|chemin|route|square|passage|villa) [ÀÂÉÈÊÎÔÛÇ]"


def _load_tool():
    spec = importlib.util.spec_from_file_location("simulate_partner_files", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _params() -> dict:
    return yaml.safe_load(PARAMS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The command run three times: twice with the default parameters, once another seed."""
    base = tmp_path_factory.mktemp("partner_files")
    other = base / "other_seed.yaml"
    params = _params()
    other.write_text(
        yaml.safe_dump({**params, "seed": params["seed"] + 1}, allow_unicode=True), encoding="utf-8"
    )
    outs = {}
    for name, extra in [("a", []), ("b", ["--params", str(PARAMS)]), ("c", ["--params", other])]:
        outs[name] = base / name
        command = [sys.executable, str(SCRIPT), "--out", str(outs[name]), *map(str, extra)]
        subprocess.run(command, check=True, capture_output=True, cwd=base)
    return outs


@pytest.fixture(scope="module")
def sheets(runs) -> dict[str, pd.DataFrame]:
    return pd.read_excel(runs["a"] / f"{STEM}.xlsx", sheet_name=None, dtype=str)


@pytest.fixture(scope="module")
def large() -> tuple[dict, object]:
    """20,000 participants in 200 agencies: enough to see the truth through the noise."""
    params = copy.deepcopy(_params())
    params["dgp"]["n_participants"] = 20_000
    params["dgp"]["sites"]["n"] = 200
    return params, tool.simulate(params)


def test_the_files_are_written_and_byte_identical_for_a_seed(runs):
    for name in ("a", "b", "c"):
        assert {p.name for p in runs[name].iterdir()} == FILES
    for file in FILES:
        assert (runs["a"] / file).read_bytes() == (runs["b"] / file).read_bytes(), file
        assert (runs["a"] / file).read_bytes() != (runs["c"] / file).read_bytes(), file


def test_the_workbook_has_the_two_sheets_and_no_clock(runs, sheets):
    workbook = load_workbook(runs["a"] / f"{STEM}.xlsx")
    assert workbook.sheetnames == ["inclusion", "suivi"]
    assert workbook.properties.created == workbook.properties.modified == tool.FIXED_TIME
    inclusion, suivi = sheets["inclusion"], sheets["suivi"]
    assert len(inclusion) == 2000 and inclusion["N° participant"].is_unique
    assert list(suivi.columns) == [
        "N° participant",
        "Date de suivi",
        "En emploi",
        "Type de contrat",
        "Emploi durable",
    ]
    assert set(inclusion["Groupe"]) == {"accompagnement renforcé", "droit commun"}
    assert inclusion["Date d'inclusion"].str.fullmatch(r"\d{2}/\d{2}/20\d{2}").all()
    assert inclusion["Âge"].astype(int).between(21, 29).all()
    # Rows come sorted by participant number.
    assert list(inclusion["N° participant"]) == sorted(inclusion["N° participant"])
    assert list(suivi["N° participant"]) == sorted(suivi["N° participant"])


def test_the_export_is_cp1252_with_semicolons_and_decimal_commas(runs):
    raw = (runs["a"] / f"{STEM}_export.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "Île-de-France" in text and "Région" in text and "€" in text
    lines = text.split("\r\n")
    assert lines[0].split(";") == tool.EXPORT_COLUMNS
    rows = [line.split(";") for line in lines[1:] if line]
    assert all(len(row) == 7 for row in rows)
    assert all(AMOUNT.fullmatch(row[6]) for row in rows)
    assert any("\u00a0" in row[6] for row in rows)  # amounts over 1,000 euros
    # pandas' C parser leaves "1\u00a0051,21" as text (a non-ASCII thousands separator):
    # the Python engine reads the amounts.
    table = pd.read_csv(
        runs["a"] / f"{STEM}_export.csv",
        sep=";",
        encoding="cp1252",
        decimal=",",
        thousands="\u00a0",
        engine="python",
    )
    assert table["Montant (€)"].dtype == float and table["Montant (€)"].between(400, 2500).all()


def test_nir_keys_are_valid_and_agree_with_sex_and_birth(sheets):
    inclusion = sheets["inclusion"]
    for nir, sex, birth in zip(
        inclusion["NIR"], inclusion["Sexe"], inclusion["Date de naissance"], strict=True
    ):
        digits = nir.replace(" ", "")
        assert re.fullmatch(r"[12]\d{14}", digits), nir
        assert 97 - int(digits[:13]) % 97 == int(digits[13:]), nir
        assert nir_key_is_valid(digits[:13], digits[13:])
        assert digits[0] == ("1" if sex == "H" else "2")
        assert digits[1:5] == birth[2:4] + birth[5:7]  # yy mm of "yyyy-mm-dd ..."
    # Both ways of writing a NIR occur, as in real exports.
    assert inclusion["NIR"].str.contains(" ").any() and (~inclusion["NIR"].str.contains(" ")).any()


def test_phones_emails_and_addresses_look_real(sheets):
    inclusion = sheets["inclusion"]
    assert inclusion["Téléphone"].map(lambda s: bool(PHONE.fullmatch(s))).all()
    assert inclusion["Téléphone"].str.contains(" ").any()  # mixed spacing
    assert inclusion["Téléphone"].str.fullmatch(r"0\d{9}").any()
    assert inclusion["E-mail"].map(lambda s: bool(EMAIL.fullmatch(s))).all()
    assert inclusion["E-mail"].is_unique  # a key that can link the export
    # The personal-data rules see them: by column name and by content.
    for column in ["Nom", "Prénom", "Téléphone", "E-mail", "NIR", "Adresse"]:
        assert identifier_kind_of_name(column) is not None, column
    kinds = {
        "Téléphone": "telephone number",
        "E-mail": "e-mail address",
        "NIR": "social security number (NIR)",
    }
    for column, kind in kinds.items():
        found = [(find_identifier(value) or ("",))[0] for value in inclusion[column]]
        assert set(found) == {kind}, column
    # Faker writes some streets without a number ("avenue Cousin"), as real files have them.
    numbered = inclusion["Adresse"][inclusion["Adresse"].str.match(r"\d")]
    assert len(numbered) > 0.7 * len(inclusion)
    plain = numbered[~numbered.str.contains(AMBIGUOUS_ACCENTED)]
    assert {(find_identifier(value) or ("",))[0] for value in plain} == {"postal address"}


def test_addresses_with_an_accented_name_after_an_ambiguous_street_type_are_seen(sheets):
    addresses = sheets["inclusion"]["Adresse"]
    accented = addresses[addresses.str.contains(AMBIGUOUS_ACCENTED)]
    assert len(accented) > 0
    assert {(find_identifier(value) or ("",))[0] for value in accented} == {"postal address"}


def test_follow_up_rows_belong_to_the_baseline_with_realistic_attrition(sheets):
    inclusion, suivi = sheets["inclusion"], sheets["suivi"]
    assert suivi["N° participant"].is_unique
    assert set(suivi["N° participant"]) <= set(inclusion["N° participant"])
    merged = suivi.merge(inclusion, on="N° participant")
    months = (
        pd.to_datetime(merged["Date de suivi"])
        - pd.to_datetime(merged["Date d'inclusion"], format="%d/%m/%Y")
    ).dt.days / 30.44
    assert months.between(7.8, 9.2).all()
    followed = inclusion["N° participant"].isin(suivi["N° participant"])
    missing = 1 - followed.groupby(inclusion["Groupe"]).mean()
    assert missing["droit commun"] == pytest.approx(0.30, abs=0.06)
    assert missing["accompagnement renforcé"] == pytest.approx(0.27, abs=0.06)
    assert set(merged["Emploi durable"]) == set(merged["En emploi"]) == {"oui", "non"}
    # Stable employment implies employment.
    assert (merged.loc[merged["Emploi durable"] == "oui", "En emploi"] == "oui").all()


def test_the_export_links_by_number_and_email(runs, sheets):
    inclusion = sheets["inclusion"]
    export = pd.read_csv(runs["a"] / f"{STEM}_export.csv", sep=";", encoding="cp1252", dtype=str)
    linked = export.merge(inclusion, on="N° participant", how="left", validate="many_to_one")
    assert linked["Nom"].notna().all()
    assert (linked["Courriel"] == linked["E-mail"]).all()
    assert set(linked["Indemnisé"]) == {"oui"}
    assert (export.groupby("N° participant").size() == 8).all()


def test_simulation_json_records_the_truth(runs):
    summary = json.loads((runs["a"] / "simulation.json").read_text(encoding="utf-8"))
    params = _params()
    assert summary["simulated"] is True
    assert summary["seed"] == params["seed"]
    assert summary["true_effect"]["name"] == "emploi_durable"
    assert summary["true_effect"]["true_effect"] == params["dgp"]["outcome"]["true_effect"]
    assert summary["dgp"] == params["dgp"]
    assert summary["realised"]["participants"] == 2000 and summary["realised"]["agencies"] == 20
    for entry in summary["calibration"]:
        assert {"quantity", "published", "source", "where", "used"} <= set(entry)
    for name, digest in summary["files_sha256"].items():
        assert hashlib.sha256((runs["a"] / name).read_bytes()).hexdigest() == digest


def _difference_in_means(files, column: str) -> tuple[float, float]:
    data = files.suivi.merge(files.inclusion[["N° participant", "Groupe"]], on="N° participant")
    y = (data[column] == "oui").astype(float)
    treated = y[data["Groupe"] == "accompagnement renforcé"]
    control = y[data["Groupe"] == "droit commun"]
    se = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
    return treated.mean() - control.mean(), se


@pytest.mark.parametrize(
    ("column", "outcome"), [("Emploi durable", "outcome"), ("En emploi", "secondary_outcome")]
)
def test_the_true_effect_is_recovered_on_a_large_sample(large, column, outcome):
    params, files = large
    estimate, se = _difference_in_means(files, column)
    assert se < 0.01
    assert abs(estimate - params["dgp"][outcome]["true_effect"]) < 3 * se


def test_sites_and_intra_site_correlation_are_as_declared(sheets, large):
    inclusion = sheets["inclusion"]
    sizes = inclusion["Agence"].value_counts()
    assert len(sizes) == 20 and sizes.min() >= 40
    params, files = large
    assert files.inclusion["Agence"].nunique() == 200
    # In the control arm of the follow-up, the ANOVA ICC of the outcome is near the declared one.
    data = files.suivi.merge(files.inclusion[["N° participant", "Groupe", "Agence"]])
    control = data[data["Groupe"] == "droit commun"].assign(
        y=lambda d: (d["Emploi durable"] == "oui").astype(float)
    )
    icc = intraclass_correlation(control, outcome="y", cluster="Agence")
    assert icc == pytest.approx(params["dgp"]["outcome"]["icc"], abs=0.015)
    assert files.truth["p"].between(0, 1).all()


def test_parameters_the_process_cannot_honour_are_refused():
    params = _params()
    bad_share = copy.deepcopy(params)
    bad_share["dgp"]["share_treated"] = 1.0
    with pytest.raises(ValueError, match="share_treated"):
        tool.simulate(bad_share)
    bad_icc = copy.deepcopy(params)
    bad_icc["dgp"]["outcome"]["icc"] = 0.9
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        tool.simulate(bad_icc)
