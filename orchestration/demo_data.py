"""Seeded, deterministic demo data: raw survey exports for the landing folder.

The generator writes one export per company and survey year into ``<landing>/<year>/`` the way survey tools
write them (canonical comma CSV with numeric codes, semicolon/Windows-1252 CSV with Norwegian answer labels, and
``.xlsx``), plus the invited headcount seed ``seeds/invited_headcount.csv``.

Answers follow a simple measurement model::

    y[i, j] = offset[j] + loading[j] * (theta[i] + company/department/role/tenure effects + year trend)
              + theme factor[i, theme(j)] + company x theme effect + noise

cut into the 1-6 scale. Items without a theme (the 0-10 "would recommend" item Q25, for eNPS) are drawn after
everything else, from the same random stream, as ``7 + 1.6 * level + noise`` cut into 0-10, so adding them left
the answers to the 1-6 items unchanged. For reverse-coded items (Q03, Q21) ``y`` is the *reverse-scored* value,
so the raw code written to the export is ``7 - code``. Item offsets for Q14, Q22 and Q19 are calibrated
(deterministically, on the seeded 2023 draw) so that the pooled 2023 national means of the raw codes hit fixed
targets.

CLI::

    python -m orchestration.demo_data --landing data/landing [--years 2023 2024 2025] [--seed 2023]
    python -m orchestration.demo_data --landing DIR --years 2025 --respondents 100000   # bench mode
    python -m orchestration.demo_data --write-headcount                                # seeds/invited_headcount.csv
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.settings import REPO_ROOT, SEEDS_DIR, threshold_defaults

HEADCOUNT_PATH = SEEDS_DIR / "invited_headcount.csv"

DEFAULT_YEARS: tuple[int, ...] = (2023, 2024, 2025)
DEFAULT_SEED = 2023
BASE_YEAR = 2023

#: Pooled 2023 national means (raw codes, valid answers only) the generator is calibrated to.
CALIBRATION_TARGETS: dict[str, float] = {"Q14": 3.3, "Q22": 4.0, "Q19": 3.9}
CALIBRATION_TOLERANCE = 0.02

DONT_KNOW_LABEL = "Vet ikke"
META_COLUMNS = ["respondent_id", "company", "department", "tenure_band", "age_band", "role", "submitted_at"]

# Relative company sizes (uneven on purpose); companies not listed get _DEFAULT_WEIGHT.
_SIZE_WEIGHTS: dict[str, float] = {
    "nordlys_bank": 0.19,
    "fjord_sparebank": 0.05,
    "kyst_sparebank": 0.035,
    "trygg_forsikring": 0.14,
    "vern_forsikring": 0.06,
    "fjelltele": 0.14,
    "bolge_mobil": 0.08,
    "signal_norge": 0.045,
    "vasskraft_ost": 0.06,
    "stromnett_energi": 0.05,
    "nordreiser": 0.10,
    "aerlig_reise": 0.015,
}
_DEFAULT_WEIGHT = 0.06
#: Always fewer than five respondents in the demo (tests suppression).
TINY_COMPANY = "aerlig_reise"

# Export format per company: "csv" canonical, "cp1252" semicolon + labels, "xlsx".
_FORMATS: dict[str, str] = {
    "bolge_mobil": "cp1252",
    "vasskraft_ost": "cp1252",
    "kyst_sparebank": "cp1252",
    "nordlys_bank": "xlsx",
    "signal_norge": "xlsx",
}
# Companies whose exports name the company (rather than giving its id). cp1252 and xlsx exports always use names.
_BY_NAME = {"stromnett_energi", "aerlig_reise", "fjelltele", "trygg_forsikring"}

_DEPARTMENTS_BY_INDUSTRY: dict[str, list[str]] = {
    "bank": ["Kundeservice", "Bedriftsmarked", "Privatmarked", "Kort og betaling"],
    "insurance": ["Kundeservice", "Skade", "Bedriftsmarked", "Salg"],
    "telecom": ["Kundeservice", "Teknisk support", "Bedriftsmarked", "Fakturering"],
    "power": ["Kundeservice", "Fakturering", "Flytting og avtaler", "Bedriftsmarked"],
    "travel": ["Kundeservice", "Booking", "Gruppereiser", "Endringer og refusjon"],
}
_DEFAULT_DEPARTMENTS = ["Kundeservice", "Bedriftsmarked", "Teknisk support", "Salg"]

_ROLES = np.array(["Rådgiver", "Seniorrådgiver", "Fagansvarlig", "Teamleder"])
_ROLE_P = np.array([0.68, 0.15, 0.08, 0.09])
_ROLE_EFFECT = np.array([0.0, 0.05, 0.15, 0.30])
_TENURE = np.array(["<1", "1-3", "3-5", "5+"])
_TENURE_P = np.array([0.16, 0.34, 0.24, 0.26])
_TENURE_EFFECT = np.array([0.20, 0.0, -0.12, 0.02])
_AGE = np.array(["<25", "25-34", "35-49", "50+"])
_AGE_P = np.array([0.17, 0.36, 0.30, 0.17])

# Default item offsets: roughly the mean (reverse-scored for Q03/Q21) of an average respondent.
_DEFAULT_OFFSETS: dict[str, float] = {
    "Q01": 4.5, "Q02": 4.2, "Q03": 3.6, "Q04": 4.4, "Q05": 4.1, "Q06": 4.0,
    "Q07": 4.9, "Q08": 4.3, "Q09": 3.5, "Q10": 4.2, "Q11": 4.7, "Q12": 4.0,
    "Q13": 4.1, "Q14": 3.3, "Q15": 3.7, "Q16": 3.6, "Q17": 4.0, "Q18": 3.4,
    "Q19": 3.9, "Q20": 3.8, "Q21": 3.7, "Q22": 4.0, "Q23": 3.9, "Q24": 3.6,
}  # fmt: skip
_DONT_KNOW_P: dict[str, float] = {"Q18": 0.12, "Q09": 0.05, "Q12": 0.04}
_DEFAULT_DONT_KNOW_P = 0.025
_PARTIAL_P = 0.08
_SKIP_P = 0.005
_YEAR_TREND = 0.05
_ITEM_TREND: dict[str, float] = {"Q18": 0.15, "Q16": 0.05}
_NOISE_SD = 0.75
_THEME_SD = 0.45


# --------------------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """The questionnaire and participants, read from ``seeds/``."""

    companies: pd.DataFrame  # company_id, company_name, industry_id
    items: pd.DataFrame  # item_id, theme_id, scale_min, scale_max, reverse_coded, first_year, last_year
    crosswalk: pd.DataFrame  # year, source_column, item_id
    labels_nb: dict[int, str]  # answer code -> Norwegian label

    def items_for_year(self, year: int) -> pd.DataFrame:
        first = self.items["first_year"].fillna(-1)
        last = self.items["last_year"].fillna(10_000)
        return self.items[(first <= year) & (last >= year)].reset_index(drop=True)

    def source_columns(self, year: int) -> dict[str, str]:
        """item_id -> export column name in ``year`` (the item id unless the crosswalk says otherwise)."""
        cw = self.crosswalk[self.crosswalk["year"] == year]
        renamed = dict(zip(cw["item_id"], cw["source_column"], strict=True))
        return {item: renamed.get(item, item) for item in self.items_for_year(year)["item_id"]}


def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    seeds_dir = Path(seeds_dir)
    companies = pd.read_csv(seeds_dir / "companies.csv", dtype=str, encoding="utf-8")
    items = pd.read_csv(seeds_dir / "items.csv", encoding="utf-8").sort_values("sort_order")
    items["reverse_coded"] = items["reverse_coded"].astype(str).str.lower().eq("true")
    crosswalk = pd.read_csv(seeds_dir / "item_crosswalk.csv", dtype={"year": int, "source_column": str})
    labels = pd.read_csv(seeds_dir / "answer_labels.csv", dtype=str, encoding="utf-8")
    nb = labels[(labels["language"] == "nb") & (labels["is_dont_know"].str.lower() == "false")]
    labels_nb = {int(code): label for code, label in zip(nb["answer_code"], nb["label"], strict=True)}
    return Reference(
        companies=companies.reset_index(drop=True),
        items=items.reset_index(drop=True),
        crosswalk=crosswalk,
        labels_nb=labels_nb,
    )


# --------------------------------------------------------------------------------------------------------------
# Randomness: one independent stream per (seed, year, purpose), so a year's data do not depend on which other
# years are generated.
# --------------------------------------------------------------------------------------------------------------
_STREAM_COMPANY, _STREAM_COUNTS, _STREAM_DRAW, _STREAM_HEADCOUNT, _STREAM_SYNTHETIC = 1, 2, 3, 4, 5


def _rng(seed: int, year: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(year), stream])


@dataclass(frozen=True)
class CompanyParams:
    """Per-company parameters, fixed across years for a seed."""

    company_ids: list[str]
    names: list[str]
    effect: np.ndarray  # (n_companies,)
    theme_effect: np.ndarray  # (n_companies, n_themes)
    departments: list[list[str]]
    department_p: list[np.ndarray]
    department_effect: list[np.ndarray]
    weights: np.ndarray  # (n_companies,) relative size


def company_params(ref: Reference, seed: int) -> CompanyParams:
    rng = _rng(seed, 0, _STREAM_COMPANY)
    comps = ref.companies
    n = len(comps)
    n_themes = ref.items["theme_id"].nunique()
    industries = sorted(comps["industry_id"].unique())
    industry_effect = dict(zip(industries, rng.normal(0.0, 0.15, len(industries)), strict=True))
    effect = np.array([industry_effect[i] for i in comps["industry_id"]]) + rng.normal(0.0, 0.25, n)
    theme_effect = rng.normal(0.0, 0.18, (n, n_themes))
    departments, department_p, department_effect = [], [], []
    for industry in comps["industry_id"]:
        pool = _DEPARTMENTS_BY_INDUSTRY.get(industry, _DEFAULT_DEPARTMENTS)
        k = int(rng.integers(2, 5))
        # Kundeservice always first (the largest); the rest picked from the pool
        rest = [str(d) for d in rng.permutation(pool[1:])][: k - 1]
        depts = [pool[0], *sorted(rest)]
        p = rng.dirichlet(np.full(k, 2.0))
        p[0] += 0.5
        departments.append(depts)
        department_p.append(p / p.sum())
        department_effect.append(rng.normal(0.0, 0.15, k))
    weights = np.array([_SIZE_WEIGHTS.get(c, _DEFAULT_WEIGHT) for c in comps["company_id"]])
    return CompanyParams(
        company_ids=list(comps["company_id"]),
        names=list(comps["company_name"]),
        effect=effect,
        theme_effect=theme_effect,
        departments=departments,
        department_p=department_p,
        department_effect=department_effect,
        weights=weights / weights.sum(),
    )


def _largest_remainder(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Integer allocation of ``total`` proportional to ``weights`` (each at least ``minimum``), summing exactly."""
    weights = np.asarray(weights, dtype=float)
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError(f"cannot allocate {total} with minimum {minimum} over {len(weights)} groups")
    quota = rest * weights / weights.sum()
    alloc = np.floor(quota).astype(np.int64)
    remainder = rest - alloc.sum()
    order = np.argsort(-(quota - alloc), kind="stable")
    alloc[order[:remainder]] += 1
    return base + alloc


