"""Property test: on random small surveys, every published figure of methodology §3-§5 equals an independent
pandas / scipy computation written here (not calling the project's code).

Each example draws a questionnaire (themes of 1-3 items on 1-5, 1-6, 1-7 or 0-10 scales, reverse-coded items, a
0-10 eNPS item outside the themes), companies of uneven size (down to one respondent) in two industries over two
years (a company may skip a year), answers with don't-knows, blanks and partly answered questionnaires, subgroups
and invited headcounts. It writes the seeds into a copy of the dbt project and the raw tables with
tests/fixtures/raw_warehouse.py, runs `dbt build`, and compares. A dbt build takes seconds: few examples.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from raw_warehouse import build_raw_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# dbt through its Python entry point, not the console script (which a venv re-sync may be rewriting)
DBT = [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())"]
YEARS = (2024, 2025)
MIN_RESPONDENTS, MIN_COMPANIES, MAX_SHARE = 5, 3, 0.5
# a benchmark leaves two companies unknown to a coalition of this many participants (var colluding_companies)
COLLUDING = 2
SHARES = ["favorable_pct", "neutral_pct", "unfavorable_pct", "dont_know_pct"]
KEY_DRIVER_MIN = 8
MIN_COMPANIES_DISTRIBUTION = (
    4  # company-weighted mean and percentiles need this many ranked companies (> min_companies)
)
SCALES = [(1, 5), (1, 6), (1, 7), (0, 10)]
ENPS = "Q25"
TOL = 1e-6
# Student's t is scipy's own at every df (orchestration/duckdb_functions.py): a CI or a p-value differs from the
# computation here only by the rounding of the sums behind it (CIs: relative to max(1, |value|); p-values: to p).
EXACT_TOL = 1e-11
# methodology §5: percentile_rank compares indices rounded to this many decimals (var index_tie_decimals)
TIE_DECIMALS = 9


# ---------------------------------------------------------------------------------------------------- generation
@dataclass
class Survey:
    items: pd.DataFrame  # item_id, theme_id (None for eNPS), scale_min, scale_max, reverse_coded
    companies: pd.DataFrame  # company_id, company_name, industry_id
    respondents: pd.DataFrame  # year, company_id, respondent_id, department, tenure_band, age_band, role
    answers: pd.DataFrame  # year, company_id, respondent_id, item_id, answer_value, is_dont_know
    invited: pd.DataFrame  # year, company_id, invited


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(0, len(options)))]


@st.composite
def surveys(draw) -> Survey:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_themes = draw(st.integers(2, 3))
    rows = []
    for t in range(n_themes):
        for _ in range(draw(st.integers(1, 3))):
            lo, hi = SCALES[draw(st.integers(0, len(SCALES) - 1))]
            rows.append((f"Q{len(rows) + 1:02d}", f"theme_{t}", lo, hi, draw(st.booleans())))
    rows.append((ENPS, None, 0, 10, False))
    items = pd.DataFrame(rows, columns=["item_id", "theme_id", "scale_min", "scale_max", "reverse_coded"])
    n_companies = draw(st.integers(3, 5))
    companies = pd.DataFrame(
        {
            "company_id": [f"c{k}" for k in range(n_companies)],
            "company_name": [f"Company {k}" for k in range(n_companies)],
            "industry_id": ["bank" if k % 2 == 0 else "power" for k in range(n_companies)],
        }
    )
    never_answered = draw(st.sampled_from([None, *items.item_id[:-1]]))  # an item (maybe a whole theme) left blank
    respondents, answers = [], []
    for year in YEARS:
        for company in companies.company_id:
            size = draw(st.sampled_from([6, 5, 11, 1, 8, 0, 2, 4]))  # the simplest example is already a survey
            shift = rng.normal(0, 0.15)
            for r in range(size):
                rid = f"{company}-{year}-{r}"
                respondents.append(
                    (
                        year,
                        company,
                        rid,
                        _pick(rng, ["Kundeservice", "Salg"]),
                        _pick(rng, ["<1", "1-3", "5+"]),
                        _pick(rng, ["<25", "25-34"]),
                        _pick(rng, ["Rådgiver", "Teamleder", None]),  # a respondent may have no role
                    )
                )
                level = rng.normal(0.55 + shift, 0.2)
                stop = len(items) if rng.random() > 0.2 else int(rng.integers(1, len(items)))  # partly answered
                for i, item in enumerate(items.itertuples()):
                    if i >= stop or item.item_id == never_answered or rng.random() < 0.05:
                        continue  # blank: no row
                    if rng.random() < 0.08:
                        answers.append((year, company, rid, item.item_id, np.nan, True))
                        continue
                    span = item.scale_max - item.scale_min
                    x = np.clip(
                        round(item.scale_min + span * (level + rng.normal(0, 0.2))), item.scale_min, item.scale_max
                    )
                    if item.reverse_coded:
                        x = item.scale_min + item.scale_max - x
                    answers.append((year, company, rid, item.item_id, float(x), False))
    respondents = pd.DataFrame(
        respondents, columns=["year", "company_id", "respondent_id", "department", "tenure_band", "age_band", "role"]
    )
    answers = pd.DataFrame(
        answers, columns=["year", "company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    )
    counts = answers.groupby(["year", "company_id"]).respondent_id.nunique()
    invited = [
        (year, company, int(n + rng.integers(0, 6)))
        for (year, company), n in counts.items()
        if rng.random() < 0.85  # sometimes the headcount is unknown
    ]
    invited = pd.DataFrame(invited, columns=["year", "company_id", "invited"])
    return Survey(items, companies, respondents, answers, invited)


# ---------------------------------------------------------------------------------------------------- dbt run
def _write_seeds(survey: Survey, seeds: Path) -> None:
    seeds.mkdir()
    items = survey.items.assign(
        text_nb=lambda f: "Spørsmål " + f.item_id,
        text_en=lambda f: "Question " + f.item_id,
        first_year=YEARS[0],
        last_year=None,
        sort_order=range(1, len(survey.items) + 1),
    )
    items.to_csv(seeds / "items.csv", index=False)
    themes = sorted(survey.items.theme_id.dropna().unique())
    pd.DataFrame(
        {"theme_id": themes, "theme_name_nb": themes, "theme_name_en": themes, "sort_order": range(1, len(themes) + 1)}
    ).to_csv(seeds / "themes.csv", index=False)
    survey.companies.to_csv(seeds / "companies.csv", index=False)
    pd.DataFrame(
        {"industry_id": ["bank", "power"], "industry_name_nb": ["Bank", "Kraft"], "industry_name_en": ["Bank", "Power"]}
    ).to_csv(seeds / "industries.csv", index=False)
    survey.invited.to_csv(seeds / "invited_headcount.csv", index=False)
    shutil.copy(REPO / "seeds" / "answer_labels.csv", seeds / "answer_labels.csv")
    (seeds / "item_crosswalk.csv").write_text("year,source_column,item_id\n")


def _build(survey: Survey, tmp: Path) -> Path:
    project = tmp / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    _write_seeds(survey, tmp / "seeds")
    warehouse = tmp / "warehouse.duckdb"
    build_raw_warehouse(warehouse, survey.answers, survey.respondents)
    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    variables = (
        f"{{min_respondents: {MIN_RESPONDENTS}, min_companies: {MIN_COMPANIES}, max_company_share: {MAX_SHARE}, "
        f"enps_item_id: {ENPS}, key_driver_min_respondents: {KEY_DRIVER_MIN}, "
        f"min_companies_distribution: {MIN_COMPANIES_DISTRIBUTION}, index_tie_decimals: {TIE_DECIMALS}, "
        # the percentiles' arithmetic is exercised over 4-5 companies: this test lowers that floor (a launch cannot)
        f"disclosure_floors: {{min_respondents: {MIN_RESPONDENTS}, min_companies: {MIN_COMPANIES}, "
        f"max_company_share: {MAX_SHARE}, min_companies_distribution: {MIN_COMPANIES_DISTRIBUTION}}}}}"
    )
    result = subprocess.run(
        [*DBT, "build", "--profiles-dir", ".", "--vars", variables, "--target-path", str(tmp / "target")]
        + ["--log-path", str(tmp / "logs")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    return warehouse


def _published(warehouse: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.sql(
                "select table_name from information_schema.tables where table_schema = 'published'"
            ).fetchall()
        ]
        out = {t: con.sql(f"select * from published.{t}").df() for t in tables}
        # never NaN (a null is fine): DuckDB keeps NaN and NULL apart, pandas does not
        for t in tables:
            doubles = [
                r[0]
                for r in con.sql(
                    "select column_name from information_schema.columns where table_schema = 'published' "
                    f"and table_name = '{t}' and data_type = 'DOUBLE'"
                ).fetchall()
            ]
            for c in doubles:
                n_nan = con.sql(f'select count(*) from published.{t} where isnan("{c}")').fetchone()[0]
                assert n_nan == 0, f"{t}.{c} has NaN"
    finally:
        con.close()
    return out


# ------------------------------------------------------------------------------------ the rules, independently
def _scored(survey: Survey) -> pd.DataFrame:
    """One row per answer row: reverse-coded value, item index, category, eNPS points."""
    a = survey.answers.merge(survey.items, on="item_id").merge(survey.companies[["company_id", "industry_id"]])
    x = np.where(a.reverse_coded, a.scale_min + a.scale_max - a.answer_value, a.answer_value)
    a["x"] = np.where(a.is_dont_know, np.nan, x)
    a["item_index"] = (a.x - a.scale_min) / (a.scale_max - a.scale_min) * 100
    a["fav"] = a.x >= a.scale_max - 1
    a["unfav"] = a.x <= a.scale_min + 1
    a["neutral"] = a.x.notna() & ~a.fav & ~a.unfav
    a["enps"] = np.select([a.x >= 9, a.x >= 7], [100.0, 0.0], -100.0)
    a.loc[a.x.isna(), "enps"] = np.nan
    return a


def _respondent_scores(survey: Survey, a: pd.DataFrame) -> pd.DataFrame:
    """Long: year, company_id, industry_id, respondent_id, measure_type, measure_id, score (NaN = no valid score)."""
    items = survey.items
    themed = a[a.theme_id.notna()]
    people = a[["year", "company_id", "industry_id", "respondent_id"]].drop_duplicates()
    k = items[items.theme_id.notna()].groupby("theme_id").size()
    theme_rows = people.merge(pd.DataFrame({"theme_id": k.index}), how="cross")
    agg = themed.groupby(["year", "company_id", "respondent_id", "theme_id"]).item_index.agg(["mean", "count"])
    theme_rows = theme_rows.merge(agg.reset_index(), how="left", on=["year", "company_id", "respondent_id", "theme_id"])
    needed = theme_rows.theme_id.map(lambda t: math.ceil(k[t] / 2))
    theme_rows["score"] = theme_rows["mean"].where(theme_rows["count"].fillna(0) >= needed)
    idx = theme_rows.groupby(["year", "company_id", "industry_id", "respondent_id"]).score.agg(["mean", "count"])
    idx = idx.reset_index()
    idx["score"] = idx["mean"].where(idx["count"] >= math.ceil(len(k) / 2))
    parts = [
        idx.assign(measure_type="index", measure_id="overall")[
            ["year", "company_id", "industry_id", "respondent_id", "measure_type", "measure_id", "score"]
        ],
        theme_rows.assign(measure_type="theme", measure_id=theme_rows.theme_id)[
            ["year", "company_id", "industry_id", "respondent_id", "measure_type", "measure_id", "score"]
        ],
        a.assign(measure_type="item", measure_id=a.item_id, score=a.item_index)[
            ["year", "company_id", "industry_id", "respondent_id", "measure_type", "measure_id", "score"]
        ],
        a[a.item_id == ENPS].assign(measure_type="enps", measure_id="enps", score=lambda f: f.enps)[
            ["year", "company_id", "industry_id", "respondent_id", "measure_type", "measure_id", "score"]
        ],
    ]
    return pd.concat(parts, ignore_index=True)


def _answers_of_measure(a: pd.DataFrame, measure_type: str, measure_id: str) -> pd.DataFrame:
    if measure_type == "index":
        return a[a.theme_id.notna()]
    if measure_type == "theme":
        return a[a.theme_id == measure_id]
    return a[a.item_id == (ENPS if measure_type == "enps" else measure_id)]


def _shares_withheld(group_answers: pd.DataFrame, measure_type: str, measure_id: str) -> bool:
    """A theme's or the index's shares count every item answer in it: withheld where one of the group's item cells
    of the measure is withheld (fewer than MIN_RESPONDENTS valid answers) and holds answers (methodology §11)."""
    if measure_type not in ("theme", "index"):
        return False
    answers = _answers_of_measure(group_answers, measure_type, measure_id)
    valid = answers[~answers.is_dont_know].groupby("item_id").size()
    held = answers.groupby("item_id").size()
    return bool((held.index.to_series().map(valid).fillna(0) < MIN_RESPONDENTS).any())


def _shares(answers: pd.DataFrame, measure_type: str) -> dict[str, float]:
    valid = answers[answers.x.notna()]
    n_valid, n_dk = len(valid), int(answers.is_dont_know.sum())
    if measure_type == "enps":
        fav, neu, unf = (valid.enps == 100).sum(), (valid.enps == 0).sum(), (valid.enps == -100).sum()
    else:
        fav, neu, unf = valid.fav.sum(), valid.neutral.sum(), valid.unfav.sum()
    pct = (lambda c: 100.0 * c / n_valid) if n_valid else (lambda c: np.nan)
    return {
        "favorable_pct": pct(fav),
        "neutral_pct": pct(neu),
        "unfavorable_pct": pct(unf),
        "dont_know_pct": 100.0 * n_dk / (n_valid + n_dk) if n_valid + n_dk else np.nan,
    }


def _scale(survey: Survey, measure_type: str, measure_id: str) -> tuple[float, float] | None:
    items = survey.items
    if measure_type == "item":
        row = items.set_index("item_id").loc[measure_id]
        return row.scale_min, row.scale_max
    if measure_type == "theme":
        of = items[items.theme_id == measure_id]
        if of.scale_min.nunique() == 1 and of.scale_max.nunique() == 1:
            return of.scale_min.iloc[0], of.scale_max.iloc[0]
    return None


def _group_stats(scores: pd.Series, answers: pd.DataFrame, survey, measure_type, measure_id, big_n=None) -> dict:
    s = scores.dropna()
    n = len(s)
    out = {"n_respondents": n, **_shares(answers, measure_type)}
    mean = s.mean() if n else np.nan
    sd = s.std(ddof=1) if n >= 2 else np.nan
    se = sd / math.sqrt(n) if n >= 2 else np.nan
    if big_n is not None and big_n > 1 and big_n >= n and n >= 2:
        se *= math.sqrt((big_n - n) / (big_n - 1))
    half = stats.t.ppf(0.975, n - 1) * se if n >= 2 else np.nan
    scale = _scale(survey, measure_type, measure_id)
    out.update(
        index_0_100=mean,
        sd=sd,
        ci_low=mean - half,
        ci_high=mean + half,
        mean_score=scale[0] + mean * (scale[1] - scale[0]) / 100 if scale and n else np.nan,
    )
    return out


def _close(actual, expected, what: str, tol: float = TOL) -> None:
    a_missing = actual is None or (isinstance(actual, float) and np.isnan(actual)) or pd.isna(actual)
    e_missing = expected is None or pd.isna(expected)
    assert a_missing == e_missing, f"{what}: published {actual!r}, expected {expected!r}"
    if not e_missing:
        assert abs(float(actual) - float(expected)) <= tol * max(1.0, abs(float(expected))), (
            f"{what}: published {actual!r}, expected {expected!r}"
        )


def _tol(column: str) -> float:
    return EXACT_TOL if column.endswith(("ci_low", "ci_high")) else TOL


def _close_p(actual, expected, what: str) -> None:
    """A p-value, to EXACT_TOL relative to itself (a tiny p is as exact as a large one)."""
    assert pd.isna(actual) == pd.isna(expected), f"{what}: published {actual!r}, expected {expected!r}"
    if not pd.isna(expected):
        assert abs(actual - expected) <= EXACT_TOL * expected, f"{what}: published {actual!r}, expected {expected!r}"


VALUES = ["mean_score", "index_0_100", "sd", "ci_low", "ci_high", "favorable_pct", "neutral_pct", "unfavorable_pct",
          "dont_know_pct"]  # fmt: skip
# Benchmark figures that measure the spread between companies: published only over enough companies.
DISTRIBUTION_VALUES = ["ci_low", "ci_high", "index_company_weighted", "company_weighted_ci_low",
                       "company_weighted_ci_high", "p25", "p50", "p75", "p90"]  # fmt: skip


# ---------------------------------------------------------------------------------------------------- checks
def _check_company_scores(survey, a, scores, published) -> None:
    invited = survey.invited.set_index(["year", "company_id"])["invited"]
    for row in published["company_scores"].itertuples():
        key = (row.year, row.company_id, row.measure_type, row.measure_id)
        of = scores[
            (scores.year == row.year) & (scores.company_id == row.company_id)
            & (scores.measure_type == row.measure_type) & (scores.measure_id == row.measure_id)
        ]  # fmt: skip
        ans = _answers_of_measure(
            a[(a.year == row.year) & (a.company_id == row.company_id)], row.measure_type, row.measure_id
        )
        expected = _group_stats(
            of.score, ans, survey, row.measure_type, row.measure_id, invited.get((row.year, row.company_id))
        )
        if expected["n_respondents"] < MIN_RESPONDENTS:
            assert row.suppressed, key
        if row.suppressed:
            assert pd.isna(row.n_respondents) and all(pd.isna(getattr(row, c)) for c in VALUES), key
            continue
        assert row.n_respondents == expected["n_respondents"], key
        group = a[(a.year == row.year) & (a.company_id == row.company_id)]
        withheld = _shares_withheld(group, row.measure_type, row.measure_id)
        for c in VALUES:
            expect = np.nan if withheld and c in SHARES else expected[c]
            _close(getattr(row, c), expect, f"company_scores {key} {c}", _tol(c))
    # every company-year with respondents has its overall index row and (eNPS asked) its eNPS row
    seen = a[["year", "company_id"]].drop_duplicates()
    got = published["company_scores"]
    for year, company in seen.itertuples(index=False):
        mine = got[(got.year == year) & (got.company_id == company)]
        assert {"index", "enps"} <= set(mine.measure_type), (year, company)


def _pooled_companies(cells: pd.DataFrame) -> set:
    """The companies whose cell (respondents with a score in ``cells``) enters the benchmarks."""
    counts = cells.dropna(subset=["score"]).groupby("company_id").size()
    return set(counts[counts >= MIN_RESPONDENTS].index)


def _benchmark_expectations(survey, a, scores, scope, bench_id, year, mt, mid) -> dict:
    in_scope = (scores.year == year) & ((scores.industry_id == bench_id) if scope == "industry" else True)
    of = scores[in_scope & (scores.measure_type == mt) & (scores.measure_id == mid)]
    # a benchmark pools the company cells with at least MIN_RESPONDENTS respondents (methodology §4)
    pooled = _pooled_companies(of)
    of = of[of.company_id.isin(pooled)]
    ans_scope = a[(a.year == year) & ((a.industry_id == bench_id) if scope == "industry" else True)]
    expected = _group_stats(
        of.score, _answers_of_measure(ans_scope[ans_scope.company_id.isin(pooled)], mt, mid), survey, mt, mid
    )
    per_company = of.dropna(subset=["score"]).groupby("company_id").score.agg(["mean", "count"])
    expected["n_companies"] = len(per_company)
    expected["max_share"] = per_company["count"].max() / per_company["count"].sum() if len(per_company) else np.nan
    ranked = per_company[per_company["count"] >= MIN_RESPONDENTS]["mean"]
    expected["n_ranked"] = len(ranked)
    expected["index_company_weighted"] = ranked.mean() if len(ranked) else np.nan
    # Respondents are clustered in companies: the CR1 sandwich variance of an intercept-only model, from each
    # company's sum of residuals, with t on C - 1 df; the company-weighted mean from the spread of company indices.
    valid = of.dropna(subset=["score"])
    residual_sums = (valid.score - valid.score.mean()).groupby(valid.company_id).sum()
    clusters = len(residual_sums)
    half = np.nan
    if clusters >= 2:
        se = math.sqrt(clusters / (clusters - 1) * (residual_sums**2).sum()) / len(valid)
        half = stats.t.ppf(0.975, clusters - 1) * se
    expected["ci_low"], expected["ci_high"] = valid.score.mean() - half, valid.score.mean() + half
    half = np.nan
    if len(ranked) >= 2:
        half = stats.t.ppf(0.975, len(ranked) - 1) * ranked.std(ddof=1) / math.sqrt(len(ranked))
    expected["company_weighted_ci_low"] = expected["index_company_weighted"] - half
    expected["company_weighted_ci_high"] = expected["index_company_weighted"] + half
    for p in (25, 50, 75, 90):
        expected[f"p{p}"] = np.percentile(ranked, p) if len(ranked) else np.nan
    return expected


def _check_benchmarks(survey, a, scores, published) -> None:
    for row in published["benchmarks"].itertuples():
        key = (row.year, row.benchmark_scope, row.benchmark_id, row.measure_type, row.measure_id)
        e = _benchmark_expectations(survey, a, scores, *key[1:3], row.year, row.measure_type, row.measure_id)
        must_suppress = (
            e["n_respondents"] < MIN_RESPONDENTS
            or e["n_companies"] < MIN_COMPANIES
            or e["n_companies"] - COLLUDING < 2  # two companies unknown to any coalition of COLLUDING
            or e["max_share"] > MAX_SHARE
        )
        if must_suppress:
            assert row.suppressed, key
        if row.suppressed:
            assert pd.isna(row.n_respondents) and pd.isna(row.n_companies), key
            continue
        assert row.n_respondents == e["n_respondents"] and row.n_companies == e["n_companies"], key
        for c in VALUES:
            if c in SHARES and pd.isna(getattr(row, c)) and row.measure_type in ("theme", "index"):
                continue  # withheld where a pooled company's item cell of the measure is not pooled (dbt macro)
            if c not in DISTRIBUTION_VALUES:
                _close(getattr(row, c), e[c], f"benchmarks {key} {c}", _tol(c))
        # the distribution of company indices is published only over enough ranked companies (disclosure control):
        # below that it must be withheld, whatever its value would be
        for c in DISTRIBUTION_VALUES:
            if e["n_ranked"] >= MIN_COMPANIES_DISTRIBUTION:
                _close(getattr(row, c), e[c], f"benchmarks {key} {c}", _tol(c))
            else:
                assert pd.isna(getattr(row, c)), f"benchmarks {key} {c} published over {e['n_ranked']} companies"
    heads = published["national_headlines"]
    bench = published["benchmarks"]
    national = bench[bench.benchmark_scope == "national"].set_index(["year", "measure_type", "measure_id"])
    for row in heads.itertuples():
        b = national.loc[(row.year, row.measure_type, row.measure_id)]
        _close(row.index_0_100, b.index_0_100, f"national_headlines {row.year} {row.measure_id}")
        assert row.suppressed == b.suppressed


def _welch_p(x: pd.Series, y: pd.Series) -> float:
    x, y = x.dropna(), y.dropna()
    if len(x) < 2 or len(y) < 2 or x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y) <= 0:
        return np.nan
    return stats.ttest_ind(x, y, equal_var=False).pvalue


def _check_company_vs_benchmark(survey, scores, published) -> None:
    industry = survey.companies.set_index("company_id").industry_id
    for row in published["company_vs_benchmark"].itertuples():
        key = (row.year, row.company_id, row.benchmark_scope, row.measure_type, row.measure_id)
        m = scores[(scores.measure_type == row.measure_type) & (scores.measure_id == row.measure_id)]
        m = m[(m.industry_id == industry[row.company_id])] if row.benchmark_scope == "industry" else m
        year = m[m.year == row.year]
        own = year[year.company_id == row.company_id].score.dropna()
        others = year[year.company_id != row.company_id].dropna(subset=["score"])
        others = others[others.company_id.isin(_pooled_companies(others))]
        per_company = others.groupby("company_id").score.agg(["mean", "count"])
        if len(own) < MIN_RESPONDENTS or len(per_company) < MIN_COMPANIES or len(per_company) - (COLLUDING - 1) < 2:
            assert row.suppressed, key
        if per_company["count"].max() / per_company["count"].sum() > MAX_SHARE if len(per_company) else False:
            assert row.suppressed, key
        if row.suppressed:
            continue
        _close(row.company_index, own.mean(), f"{key} company_index")
        _close(row.benchmark_index, others.score.mean(), f"{key} benchmark_index")
        _close(row.gap, own.mean() - others.score.mean(), f"{key} gap")
        _close_p(row.p_value, _welch_p(own, others.score), f"{key} p_value")
        if not pd.isna(row.p_value):
            assert row.gap_significant == (row.p_value < 0.05)
        ranked = per_company[per_company["count"] >= MIN_RESPONDENTS]["mean"]
        ranked, own_index = ranked.round(TIE_DECIMALS), round(own.mean(), TIE_DECIMALS)
        below = (ranked < own_index).sum() + 0.5 * (ranked == own_index).sum()
        _close(row.percentile_rank, 100 * below / len(ranked) if len(ranked) else np.nan, f"{key} percentile_rank")
        # previous survey year of the company (its cell published: n >= min_respondents)
        company_years = sorted(scores[scores.company_id == row.company_id].year.unique())
        earlier = [y for y in company_years if y < row.year]
        previous = (
            m[(m.company_id == row.company_id) & (m.year == earlier[-1])].score.dropna() if earlier else pd.Series()
        )
        if len(previous) >= MIN_RESPONDENTS:
            _close(row.previous_index, previous.mean(), f"{key} previous_index")
            _close(row.yoy_change, own.mean() - previous.mean(), f"{key} yoy_change")
            _close_p(row.yoy_p_value, _welch_p(own, previous), f"{key} yoy_p_value")
        else:
            assert pd.isna(row.previous_index) and pd.isna(row.yoy_change) and pd.isna(row.yoy_p_value), key


def _check_subgroups(survey, a, scores, published) -> None:
    columns = {"department": "department", "tenure": "tenure_band", "age": "age_band", "role": "role"}
    people = survey.respondents
    for row in published["subgroup_scores"].itertuples():
        key = (row.year, row.company_id, row.breakdown, row.subgroup, row.measure_type, row.measure_id)
        ids = people[
            (people.year == row.year) & (people.company_id == row.company_id)
            & (people[columns[row.breakdown]] == row.subgroup)
        ].respondent_id  # fmt: skip
        of = scores[
            (scores.year == row.year) & scores.respondent_id.isin(ids)
            & (scores.measure_type == row.measure_type) & (scores.measure_id == row.measure_id)
        ]  # fmt: skip
        ans = _answers_of_measure(a[(a.year == row.year) & a.respondent_id.isin(ids)], row.measure_type, row.measure_id)
        e = _group_stats(of.score, ans, survey, row.measure_type, row.measure_id)
        if e["n_respondents"] < MIN_RESPONDENTS:
            assert row.suppressed, key
        assert pd.isna(row.n_respondents) if row.suppressed else row.n_respondents == e["n_respondents"], key
        if not row.suppressed and not (row.measure_type in ("theme", "index") and pd.isna(row.favorable_pct)):
            # a subgroup's theme shares may also be withheld for an item cell withheld by complementary suppression
            for c in VALUES:
                _close(getattr(row, c), e[c], f"subgroup_scores {key} {c}", _tol(c))
        elif not row.suppressed:
            for c in (v for v in VALUES if v not in SHARES):
                _close(getattr(row, c), e[c], f"subgroup_scores {key} {c}", _tol(c))


def _check_answer_distribution(survey, a, published) -> None:
    dist = published["answer_distribution"]
    for (year, scope, scope_id, item_id), cells in dist.groupby(["year", "scope", "scope_id", "item_id"]):
        sel = a[(a.year == year) & (a.item_id == item_id)]
        if scope == "company":
            sel = sel[sel.company_id == scope_id]
        elif scope == "industry":
            sel = sel[sel.industry_id == scope_id]
        if scope != "company":  # industry and national distributions pool the company item cells that enter benchmarks
            valid = sel[~sel.is_dont_know].groupby("company_id").size()
            sel = sel[sel.company_id.isin(valid[valid >= MIN_RESPONDENTS].index)]
        item = survey.items.set_index("item_id").loc[item_id]
        assert len(cells) == item.scale_max - item.scale_min + 2  # every code and the don't-know row
        assert (cells.n_respondents == len(sel)).all() or cells.suppressed.all()
        per_company = sel.groupby("company_id").size()
        if len(sel) < MIN_RESPONDENTS or (
            scope != "company" and (len(per_company) < MIN_COMPANIES or per_company.max() / len(sel) > MAX_SHARE)
        ):
            assert cells.suppressed.all(), (year, scope, scope_id, item_id)
        for cell in cells[~cells.suppressed].itertuples():
            if cell.is_dont_know:
                n = int(sel.is_dont_know.sum())
            else:
                n = int(((sel.answer_value == cell.answer_code) & ~sel.is_dont_know).sum())
            assert cell.n == n, (year, scope, scope_id, item_id, cell.answer_code)
            _close(cell.pct, 100 * n / len(sel), "pct")
            n_valid = int((~sel.is_dont_know).sum())
            _close(cell.pct_valid, np.nan if cell.is_dont_know or not n_valid else 100 * n / n_valid, "pct_valid")


def _check_reliability(survey, a, published) -> None:
    for row in published["theme_reliability"].itertuples():
        items = list(survey.items[survey.items.theme_id == row.theme_id].item_id)
        wide = a[(a.year == row.year) & a.item_id.isin(items)].pivot_table(
            index=["company_id", "respondent_id"], columns="item_id", values="item_index", aggfunc="first"
        )
        complete = wide.reindex(columns=items).dropna()
        assert pd.isna(row.n_complete) if row.suppressed else row.n_complete == len(complete), (row.year, row.theme_id)
        k = len(items)
        total_var = complete.sum(axis=1).var(ddof=1) if len(complete) >= 2 else np.nan
        alpha = (
            k / (k - 1) * (1 - complete.var(ddof=1).sum() / total_var)
            if k >= 2 and len(complete) >= 2 and total_var > 1e-9
            else np.nan
        )
        if len(complete) < MIN_RESPONDENTS:
            assert row.suppressed
        if not row.suppressed:
            _close(row.cronbach_alpha, alpha, f"alpha {row.year} {row.theme_id}", tol=1e-6)


def _check_key_drivers(survey, a, scores, published) -> None:
    index = scores[scores.measure_type == "index"][["year", "company_id", "respondent_id", "score"]]
    pairs = a[a.theme_id.notna() & a.item_index.notna()].merge(index, on=["year", "company_id", "respondent_id"])
    pairs = pairs.dropna(subset=["score"])
    drivers = published["key_drivers"]
    company_counts = pairs.groupby(["year", "company_id", "item_id"]).size()
    expected_company_rows = set(company_counts[company_counts >= KEY_DRIVER_MIN].index)
    got_company_rows = {(r.year, r.scope_id, r.item_id) for r in drivers[drivers.scope == "company"].itertuples()}
    assert got_company_rows == expected_company_rows
    for row in drivers.itertuples():
        sel = pairs[(pairs.year == row.year) & (pairs.item_id == row.item_id)]
        if row.scope == "company":
            sel = sel[sel.company_id == row.scope_id]
        assert pd.isna(row.n_respondents) if row.suppressed else row.n_respondents == len(sel)
        if row.suppressed:
            continue
        r = sel.item_index.corr(sel.score) if sel.item_index.std() > 1e-9 and sel.score.std() > 1e-9 else np.nan
        _close(row.correlation_with_index, r, f"key driver {row.year} {row.scope_id} {row.item_id}", tol=1e-6)
    for (_, _, _), ranked in drivers[~drivers.suppressed].groupby(["year", "scope", "scope_id"]):
        valid = ranked.dropna(subset=["correlation_with_index"])
        expected_rank = valid.correlation_with_index.rank(method="min", ascending=False)
        assert (valid["rank"].astype(int) == expected_rank.astype(int)).all()


def _check_response_rates(survey, a, published) -> None:
    rates = published["response_rates"].set_index(["year", "company_id"])
    counts = a.groupby(["year", "company_id"]).respondent_id.nunique()
    for (year, company), n in counts.items():
        got = rates.loc[(year, company)]
        assert got.suppressed == (n < MIN_RESPONDENTS) and (
            pd.isna(got.n_respondents) if got.suppressed else got.n_respondents == n
        )
    for row in survey.invited.itertuples():
        got = rates.loc[(row.year, row.company_id)]
        n = counts.get((row.year, row.company_id), 0)
        _close(got.response_rate, np.nan if n < MIN_RESPONDENTS else 100 * n / row.invited, "response_rate")


# Random surveys, health checks on; the example count comes from the Hypothesis profile (tests/conftest.py): every
# example is a dbt build. No deadline: a build's time says nothing about the statistics.
@settings(deadline=None)
@given(survey=surveys())
def test_published_figures_match_an_independent_computation(survey: Survey) -> None:
    with tempfile.TemporaryDirectory(prefix="stats_property_") as tmp:
        warehouse = _build(survey, Path(tmp))
        published = _published(warehouse)
    a = _scored(survey)
    scores = _respondent_scores(survey, a)
    _check_company_scores(survey, a, scores, published)
    _check_benchmarks(survey, a, scores, published)
    _check_company_vs_benchmark(survey, scores, published)
    _check_subgroups(survey, a, scores, published)
    _check_answer_distribution(survey, a, published)
    _check_reliability(survey, a, published)
    _check_key_drivers(survey, a, scores, published)
    _check_response_rates(survey, a, published)
    # no respondent-level rows, no respondent identifiers in any published table
    for table in published.values():
        assert "respondent_id" not in table.columns
