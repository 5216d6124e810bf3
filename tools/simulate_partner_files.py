"""Simulate the files a French field partner would hand over for a randomised programme.

SIMULATED data: the people, names, NIR, phones, e-mails and addresses are fake (Faker fr_FR,
computed NIR keys); the outcomes are drawn from the data-generating process of the
parameters file, calibrated on a published French evaluation (its ``calibration``). Handle
the files as confidential all the same: they exist to exercise the personal-data rules.

Written in ``--out DIR``, byte for byte the same for the same parameters and seed:

- ``<programme>.xlsx``: sheet ``inclusion`` (one row per participant: personal columns,
  agency, arm in French, baseline covariates) and sheet ``suivi`` (the follow-up survey,
  with attrition);
- ``<programme>_export.csv``: the partner's information system export, cp1252,
  semicolon-separated, decimal commas, monthly allowance amounts keyed by participant
  number and carrying the e-mail;
- ``simulation.json``: the data-generating process, the seed, the true effect and the
  calibration, for the report page that presents the example.

Usage: ``python tools/simulate_partner_files.py --out DIR [--params tools/partner_files.yaml]``
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import hashlib
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from faker import Faker
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

DEFAULT_PARAMS = Path(__file__).with_name("partner_files.yaml")
# No clock enters the files: fixed workbook properties and zip entry times.
FIXED_TIME = dt.datetime(2026, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# The agencies, two in each of ten regions ("town department"), numbered past the list.
REGIONS = {
    "Île-de-France": "Paris 75, Saint-Denis 93",
    "Hauts-de-France": "Lille 59, Amiens 80",
    "Auvergne-Rhône-Alpes": "Lyon 69, Grenoble 38",
    "Provence-Alpes-Côte d'Azur": "Marseille 13, Nice 06",
    "Occitanie": "Toulouse 31, Montpellier 34",
    "Nouvelle-Aquitaine": "Bordeaux 33, Poitiers 86",
    "Grand Est": "Strasbourg 67, Reims 51",
    "Pays de la Loire": "Nantes 44, Angers 49",
    "Bretagne": "Rennes 35, Brest 29",
    "Normandie": "Rouen 76, Caen 14",
}
AGENCIES = [
    (*town.rsplit(" ", 1), region)
    for region, towns in REGIONS.items()
    for town in towns.split(", ")
]
EXPORT_COLUMNS = "N° participant;Courriel;Région;Agence;Mois;Prestation;Montant (€)".split(";")
ALLOWANCE = "Allocation d’aide au retour à l’emploi"
MAIL_DOMAINS = (
    "gmail.com orange.fr free.fr hotmail.fr laposte.net sfr.fr yahoo.fr outlook.fr".split()
)
# Mobile numbers as real exports write them: (prefix, separator, weight) for
# prefix + 6|7 + separator + the four pairs joined by the separator.
PHONE_FORMATS = [
    ("0", " ", 0.40),
    ("0", "", 0.25),
    ("0", ".", 0.10),
    ("+33 ", " ", 0.15),
    ("+33", "", 0.05),
    ("0", "-", 0.05),
]


@dataclass(frozen=True)
class PartnerFiles:
    """The simulated tables: what the partner hands over, and the truth it does not show."""

    inclusion: pd.DataFrame  # sheet "inclusion"
    suivi: pd.DataFrame  # sheet "suivi"
    export: pd.DataFrame  # the CSV export, amounts already written as text
    truth: pd.DataFrame  # every participant: agency, arm (0/1), both outcomes, followed


def load_params(path: Path | str = DEFAULT_PARAMS) -> dict:
    """The parameters file as a dictionary, checked."""
    params = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    check_params(params)
    return params


def check_params(params: dict) -> None:
    """Refuse parameters the process cannot honour, naming the parameter."""
    dgp = params["dgp"]
    if not 0 < dgp["share_treated"] < 1:
        raise ValueError("dgp.share_treated must be strictly between 0 and 1")
    sites = dgp["sites"]
    if sites["n"] < 2 or sites["n"] * sites["min_size"] > dgp["n_participants"]:
        raise ValueError("dgp.sites: at least 2 agencies, and n * min_size <= n_participants")
    if not 0 <= dgp["outcome"]["icc"] < 1:
        raise ValueError("dgp.outcome.icc must be in [0, 1)")
    for arm, rate in dgp["attrition"].items():
        if not 0 <= rate < 1:
            raise ValueError(f"dgp.attrition.{arm} must be in [0, 1)")
    for name in ("niveau_diplome", "logement"):
        if abs(sum(dgp["baseline"][name].values()) - 1) > 1e-9:
            raise ValueError(f"dgp.baseline.{name}: the shares must sum to 1")


def _agencies(n: int) -> list[tuple[str, str, str]]:
    """``n`` agencies (name, department, region); past the list, numbered: "Lille 2"."""
    out = []
    for i in range(n):
        city, dept, region = AGENCIES[i % len(AGENCIES)]
        rank = i // len(AGENCIES)
        out.append((f"Agence {city}" + (f" {rank + 1}" if rank else ""), dept, region))
    return out


def _sites(rng: np.random.Generator, dgp: dict) -> pd.DataFrame:
    """Agencies with their sizes and their effect on the outcome probability."""
    sites, n = dgp["sites"], dgp["n_participants"]
    shares = rng.dirichlet(np.full(sites["n"], sites["size_concentration"]))
    sizes = sites["min_size"] + rng.multinomial(n - sites["n"] * sites["min_size"], shares)
    p = dgp["outcome"]["control_mean"]
    half_width = np.sqrt(3 * dgp["outcome"]["icc"] * p * (1 - p))
    names, depts, regions = zip(*_agencies(sites["n"]), strict=True)
    return pd.DataFrame(
        {
            "agence": names,
            "dept": depts,
            "region": regions,
            "size": sizes,
            "effect": rng.uniform(-half_width, half_width, sites["n"]),
        }
    )


def _categorical(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    labels = list(shares)
    return np.array(labels, dtype=object)[rng.choice(len(labels), n, p=list(shares.values()))]


def _participants(rng: np.random.Generator, dgp: dict, sites: pd.DataFrame) -> pd.DataFrame:
    """One row per participant: agency, arm (stratified by agency), baseline covariates."""
    base = dgp["baseline"]
    site = np.repeat(np.arange(len(sites)), sites["size"])
    n = len(site)
    treat = np.zeros(n, dtype=int)
    for j, size in enumerate(sites["size"]):
        rows = np.flatnonzero(site == j)
        treat[rng.permutation(rows)[: int(round(dgp["share_treated"] * size))]] = 1
    weekdays = pd.bdate_range(*dgp["inclusion_period"])
    inclusion = rng.choice(np.array([d.date() for d in weekdays]), n)
    age = rng.integers(base["age"]["min"], base["age"]["max"] + 1, n)
    # The last birthday, the age-th, fell 0 to 364 days before the inclusion date.
    birth = [
        (pd.Timestamp(d) - pd.DateOffset(years=int(a)) - pd.Timedelta(days=int(k))).date()
        for d, a, k in zip(inclusion, age, rng.integers(0, 365, n), strict=True)
    ]
    people = pd.DataFrame({"site": site, "treat": treat, "inclusion": inclusion, "birth": birth})
    people["age"] = age
    people["man"] = (rng.random(n) < base["share_men"]).astype(int)
    people["niveau_diplome"] = _categorical(rng, base["niveau_diplome"], n)
    people["months_registered"] = base["months_registered"]["min"] + rng.poisson(
        base["months_registered"]["extra_mean"], n
    )
    people["en_emploi_inclusion"] = np.where(
        rng.random(n) < base["share_reduced_activity"], "oui", "non"
    )
    people["compensated"] = rng.random(n) < base["share_compensated"]
    people["logement"] = _categorical(rng, base["logement"], n)
    allowance = base["daily_allowance_eur"]
    people["daily_allowance"] = allowance["median"] * np.exp(
        allowance["sigma"] * rng.normal(size=n)
    )
    return people


def _centred_effect(values: pd.Series, effects: dict, shares: dict) -> np.ndarray:
    mean = sum(effects[k] * shares[k] for k in effects)
    return values.map(effects).to_numpy(dtype=float) - mean


def _outcomes(rng: np.random.Generator, dgp: dict, people: pd.DataFrame, sites) -> pd.DataFrame:
    """Stable employment, employment, contract type and follow-up (date, attrition)."""
    out, sec, base = dgp["outcome"], dgp["secondary_outcome"], dgp["baseline"]
    n = len(people)
    shares = {
        "niveau_diplome": base["niveau_diplome"],
        "en_emploi_inclusion": {
            "oui": base["share_reduced_activity"],
            "non": 1 - base["share_reduced_activity"],
        },
    }
    effect = out["true_effect"] + out["gap_men_minus_women"] * (people["man"] - base["share_men"])
    p = out["control_mean"] + sites["effect"].to_numpy()[people["site"]] + people["treat"] * effect
    for column, effects in out["covariate_effects"].items():
        p = p + _centred_effect(people[column], effects, shares[column])
    p = p.to_numpy(dtype=float)
    if p.min() < 0 or p.max() > 1:
        raise ValueError("a probability falls outside [0, 1]: lower dgp.outcome.icc or effects")
    stable = rng.random(n) < p
    # Employment: the stable ones, then the others with the probability that gives each arm
    # its declared mean, E[stable] being the arm's mean of p.
    arm_p = np.where(
        people["treat"] == 1, out["control_mean"] + out["true_effect"], out["control_mean"]
    )
    arm_target = np.where(
        people["treat"] == 1, sec["control_mean"] + sec["true_effect"], sec["control_mean"]
    )
    employed = stable | (rng.random(n) < (arm_target - arm_p) / (1 - arm_p))
    mix = dgp["contracts"]
    contract = np.where(
        stable,
        np.where(rng.random(n) < mix["cdi_share_of_stable"], "CDI", "CDD de 6 mois ou plus"),
        np.where(
            rng.random(n) < mix["interim_share_of_short"], "Intérim", "CDD de moins de 6 mois"
        ),
    )
    contract = np.where(employed, contract, "Sans emploi")
    attrition = np.where(
        people["treat"] == 1, dgp["attrition"]["treated"], dgp["attrition"]["control"]
    )
    months = dgp["follow_up_months"]
    follow_up = [
        (pd.Timestamp(d) + pd.DateOffset(months=months) + pd.Timedelta(days=int(k))).date()
        for d, k in zip(people["inclusion"], rng.integers(0, 31, n), strict=True)
    ]
    return people.assign(
        p=p,
        stable=stable.astype(int),
        employed=employed.astype(int),
        contract=contract,
        followed=rng.random(n) >= attrition,
        follow_up=follow_up,
    )


def nir_key(nir13: str) -> str:
    """The two-digit key of a 13-digit NIR: 97 - (n mod 97)."""
    return f"{97 - int(nir13) % 97:02d}"


def _nir(rng: np.random.Generator, man: int, birth: dt.date) -> str:
    """A NIR with a valid key; the birth department is metropolitan and never Corsica."""
    dept = int(rng.choice([d for d in range(1, 96) if d != 20]))
    body = (
        f"{1 if man else 2}{birth.year % 100:02d}{birth.month:02d}{dept:02d}"
        f"{rng.integers(1, 991):03d}{rng.integers(1, 1000):03d}"
    )
    key = nir_key(body)
    if rng.random() < 0.3:  # some exports space the groups
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:]} {key}"
    return body + key


def _phone(rng: np.random.Generator) -> str:
    mobile = int(rng.choice([6, 7]))
    first = int(rng.integers(3, 10) if mobile == 7 else rng.integers(0, 10))
    digits = f"{first}{rng.integers(0, 10**7):07d}"
    prefix, sep, _ = PHONE_FORMATS[rng.choice(len(PHONE_FORMATS), p=[w for *_, w in PHONE_FORMATS])]
    return f"{prefix}{mobile}{sep}" + sep.join(digits[i : i + 2] for i in range(0, 8, 2))


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


def _email(rng: np.random.Generator, first: str, last: str, taken: set[str]) -> str:
    f, name = _ascii(first), _ascii(last)
    local = [f"{f}.{name}", f"{f}{name}", f"{f[0]}.{name}", f"{name}.{f}", f"{f}_{name}"][
        rng.integers(0, 5)
    ]
    if rng.random() < 0.3:
        local += str(rng.integers(1, 100))
    address = f"{local}@{MAIL_DOMAINS[rng.integers(0, len(MAIL_DOMAINS))]}"
    while address in taken:  # one e-mail per person, so that it can link records
        address = f"{local}{rng.integers(1, 1000)}@{address.split('@')[1]}"
    taken.add(address)
    return address


def _identities(seed: int, rng: np.random.Generator, people, sites) -> pd.DataFrame:
    """Fake personal columns: number, names, NIR, phone, e-mail, address in the agency's town."""
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    n, taken = len(people), set()
    numbers = [f"AR-{k:06d}" for k in 100000 + rng.choice(900000, n, replace=False)]
    rows = []
    for number, man, birth, site in zip(
        numbers, people["man"], people["birth"], people["site"], strict=True
    ):
        first = fake.first_name_male() if man else fake.first_name_female()
        last = fake.last_name()
        agency = sites.iloc[site]
        town = agency["agence"].removeprefix("Agence ").rstrip(" 0123456789")
        rows.append(
            {
                "number": number,
                "nom": last.upper(),
                "prenom": first,
                "phone": _phone(rng),
                "email": _email(rng, first, last, taken),
                "nir": _nir(rng, man, birth),
                "adresse": f"{fake.street_address()}, {agency['dept']}{rng.integers(0, 1000):03d}"
                f" {town}",
            }
        )
    return pd.DataFrame(rows, index=people.index)


