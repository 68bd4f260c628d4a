"""Tests for the seeded demo-data generator (orchestration/demo_data.py).

The exports are read back here with plain pandas, independently of the generator's internals.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration import demo_data

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
YEAR_RANGES = {2023: (200, 210), 2024: (250, 275), 2025: (305, 340)}
TARGETS = {"Q14": 3.3, "Q22": 4.0, "Q19": 3.9}
META = ["respondent_id", "company", "department", "tenure_band", "age_band", "role", "submitted_at"]


# ---------------------------------------------------------------- independent reader of the exports
def _label_map() -> dict[str, float]:
    labels = pd.read_csv(SEEDS / "answer_labels.csv", dtype=str, keep_default_na=False)
    return {
        row.label: (np.nan if row.is_dont_know == "true" else float(row.answer_code)) for row in labels.itertuples()
    }


def _read_export(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object, engine="openpyxl")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first = text.splitlines()[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=None if sep == "," else "cp1252")


def _load_year(landing: Path, year: int) -> pd.DataFrame:
    """All respondents of a year: meta columns, company_id, answers as floats (NaN = blank or don't-know),
    and a parallel boolean frame of don't-know cells in ``attrs``."""
    companies = pd.read_csv(SEEDS / "companies.csv", dtype=str)
    to_id = {
        **dict(zip(companies.company_id, companies.company_id, strict=True)),
        **dict(zip(companies.company_name, companies.company_id, strict=True)),
    }
    crosswalk = pd.read_csv(SEEDS / "item_crosswalk.csv", dtype=str)
    rename = {r.source_column: r.item_id for r in crosswalk.itertuples() if int(r.year) == year}
    labels = _label_map()
    frames = []
    for path in sorted((landing / str(year)).iterdir()):
        df = _read_export(path).rename(columns=rename)
        df["company_id"] = df["company"].map(to_id)
        df["file"] = path.name
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    items = [c for c in df.columns if re.fullmatch(r"Q\d\d", c)]

    def to_value(cell: object) -> float:
        if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell == "":
            return np.nan
        if isinstance(cell, int | float):
            return float(cell)
        s = str(cell).strip()
        if s in labels:
            return labels[s]
        return float(s)

    def is_dk(cell: object) -> bool:
        return isinstance(cell, str) and cell.strip() in labels and np.isnan(labels[cell.strip()])

    values = df[items].map(to_value).astype(float)
    dk = df[items].map(is_dk)
    out = pd.concat([df[[*META, "company_id", "file"]], values], axis=1)
    out.attrs["dont_know"] = dk
    out.attrs["items"] = items
    return out


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    demo_data.write_demo_landing(landing, years=(2023, 2024, 2025), seed=2023)
    return landing


@pytest.fixture(scope="module")
def years(demo_landing: Path) -> dict[int, pd.DataFrame]:
    return {y: _load_year(demo_landing, y) for y in (2023, 2024, 2025)}


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- tests
def test_same_seed_gives_byte_identical_files(demo_landing: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    demo_data.write_demo_landing(again, years=(2023, 2024, 2025), seed=2023)
    assert _digest(demo_landing) == _digest(again)
    other = tmp_path / "other"
    demo_data.write_demo_landing(other, years=(2023,), seed=7)
    assert _digest(other)["2023/fjelltele.csv"] != _digest(demo_landing)["2023/fjelltele.csv"]


def test_year_does_not_depend_on_other_years(demo_landing: Path, tmp_path: Path) -> None:
    demo_data.write_demo_landing(tmp_path, years=(2024,), seed=2023)
    full = {k: v for k, v in _digest(demo_landing).items() if k.startswith("2024/")}
    assert _digest(tmp_path) == full


def test_files_and_formats(demo_landing: Path, years: dict[int, pd.DataFrame]) -> None:
    companies = pd.read_csv(SEEDS / "companies.csv", dtype=str)
    for year in (2023, 2024, 2025):
        files = sorted(p.name for p in (demo_landing / str(year)).iterdir())
        assert sorted(Path(f).stem for f in files) == sorted(companies.company_id)
        assert sum(f.endswith(".xlsx") for f in files) >= 2
        semicolon = []
        for path in (demo_landing / str(year)).glob("*.csv"):
            raw = path.read_bytes()
            if b";" in raw.splitlines()[0]:
                semicolon.append(path)
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")  # Windows-1252 with æøå in it
                assert "I svært stor grad".encode("cp1252") in raw or "I stor grad".encode("cp1252") in raw
        assert len(semicolon) >= 2
        df = years[year]
        assert df["company_id"].notna().all(), "every company resolves by id or name"
        assert (df["company"] == "Bølge Mobil").any()
        assert (df["company"] != df["company_id"]).any() and (df["company"] == df["company_id"]).any()
        q18 = "Q18a" if year == 2023 else "Q18"
        header = pd.read_csv(demo_landing / str(year) / "fjelltele.csv", nrows=0).columns.tolist()
        assert header[: len(META)] == META
        assert q18 in header and len(header) == len(META) + len(pd.read_csv(SEEDS / "items.csv"))


def test_respondents(years: dict[int, pd.DataFrame]) -> None:
    for year, df in years.items():
        lo, hi = YEAR_RANGES[year]
        assert lo <= len(df) <= hi, (year, len(df))
        assert df["respondent_id"].is_unique
        assert df["respondent_id"].str.fullmatch(rf"r-{year}-\d{{4}}").all()
        sizes = df["company_id"].value_counts()
        assert sizes["aerlig_reise"] < 5
        assert len(sizes) == 12 and sizes.max() >= 3 * sizes.drop("aerlig_reise").min()
        ts = pd.to_datetime(df["submitted_at"], format="%Y-%m-%dT%H:%M:%S")
        assert ts.dt.year.eq(year).all() and ts.dt.month.isin([3, 4]).all()
        assert set(df["tenure_band"]) <= {"<1", "1-3", "3-5", "5+"}
        assert set(df["age_band"]) <= {"<25", "25-34", "35-49", "50+"}
        assert df["role"].isin(["Rådgiver", "Seniorrådgiver", "Fagansvarlig", "Teamleder"]).all()
        depts = df.groupby("company_id")["department"].nunique()
        assert depts.drop("aerlig_reise").between(2, 4).all() and depts.max() <= 4


def test_values_in_range_and_missingness(years: dict[int, pd.DataFrame]) -> None:
    for df in years.values():
        items = df.attrs["items"]
        scales = pd.read_csv(SEEDS / "items.csv").set_index("item_id")
        for item in items:  # every answer on its item's own scale (1-6; the eNPS item Q25 0-10)
            present = df[item].dropna()
            assert present.between(scales.scale_min[item], scales.scale_max[item]).all(), item
        enps = df["Q25"].dropna()
        assert enps.min() <= 6 and enps.max() >= 9  # detractors and promoters both occur
        assert np.corrcoef(enps, df.loc[enps.index, "Q01"].fillna(df["Q01"].mean()))[0, 1] > 0.2  # follows the level
        items = [item for item in items if scales.scale_max[item] == 6]
        values = df[items].to_numpy()
        present = values[~np.isnan(values)]
        assert np.isin(present, [1, 2, 3, 4, 5, 6]).all()
        dk = df.attrs["dont_know"][items]
        dk_share = dk.to_numpy().mean()
        assert 0.015 <= dk_share <= 0.05, dk_share
        assert dk["Q18"].mean() > 2 * dk.drop(columns="Q18").to_numpy().mean()
        answered = ~np.isnan(values) | dk.to_numpy()
        # partly answered: some trailing blanks, last item unanswered
        partial = ~answered[:, -1] & answered[:, 0]
        assert 0.03 <= partial.mean() <= 0.15, partial.mean()


def test_2023_national_means(years: dict[int, pd.DataFrame]) -> None:
    """The national means the release publishes (over the companies with at least 5 valid answers, the ones that
    enter the benchmarks) are the 2023 edition's printed 3.3, 4.0 and 3.9, to the second decimal."""
    df = years[2023]
    for item, target in TARGETS.items():
        valid = df.dropna(subset=[item])  # blank and don't-know skipped
        pooled = valid[valid.groupby("company_id")[item].transform("size") >= 5]
        mean = pooled[item].mean()
        assert abs(mean - target) < 0.005, (item, mean)


def test_answers_are_correlated_and_reverse_coded(years: dict[int, pd.DataFrame]) -> None:
    df = years[2023]
    positive = df[["Q01", "Q02", "Q04", "Q05"]].mean(axis=1)
    assert df["Q01"].corr(df["Q02"]) > 0.3
    assert df["Q03"].corr(positive) < -0.2  # raw reverse-coded answers are low for engaged people
    assert df["Q21"].corr(df[["Q19", "Q20"]].mean(axis=1)) < -0.1
    company_means = df.groupby("company_id")[["Q01", "Q04", "Q11"]].mean().mean(axis=1)
    assert company_means.drop("aerlig_reise").max() - company_means.drop("aerlig_reise").min() > 0.3


def test_committed_headcount_equals_generator_output() -> None:
    committed = (SEEDS / "invited_headcount.csv").read_text(encoding="utf-8")
    assert committed == demo_data.headcount_csv()


def test_headcount_covers_respondents(years: dict[int, pd.DataFrame]) -> None:
    hc = demo_data.invited_headcount()
    for year, df in years.items():
        n = df["company_id"].value_counts()
        invited = hc[hc["year"] == year].set_index("company_id")["invited"]
        rate = n.reindex(invited.index) / invited
        assert rate.between(0.55, 0.95).all(), rate


def test_synthetic_year_writes_exactly_n(tmp_path: Path) -> None:
    paths = demo_data.write_synthetic_year(tmp_path, 2025, 5000, seed=11)
    assert all(p.suffix == ".csv" and p.parent == tmp_path / "2025" for p in paths)
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths]
    df = pd.concat(frames, ignore_index=True)
    assert len(df) == 5000 and df["respondent_id"].is_unique
    assert df["company"].nunique() == 12
    assert list(df.columns[: len(META)]) == META and "Q18" in df.columns
    again = tmp_path / "again"
    demo_data.write_synthetic_year(again, 2025, 5000, seed=11)
    assert _digest(tmp_path / "2025") == _digest(again / "2025")


def test_cli(tmp_path: Path) -> None:
    assert demo_data.main(["--landing", str(tmp_path), "--years", "2024", "--respondents", "321"]) == 0
    n = sum(len(pd.read_csv(p, dtype=str)) for p in (tmp_path / "2024").glob("*.csv"))
    assert n == 321
    headcount = tmp_path / "hc.csv"
    assert demo_data.main(["--write-headcount", str(headcount)]) == 0
    assert headcount.read_text(encoding="utf-8") == demo_data.headcount_csv()