def target_total(year: int) -> int:
    """Demo size: about 205 respondents in 2023, growing by about 58 a year."""
    return max(60, 205 + 58 * (year - BASE_YEAR))


def respondent_counts(year: int, seed: int = DEFAULT_SEED, ref: Reference | None = None) -> dict[str, int]:
    """Respondents per company in the demo for ``year`` (``aerlig_reise`` always 3 or 4)."""
    ref = ref or load_reference()
    params = company_params(ref, seed)
    rng = _rng(seed, year, _STREAM_COUNTS)
    total = target_total(year) + int(rng.integers(-3, 4))
    growth = np.exp(rng.normal(0.0, 0.12, len(params.company_ids)))
    weights = params.weights * growth
    counts = np.zeros(len(params.company_ids), dtype=np.int64)
    tiny = [i for i, c in enumerate(params.company_ids) if c == TINY_COMPANY]
    others = np.array([i for i in range(len(params.company_ids)) if i not in tiny])
    for i in tiny:
        counts[i] = 3 + int(rng.integers(0, 2))
    counts[others] = _largest_remainder(total - counts.sum(), weights[others], minimum=6)
    return dict(zip(params.company_ids, counts.tolist(), strict=True))


# --------------------------------------------------------------------------------------------------------------
# Drawing answers
# --------------------------------------------------------------------------------------------------------------
@dataclass
class YearDraw:
    """All random parts of one year's responses; the codes follow from these and the item offsets."""

    year: int
    item_ids: list[str]
    reverse: np.ndarray  # (n_items,) bool
    company_idx: np.ndarray  # (n,)
    department: np.ndarray  # (n,) str
    tenure_band: np.ndarray
    age_band: np.ndarray
    role: np.ndarray
    submitted_at: np.ndarray  # (n,) str, ISO
    respondent_id: np.ndarray  # (n,) str
    latent: np.ndarray  # (n, n_items): everything except the item offset
    dont_know: np.ndarray  # (n, n_items) bool
    blank: np.ndarray  # (n, n_items) bool
    # theme-less items on their own scale (the 0-10 eNPS item): raw codes, don't-know and blank masks
    extra_item_ids: list[str] = field(default_factory=list)
    extra_codes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    extra_dont_know: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    extra_blank: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))