def _french_amount(value: float) -> str:
    """1234.5 -> '1\u00a0234,50': non-breaking space for thousands, decimal comma."""
    return f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")


def _export(people: pd.DataFrame, sites: pd.DataFrame, months: int) -> pd.DataFrame:
    """Monthly allowance of the compensated participants, as the information system exports."""
    rows = []
    for person in people[people["compensated"]].itertuples():
        agency = sites.iloc[person.site]
        start = pd.Timestamp(person.inclusion).to_period("M")
        for k in range(1, months + 1):
            month = start + k
            days = calendar.monthrange(month.year, month.month)[1]
            rows.append(
                {
                    "N° participant": person.number,
                    "Courriel": person.email,
                    "Région": agency["region"],
                    "Agence": agency["agence"],
                    "Mois": f"{month.month:02d}/{month.year}",
                    "Prestation": ALLOWANCE,
                    "Montant (€)": _french_amount(round(person.daily_allowance, 2) * days),
                }
            )
    # People come sorted by number and months in order: the rows are sorted.
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS)


def simulate(params: dict) -> PartnerFiles:
    """Draw the partner's tables from the process and seed of ``params``."""
    check_params(params)
    dgp, seed = params["dgp"], int(params["seed"])
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    sites = _sites(streams[0], dgp)
    people = _outcomes(streams[2], dgp, _participants(streams[1], dgp, sites), sites)
    people = people.join(_identities(seed, streams[3], people, sites))
    people = people.sort_values("number").reset_index(drop=True)
    arms = dgp["arms"]
    yes_no = {1: "oui", 0: "non"}
    inclusion = pd.DataFrame(
        {
            "N° participant": people["number"],
            "Nom": people["nom"],
            "Prénom": people["prenom"],
            "Date de naissance": people["birth"],
            "Téléphone": people["phone"],
            "E-mail": people["email"],
            "NIR": people["nir"],
            "Adresse": people["adresse"],
            "Agence": sites["agence"].to_numpy()[people["site"]],
            "Groupe": np.where(people["treat"] == 1, arms["treated"], arms["control"]),
            "Date d'inclusion": [d.strftime("%d/%m/%Y") for d in people["inclusion"]],
            "Âge": people["age"],
            "Sexe": np.where(people["man"] == 1, "H", "F"),
            "Niveau de diplôme": people["niveau_diplome"],
            "Durée d'inscription (mois)": people["months_registered"],
            "Indemnisé": np.where(people["compensated"], "oui", "non"),
            "Logement": people["logement"],
            "En emploi à l'inclusion": people["en_emploi_inclusion"],
        }
    )
    followed = people[people["followed"]]
    suivi = pd.DataFrame(
        {
            "N° participant": followed["number"],
            "Date de suivi": followed["follow_up"],
            "En emploi": followed["employed"].map(yes_no),
            "Type de contrat": followed["contract"],
            "Emploi durable": followed["stable"].map(yes_no),
        }
    ).reset_index(drop=True)
    names = {"stable": dgp["outcome"]["name"], "employed": dgp["secondary_outcome"]["name"]}
    truth = people[["number", "treat", "stable", "employed", "p", "followed"]].rename(columns=names)
    truth.insert(1, "agence", inclusion["Agence"])
    export = _export(people, sites, dgp["follow_up_months"])
    return PartnerFiles(inclusion=inclusion, suivi=suivi, export=export, truth=truth)


def _workbook_bytes(files: PartnerFiles) -> bytes:
    """The workbook, with fixed properties and zip entry times: the same bytes every run."""
    wb = Workbook()
    sheets = [
        ("inclusion", files.inclusion, {"Date de naissance"}),
        ("suivi", files.suivi, {"Date de suivi"}),
    ]
    wb.remove(wb.active)
    for title, frame, date_columns in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
        for k, column in enumerate(frame.columns, start=1):
            if column in date_columns:
                for (cell,) in ws.iter_rows(min_row=2, min_col=k, max_col=k):
                    cell.number_format = "DD/MM/YYYY"
    wb.properties.creator = "Impact Tank (simulated partner files)"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return fixed.getvalue()


def _csv_bytes(export: pd.DataFrame) -> bytes:
    """The export as the partner's system writes it: cp1252, ';', CRLF."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(export.columns)
    writer.writerows(export.itertuples(index=False))
    return text.getvalue().encode("cp1252")


def _summary(params: dict, files: PartnerFiles, digests: dict[str, str]) -> dict:
    dgp, truth = params["dgp"], files.truth
    arms = {"treated": truth["treat"] == 1, "control": truth["treat"] == 0}
    return {
        "simulated": True,
        "note": "Fake personal data and simulated outcomes; handle the files as confidential.",
        "programme": params["programme"],
        "seed": int(params["seed"]),
        "true_effect": {k: dgp["outcome"][k] for k in ("name", "label", "unit", "true_effect")},
        "dgp": dgp,
        "calibration": params["calibration"],
        "sources": params["sources"],
        "realised": {
            "participants": len(truth),
            "agencies": int(truth["agence"].nunique()),
            "by_arm": {arm: int(mask.sum()) for arm, mask in arms.items()},
            "followed_by_arm": {
                arm: int((mask & truth["followed"]).sum()) for arm, mask in arms.items()
            },
            "export_rows": len(files.export),
        },
        "files_sha256": digests,
    }


def write(params: dict, out: Path | str) -> list[Path]:
    """Simulate and write the three files in ``out``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = simulate(params)
    blobs = {
        f"{params['programme']}.xlsx": _workbook_bytes(files),
        f"{params['programme']}_export.csv": _csv_bytes(files.export),
    }
    digests = {name: hashlib.sha256(blob).hexdigest() for name, blob in sorted(blobs.items())}
    summary = json.dumps(
        _summary(params, files, digests), indent=2, sort_keys=True, ensure_ascii=False
    )
    blobs["simulation.json"] = (summary + "\n").encode("utf-8")
    paths = []
    for name, blob in blobs.items():
        (out / name).write_bytes(blob)
        paths.append(out / name)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder of the output files")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="parameters (YAML)")
    args = parser.parse_args(argv)
    for path in write(load_params(args.params), args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