def _draw_year(
    ref: Reference, params: CompanyParams, year: int, counts: Sequence[int], rng: np.random.Generator
) -> YearDraw:
    asked = ref.items_for_year(year)
    items = asked[asked["theme_id"].notna()].reset_index(drop=True)  # the 1-6 items of the measurement model
    extra = asked[asked["theme_id"].isna()].reset_index(drop=True)  # theme-less items (eNPS), drawn last
    item_ids = list(items["item_id"])
    n_items = len(item_ids)
    themes = sorted(ref.items["theme_id"].dropna().unique())
    theme_idx = np.array([themes.index(t) for t in items["theme_id"]])
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    company_idx = np.repeat(np.arange(len(counts)), counts)

    # demographics
    department = np.empty(n, dtype=object)
    department_effect = np.zeros(n)
    u_dept = rng.random(n)
    for k in range(len(counts)):
        mask = company_idx == k
        cum = np.cumsum(params.department_p[k])
        d = np.minimum(np.searchsorted(cum, u_dept[mask], side="right"), len(cum) - 1)
        department[mask] = np.array(params.departments[k], dtype=object)[d]
        department_effect[mask] = params.department_effect[k][d]
    role_i = rng.choice(len(_ROLES), size=n, p=_ROLE_P)
    tenure_i = rng.choice(len(_TENURE), size=n, p=_TENURE_P)
    age_i = rng.choice(len(_AGE), size=n, p=_AGE_P)

    # submitted on a day from 1 March to 30 April, mostly in working hours; local time, no time zone
    start = np.datetime64(f"{year}-03-01T00:00:00", "s")
    n_days = int((np.datetime64(f"{year}-05-01") - np.datetime64(f"{year}-03-01")).astype(np.int64))
    day = rng.integers(0, n_days, n)
    second = np.clip(rng.normal(12.5 * 3600, 2.5 * 3600, n), 7 * 3600, 21 * 3600).astype(np.int64)
    submitted = start + (day * 86_400 + second).astype("timedelta64[s]")

    # latent model
    theta = rng.normal(0.0, 1.0, n)
    theme_factor = rng.normal(0.0, _THEME_SD, (n, len(themes)))
    loading = rng.uniform(0.75, 1.15, n_items)
    noise = rng.normal(0.0, _NOISE_SD, (n, n_items))
    company_drift = rng.normal(0.0, 0.08, len(counts))  # company x year
    level = (
        theta
        + params.effect[company_idx]
        + company_drift[company_idx]
        + department_effect
        + _ROLE_EFFECT[role_i]
        + _TENURE_EFFECT[tenure_i]
        + _YEAR_TREND * (year - BASE_YEAR)
    )
    item_trend = np.array([_ITEM_TREND.get(i, 0.0) for i in item_ids]) * (year - BASE_YEAR)
    latent = (
        level[:, None] * loading[None, :]
        + theme_factor[:, theme_idx]
        + params.theme_effect[company_idx][:, theme_idx]
        + item_trend[None, :]
        + noise
    )

    # missingness: don't-know, sporadic skips, and partial responses (trailing blanks)
    dk_p = np.array([_DONT_KNOW_P.get(i, _DEFAULT_DONT_KNOW_P) for i in item_ids])
    dont_know = rng.random((n, n_items)) < dk_p[None, :]
    blank = rng.random((n, n_items)) < _SKIP_P
    partial = np.zeros(n, dtype=bool)  # exactly ~8% of respondents, not merely 8% in expectation
    partial[rng.choice(n, size=int(round(_PARTIAL_P * n)), replace=False)] = True
    stop = rng.integers(max(1, n_items // 6), max(2, n_items - 3), n)
    trailing = partial[:, None] & (np.arange(n_items)[None, :] >= stop[:, None])
    blank |= trailing
    dont_know &= ~blank

    # theme-less 0-10 items (eNPS): drawn after everything above, so the 1-6 answers do not depend on them;
    # blank for respondents who stopped before the end, don't-know now and then
    extra_codes = np.zeros((n, len(extra)), dtype=np.int64)
    extra_dont_know = np.zeros((n, len(extra)), dtype=bool)
    extra_blank = np.zeros((n, len(extra)), dtype=bool)
    for j, item in enumerate(extra.itertuples()):
        y = 7.0 + 1.6 * level + rng.normal(0.0, 1.5, n)
        extra_codes[:, j] = np.clip(np.floor(y + 0.5), item.scale_min, item.scale_max).astype(np.int64)
        extra_dont_know[:, j] = rng.random(n) < _DEFAULT_DONT_KNOW_P
        extra_blank[:, j] = blank[:, -1] if n_items else False
        extra_dont_know[:, j] &= ~extra_blank[:, j]

    # ids in order of submission
    order = np.argsort(submitted, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    width = max(4, len(str(n)))
    respondent_id = np.char.add(f"r-{year}-", np.char.zfill(rank.astype(str), width)).astype(object)

    return YearDraw(
        year=year,
        item_ids=item_ids,
        reverse=items["reverse_coded"].to_numpy(dtype=bool),
        company_idx=company_idx,
        department=department,
        tenure_band=_TENURE[tenure_i].astype(object),
        age_band=_AGE[age_i].astype(object),
        role=_ROLES[role_i].astype(object),
        submitted_at=np.datetime_as_string(submitted, unit="s").astype(object),
        respondent_id=respondent_id,
        latent=latent,
        dont_know=dont_know,
        blank=blank,
        extra_item_ids=list(extra["item_id"]),
        extra_codes=extra_codes,
        extra_dont_know=extra_dont_know,
        extra_blank=extra_blank,
    )


def _cut(values: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(values + 0.5), 1, 6).astype(np.int64)


def answer_codes(draw: YearDraw, offsets: dict[str, float]) -> np.ndarray:
    """Raw answer codes (n, n_items) as written to the export; 0 where don't-know or blank."""
    b = np.array([offsets.get(i, 4.0) for i in draw.item_ids])
    scored = _cut(draw.latent + b[None, :])
    raw = np.where(draw.reverse[None, :], 7 - scored, scored)
    return np.where(draw.dont_know | draw.blank, 0, raw)


def _valid_mean(draw: YearDraw, j: int, offset: float) -> float:
    """The national mean the release publishes: valid answers of the companies whose item cell enters the benchmarks
    (at least min_respondents valid answers; methodology §4)."""
    valid = ~(draw.dont_know[:, j] | draw.blank[:, j])
    per_company = np.bincount(draw.company_idx[valid], minlength=draw.company_idx.max() + 1)
    valid &= per_company[draw.company_idx] >= int(threshold_defaults()["min_respondents"])
    scored = _cut(draw.latent[valid, j] + offset)
    raw = 7 - scored if draw.reverse[j] else scored
    return float(raw.mean())


def _calibrate(draw: YearDraw, targets: dict[str, float]) -> dict[str, float]:
    """Item offsets whose pooled valid-answer mean on ``draw`` is as close as possible to the targets.

    The mean is a monotone step function of the offset (the draw's randomness is fixed), so bisection converges to
    the step nearest the target; the result is then within about 1/n of it.
    """
    offsets = dict(_DEFAULT_OFFSETS)
    for item, target in targets.items():
        if item not in draw.item_ids:
            continue
        j = draw.item_ids.index(item)
        sign = -1.0 if draw.reverse[j] else 1.0
        lo, hi = -4.0, 12.0
        best, best_err = offsets.get(item, 4.0), np.inf
        for _ in range(60):
            mid = (lo + hi) / 2
            m = _valid_mean(draw, j, mid)
            err = abs(m - target)
            if err < best_err:
                best, best_err = mid, err
            if sign * (m - target) < 0:
                lo = mid
            else:
                hi = mid
        offsets[item] = round(best, 6)
    return offsets


def calibrated_offsets(seed: int = DEFAULT_SEED, ref: Reference | None = None) -> dict[str, float]:
    """Item offsets for ``seed``: defaults, with the calibration items fitted on the seeded 2023 demo draw."""
    ref = ref or load_reference()
    params = company_params(ref, seed)
    draw = _demo_draw(ref, params, BASE_YEAR, seed)
    return _calibrate(draw, CALIBRATION_TARGETS)


def _demo_draw(ref: Reference, params: CompanyParams, year: int, seed: int) -> YearDraw:
    counts = respondent_counts(year, seed, ref)
    return _draw_year(ref, params, year, [counts[c] for c in params.company_ids], _rng(seed, year, _STREAM_DRAW))


# --------------------------------------------------------------------------------------------------------------
# Writing exports
# --------------------------------------------------------------------------------------------------------------
def _answer_strings(codes: np.ndarray, dont_know: np.ndarray, labels: dict[int, str] | None) -> np.ndarray:
    """Cell text: numeric code (or label), ``Vet ikke`` for don't-know, empty for blank."""
    if labels is None:
        table = np.array([""] + [str(c) for c in range(1, 7)], dtype=object)
    else:
        table = np.array([""] + [labels[c] for c in range(1, 7)], dtype=object)
    out = table[codes]
    out[dont_know] = DONT_KNOW_LABEL
    return out


def _frame(
    draw: YearDraw, codes: np.ndarray, rows: np.ndarray, company: str, columns: dict[str, str], labels=None
) -> pd.DataFrame:
    order = rows[np.argsort(draw.respondent_id[rows], kind="stable")]
    data: dict[str, np.ndarray] = {
        "respondent_id": draw.respondent_id[order],
        "company": np.full(len(order), company, dtype=object),
        "department": draw.department[order],
        "tenure_band": draw.tenure_band[order],
        "age_band": draw.age_band[order],
        "role": draw.role[order],
        "submitted_at": draw.submitted_at[order],
    }
    cells = _answer_strings(codes[order], draw.dont_know[order], labels)
    for j, item in enumerate(draw.item_ids):
        data[columns[item]] = cells[:, j]
    for j, item in enumerate(draw.extra_item_ids):  # 0-10 answers are numbers in every format (no labels)
        extra = draw.extra_codes[order, j].astype(str).astype(object)
        extra[draw.extra_blank[order, j]] = ""
        extra[draw.extra_dont_know[order, j]] = DONT_KNOW_LABEL
        data[columns[item]] = extra
    return pd.DataFrame(data)


_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _write_xlsx(frame: pd.DataFrame, path: Path, year: int) -> None:
    """Write ``frame`` with openpyxl: codes as numbers, labels as text, blank cells empty; byte-reproducible."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Svar"
    ws.append(list(frame.columns))
    item_cols = set(frame.columns) - set(META_COLUMNS)
    cols = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        out = []
        for col, value in zip(cols, row, strict=True):
            if value == "":
                out.append(None)
            elif col in item_cols and value.isdigit():
                out.append(int(value))
            else:
                out.append(value)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the save time into docProps/core.xml and the zip entries: pin both.
    stamp = f"{year}-05-01T00:00:00Z"
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{stamp}\g<3>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)


def _write_exports(
    ref: Reference,
    params: CompanyParams,
    draw: YearDraw,
    codes: np.ndarray,
    landing_dir: Path,
    formats: dict[str, str] | None = None,
) -> list[Path]:
    year_dir = Path(landing_dir) / str(draw.year)
    year_dir.mkdir(parents=True, exist_ok=True)
    columns = ref.source_columns(draw.year)
    written: list[Path] = []
    # group rows by company once (stable)
    order = np.argsort(draw.company_idx, kind="stable")
    bounds = np.searchsorted(draw.company_idx[order], np.arange(len(params.company_ids) + 1))
    for k, company_id in enumerate(params.company_ids):
        rows = order[bounds[k] : bounds[k + 1]]
        if len(rows) == 0:
            continue
        fmt = (formats or {}).get(company_id, "csv")
        by_name = fmt != "csv" or company_id in _BY_NAME
        company = params.names[k] if by_name else company_id
        if fmt == "cp1252":
            frame = _frame(draw, codes, rows, company, columns, labels=ref.labels_nb)
            path = year_dir / f"{company_id}.csv"
            frame.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
        elif fmt == "xlsx":
            frame = _frame(draw, codes, rows, company, columns)
            path = year_dir / f"{company_id}.xlsx"
            _write_xlsx(frame, path, draw.year)
        else:
            frame = _frame(draw, codes, rows, company, columns)
            path = year_dir / f"{company_id}.csv"
            frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        written.append(path)
    return written


def write_demo_landing(
    landing_dir: Path,
    years: Iterable[int] = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    seeds_dir: Path = SEEDS_DIR,
) -> list[Path]:
    """Write the demo exports (one file per company per year) into ``<landing_dir>/<year>/``.

    Existing files of the same name are overwritten; other files are left alone. Returns the written paths.
    """
    ref = load_reference(seeds_dir)
    params = company_params(ref, seed)
    offsets = calibrated_offsets(seed, ref)
    written: list[Path] = []
    for year in years:
        draw = _demo_draw(ref, params, int(year), seed)
        written += _write_exports(ref, params, draw, answer_codes(draw, offsets), Path(landing_dir), _FORMATS)
    return written


def write_synthetic_year(
    landing_dir: Path,
    year: int,
    n_respondents: int,
    seed: int = DEFAULT_SEED,
    seeds_dir: Path = SEEDS_DIR,
) -> list[Path]:
    """Bench mode: exactly ``n_respondents`` in ``year``, spread over the companies by size, canonical CSV only."""
    if n_respondents < 1:
        raise ValueError("n_respondents must be positive")
    ref = load_reference(seeds_dir)
    params = company_params(ref, seed)
    offsets = calibrated_offsets(seed, ref)
    counts = _largest_remainder(int(n_respondents), params.weights)
    draw = _draw_year(ref, params, int(year), counts, _rng(seed, year, _STREAM_SYNTHETIC))
    return _write_exports(ref, params, draw, answer_codes(draw, offsets), Path(landing_dir), formats=None)


# --------------------------------------------------------------------------------------------------------------
# Invited headcount
# --------------------------------------------------------------------------------------------------------------
def invited_headcount(
    years: Iterable[int] = DEFAULT_YEARS, seed: int = DEFAULT_SEED, seeds_dir: Path = SEEDS_DIR
) -> pd.DataFrame:
    """``year, company_id, invited`` for the demo: invited >= respondents, response rates between 55 and 95%."""
    ref = load_reference(seeds_dir)
    rows = []
    for year in years:
        counts = respondent_counts(int(year), seed, ref)
        rng = _rng(seed, int(year), _STREAM_HEADCOUNT)
        rates = rng.uniform(0.58, 0.93, len(counts))
        for (company_id, n), rate in zip(counts.items(), rates, strict=True):
            # keep the realised rate n / invited within 55-95% (rounding matters for tiny companies)
            invited = int(np.clip(np.ceil(n / rate), np.ceil(n / 0.95), np.floor(n / 0.55)))
            rows.append({"year": int(year), "company_id": company_id, "invited": invited})
    return pd.DataFrame(rows, columns=["year", "company_id", "invited"])


def headcount_csv(years: Iterable[int] = DEFAULT_YEARS, seed: int = DEFAULT_SEED) -> str:
    return invited_headcount(years, seed).to_csv(index=False, lineterminator="\n")


def write_headcount(
    path: Path = HEADCOUNT_PATH, years: Iterable[int] = DEFAULT_YEARS, seed: int = DEFAULT_SEED
) -> Path:
    path = Path(path)
    path.write_text(headcount_csv(years, seed), encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.demo_data", description=__doc__.split("\n")[0])
    parser.add_argument("--landing", type=Path, default=None, help="landing folder (default: data/landing)")
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--respondents", type=int, default=None, help="bench mode: N respondents in one year")
    parser.add_argument(
        "--write-headcount",
        nargs="?",
        const=HEADCOUNT_PATH,
        type=Path,
        default=None,
        metavar="PATH",
        help=f"write the invited headcount seed (default path {HEADCOUNT_PATH})",
    )
    args = parser.parse_args(argv)

    if args.write_headcount is not None:
        path = write_headcount(args.write_headcount, args.years, args.seed)
        print(f"wrote {path}")
        if args.landing is None:
            return 0
    landing = args.landing if args.landing is not None else REPO_ROOT / "data" / "landing"
    t0 = time.perf_counter()
    if args.respondents is not None:
        if len(args.years) != 1:
            parser.error("--respondents needs exactly one --years value")
        paths = write_synthetic_year(landing, args.years[0], args.respondents, args.seed)
        what = f"{args.respondents} respondents"
    else:
        paths = write_demo_landing(landing, args.years, args.seed)
        what = f"demo years {' '.join(map(str, args.years))}"
    print(f"wrote {len(paths)} files ({what}) to {landing} in {time.perf_counter() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
