"""Load a year's landing folder into the warehouse's raw schema, one file per transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa

from orchestration.settings import PYTHON_DUCKDB_MEMORY_LIMIT

from .detect import Source, resolve_source
from .errors import ExportError
from .layouts import SIDECAR_SUFFIX, SourceLayout
from .parse import ANSWER_COLUMNS, RESPONDENT_COLUMNS, ParsedExport, parse_export
from .pseudonym import usable_pseudonym_key
from .readers import read_landing_bytes, read_raw, source_format_of
from .reference import Reference

#: Rejected files are moved to `<year folder>/.quarantine/<file name>` beside `<file name>.error.json`.
QUARANTINE_DIR = ".quarantine"
ERROR_SUFFIX = ".error.json"

RAW_TABLES = ("survey_exports", "respondents", "answers")
_LOAD_METADATA = """
    file_name varchar not null,
    file_sha256 varchar not null,
    load_id varchar not null,
    loaded_at timestamp not null"""
DDL = f"""
create schema if not exists raw;
create table if not exists raw.survey_exports (
    year integer not null,
    file_name varchar not null,
    file_sha256 varchar not null,
    source_format varchar not null,
    n_respondents integer not null,
    n_answers integer not null,
    load_id varchar not null,
    loaded_at timestamp not null,
    primary key (year, file_name)
);
create table if not exists raw.respondents (
    year integer not null,
    respondent_id varchar not null,
    company_id varchar not null,
    department varchar,
    tenure_band varchar,
    age_band varchar,
    role varchar,
    submitted_at timestamp,
    is_complete boolean not null,{_LOAD_METADATA},
    primary key (year, respondent_id)
);
create table if not exists raw.answers (
    year integer not null,
    respondent_id varchar not null,
    company_id varchar not null,
    item_id varchar not null,
    source_column varchar not null,
    answer_value double,
    is_dont_know boolean not null,
    file_name varchar not null
);
"""

#: Columns raw.answers held in earlier warehouses: an answer's file_sha256, load_id and loaded_at are its export's
#: row in raw.survey_exports (by year, file_name), written once per file rather than once per answer.
_ANSWERS_DROPPED_COLUMNS = ("file_sha256", "load_id", "loaded_at")

Status = Literal["loaded", "skipped", "duplicate", "withdrawn", "failed", "ignored"]


@dataclass(frozen=True)
class FileResult:
    """What a sync did with one file (`file_name` relative to the year folder, '/'-separated)."""

    file_name: str
    status: Status
    file_sha256: str | None = None
    source_format: str | None = None
    n_respondents: int | None = None
    n_answers: int | None = None
    duplicate_of: str | None = None
    error: str | None = None
    source: str | None = None  # the layout the file was read with
    quarantined: str | None = None  # where the rejected file lies, relative to the year folder


@dataclass
class SyncReport:
    """Outcome of `sync_year`, file by file. `ok` is False when any file failed; the failed files' previous rows
    (if any) are still in the warehouse as they were. `n_respondents` and `n_answers` are the year's totals in
    raw.respondents and raw.answers after the sync."""

    year: int
    load_id: str
    loaded_at: dt.datetime  # UTC
    files: list[FileResult] = field(default_factory=list)
    n_respondents: int = 0
    n_answers: int = 0

    def _with(self, status: Status) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def loaded(self) -> list[FileResult]:
        return self._with("loaded")

    @property
    def skipped(self) -> list[FileResult]:
        return self._with("skipped")

    @property
    def duplicates(self) -> list[FileResult]:
        return self._with("duplicate")

    @property
    def withdrawn(self) -> list[FileResult]:
        return self._with("withdrawn")

    @property
    def failed(self) -> list[FileResult]:
        return self._with("failed")

    @property
    def ignored(self) -> list[FileResult]:
        return self._with("ignored")

    @property
    def ok(self) -> bool:
        return not self.failed

    def errors(self) -> list[str]:
        """The ExportError message of every failed file (empty when all exports loaded or were unchanged)."""
        return [f.error or f"{f.file_name}: failed" for f in self.failed]

    @property
    def changed(self) -> bool:
        return bool(self.loaded or self.withdrawn or any(f.error for f in self.duplicates))

    def summary(self) -> str:
        counts = ", ".join(
            f"{len(self._with(s))} {s}" for s in ("loaded", "skipped", "duplicate", "withdrawn", "failed")
        )
        lines = [f"year {self.year}: {counts}"]
        lines += [f"  failed {f.file_name}: {f.error}" for f in self.failed]
        lines += [f"  duplicate {f.file_name} of {f.duplicate_of}" for f in self.duplicates]
        return "\n".join(lines)


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw and its three tables if missing; drop the load metadata columns an older raw.answers still
    has (its rows stay as they are otherwise)."""
    con.execute(DDL)
    stale = con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() and schema_name = 'raw' "
        "and table_name = 'answers' and list_contains(?, column_name) order by column_index",
        [list(_ANSWERS_DROPPED_COLUMNS)],
    ).fetchall()

    def drop() -> None:
        for (column,) in stale:
            con.execute(f"alter table raw.answers drop column {column}")

    if stale:
        _in_transaction(con, drop)


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes; of a symbolic link, of the link itself (its target is never opened: the link is
    refused when read)."""
    if path.is_symlink():
        return hashlib.sha256(b"symbolic link to " + os.fsencode(os.readlink(path))).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_sha256(path: Path, source: Source | None = None) -> str:
    """SHA-256 of the export; with a sidecar or companion files, of the export and those together (a changed
    declaration or label file reloads the export)."""
    own = file_sha256(path)
    extra = [] if source is None else [p for p in (source.sidecar, *source.companions.values()) if p is not None]
    if not extra:
        return own
    digest = hashlib.sha256(own.encode())
    for p in sorted(extra):
        digest.update(f"\n{p.name}:{file_sha256(p)}".encode())
    return digest.hexdigest()


def list_exports(year_dir: Path) -> Iterator[tuple[str, Path]]:
    """(file_name relative to the year folder, path) of every visible file, sorted; hidden files and folders (the
    quarantine among them) and Office lock files (~$…) are not exports. Symbolic links are listed (and refused when
    read), never followed into folders."""
    for path in sorted(_walk(year_dir)):
        relative = path.relative_to(year_dir)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        yield relative.as_posix(), path


def _walk(folder: Path) -> Iterator[Path]:
    for entry in os.scandir(folder):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if not entry.name.startswith("."):
                yield from _walk(path)
        elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
            yield path


# -- quarantine ---------------------------------------------------------------------------------------------------
def quarantine_entries(year_dir: Path) -> dict[str, dict]:
    """file name → the error record of every file in the year's quarantine (an entry is its .error.json)."""
    root = year_dir / QUARANTINE_DIR
    if not root.is_dir():
        return {}
    entries = {}
    for record in sorted(root.rglob(f"*{ERROR_SUFFIX}")):
        name = record.relative_to(root).as_posix()[: -len(ERROR_SUFFIX)]
        try:
            entries[name] = json.loads(read_landing_bytes(record, name))
        except (OSError, ValueError):  # ExportError (a link, an oversized record) is a ValueError
            entries[name] = {"error": f"{name}: quarantined (the error record cannot be read)"}
    return entries


def _safe_target(root: Path, name: str) -> Path:
    """root/name, refusing any name that would leave root (names come from the listing, but never trust them)."""
    target = (root / name).resolve()
    if not target.is_relative_to(root.resolve()) or ".." in Path(name).parts:
        raise ValueError(f"unsafe file name {name!r}")
    return root / name


def _quarantine(year_dir: Path, name: str, path: Path, error: ExportError, sha: str | None, load_id: str) -> str:
    """Write `<name>.error.json` (atomically), then move the file beside it. Returns the new place."""
    root = year_dir / QUARANTINE_DIR
    target = _safe_target(root, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "file": name,
        "error": str(error),
        "problem": error.problem,
        "column": error.column,
        "rows": error.rows[:100],
        "file_sha256": sha,
        "load_id": load_id,
        "quarantined_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "resolve": (
            f"drop a corrected file named {name!r} into the landing folder (it loads and clears this entry), or "
            f"delete {QUARANTINE_DIR}/{name} and {QUARANTINE_DIR}/{name}{ERROR_SUFFIX} to withdraw it"
        ),
    }
    record_path = target.with_name(target.name + ERROR_SUFFIX)
    temporary = record_path.with_name(record_path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, record_path)
    os.replace(path, target)
    return f"{QUARANTINE_DIR}/{name}"


def _clear_quarantine(year_dir: Path, name: str) -> None:
    target = _safe_target(year_dir / QUARANTINE_DIR, name)
    for stale in (target.with_name(target.name + ERROR_SUFFIX), target):
        if stale.is_file() or stale.is_symlink():
            stale.unlink()


def _delete_file_rows(con: duckdb.DuckDBPyConnection, year: int, file_name: str) -> None:
    for table in RAW_TABLES:
        con.execute(f"delete from raw.{table} where year = ? and file_name = ?", [year, file_name])


def _in_transaction(con: duckdb.DuckDBPyConnection, work) -> None:
    con.begin()
    try:
        work()
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _insert(
    con: duckdb.DuckDBPyConnection,
    parsed: ParsedExport,
    year: int,
    file_name: str,
    sha: str,
    load_id: str,
    loaded_at: dt.datetime,
) -> None:
    """Replace the rows of (year, file_name) by this export's, in one transaction."""
    # Respondents as Arrow: DuckDB scans its strings without taking the GIL, which the next file's parse holds
    # meanwhile (a frame's object columns need it).
    respondents = pa.Table.from_pandas(parsed.respondents.reset_index(), preserve_index=False)
    # Answers travel without their repeated respondent and company strings (joined back by data row) and with the
    # item columns as categoricals: DuckDB scans those as codes (as Arrow dictionaries they cost more than the GIL).
    item_answers = parsed.item_answers
    answers = pd.DataFrame(
        {
            "data_row": item_answers.index.to_numpy(),
            "item_id": pd.Categorical(item_answers["item_id"]),
            "source_column": pd.Categorical(item_answers["source_column"]),
            "answer_value": item_answers["answer_value"].to_numpy(),
            "is_dont_know": item_answers["is_dont_know"].to_numpy(),
        }
    )
    metadata = [file_name, sha, load_id, loaded_at]

    def work() -> None:
        _delete_file_rows(con, year, file_name)
        con.register("ingest_respondents", respondents)
        con.register("ingest_answers", answers)
        try:
            clash = con.execute(
                """
                select n.data_row, e.file_name
                from ingest_respondents as n
                join raw.respondents as e on e.year = ? and e.respondent_id = n.respondent_id
                order by n.data_row
                """,
                [year],
            ).df()
            if len(clash):
                others = ", ".join(repr(f) for f in clash["file_name"].unique()[:3])
                raise ExportError(
                    file_name,
                    f"respondent id already loaded for {year} from {others}: a respondent belongs in one file only "
                    "(if this file replaces another, remove the other from the landing folder)",
                    rows=clash["data_row"].tolist(),
                    column=parsed.respondent_id_column,
                )
            cols = ", ".join(RESPONDENT_COLUMNS)
            con.execute(
                f"insert into raw.respondents ({cols}, file_name, file_sha256, load_id, loaded_at) "
                f"select {cols}, ?, ?, ?, ? from ingest_respondents",
                metadata,
            )
            con.execute(
                f"insert into raw.answers ({', '.join(ANSWER_COLUMNS)}, file_name) "
                "select r.year, r.respondent_id, r.company_id, a.item_id::varchar, a.source_column::varchar, "
                "a.answer_value, a.is_dont_know, ? "
                "from ingest_answers as a join ingest_respondents as r using (data_row)",
                [file_name],
            )
            con.execute(
                "insert into raw.survey_exports values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    year,
                    file_name,
                    sha,
                    parsed.source_format,
                    parsed.n_respondents,
                    parsed.n_answers,
                    load_id,
                    loaded_at,
                ],
            )
        finally:
            con.unregister("ingest_respondents")
            con.unregister("ingest_answers")

    _in_transaction(con, work)


def sync_year(
    warehouse_path: str | Path,
    year_dir: str | Path,
    year: int,
    reference: Reference,
    pseudonym_key: bytes | str,
    *,
    demo: bool = False,
    layout: str | Path | SourceLayout | None = None,
) -> SyncReport:
    """Make raw.* for `year` match the exports in `year_dir`.

    Each file is read with its declared or recognised layout (`layout` forces one for every file); a sidecar
    `<name>.source.yml` and companion files (SurveyXact labels/structure) belong to their export and are not
    loaded on their own.
    - unchanged file (same name, same SHA-256 as loaded): skipped, nothing written;
    - new or changed file: read, validated, and its (year, file_name) rows replaced in one transaction;
    - file with the same SHA-256 as another file in the folder (already loaded, or first by name): duplicate,
      not loaded (rows this name held from earlier content are removed: that content is gone);
    - bad file: failed and QUARANTINED: moved to `.quarantine/<name>` beside `<name>.error.json` (file, rows,
      column, problem; never answers or personal data). Its previous rows (if any) stay as they were, other files
      still load, and every later sync reports it as failed (the year stays blocked) until a corrected file with
      the same name loads (clearing the entry) or the entry is deleted (withdrawing the file);
    - loaded file neither in the folder nor in quarantine: its rows removed (withdrawn).
    A missing year folder raises FileNotFoundError (rather than withdrawing the whole year). The public demo
    pseudonym key raises PseudonymKeyRefused, before anything is read or written, unless `demo` (the deployment
    serves demo data).
    """
    pseudonym_key = usable_pseudonym_key(pseudonym_key, demo=demo)
    year_dir = Path(year_dir)
    if not year_dir.is_dir():
        raise FileNotFoundError(f"no landing folder for {year}: {year_dir}")
    load_id = uuid.uuid4().hex
    loaded_at = dt.datetime.now(dt.UTC)
    stored_at = loaded_at.replace(tzinfo=None)  # TIMESTAMP columns hold UTC
    report = SyncReport(year=year, load_id=load_id, loaded_at=loaded_at)

    candidates: dict[str, Path] = {}
    for name, path in list_exports(year_dir):
        if name.endswith(SIDECAR_SUFFIX):
            continue
        if source_format_of(path) is None:
            report.files.append(FileResult(name, "ignored", error=f"not an export file ({path.suffix or 'no suffix'})"))
        else:
            candidates[name] = path
    sources: dict[str, Source] = {}
    source_errors: dict[str, ExportError] = {}
    for name, path in candidates.items():
        try:
            sources[name] = resolve_source(path, name, layout)
        except ExportError as e:
            source_errors[name] = e
    companions = {c.relative_to(year_dir).as_posix() for source in sources.values() for c in source.companions.values()}
    exports = {name: path for name, path in candidates.items() if name not in companions}
    hashes = {name: content_sha256(path, sources.get(name)) for name, path in exports.items()}
    quarantined = quarantine_entries(year_dir)

    Path(warehouse_path).parent.mkdir(parents=True, exist_ok=True)
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse-export")
    with contextlib.ExitStack() as stack:
        stack.callback(reader.shutdown, cancel_futures=True)
        con = stack.enter_context(duckdb.connect(str(warehouse_path)))
        con.execute("set preserve_insertion_order = false")  # inserts need not buffer rows in order: less memory
        con.execute(f"set memory_limit = '{PYTHON_DUCKDB_MEMORY_LIMIT}'")
        create_raw_schema(con)
        loaded = dict(
            con.execute("select file_name, file_sha256 from raw.survey_exports where year = ?", [year]).fetchall()
        )

        for name in sorted(set(loaded) - set(exports) - set(quarantined)):
            _in_transaction(con, lambda name=name: _delete_file_rows(con, year, name))
            report.files.append(FileResult(name, "withdrawn", file_sha256=loaded[name]))

        for name in sorted(set(quarantined) - set(exports)):
            entry = quarantined[name]
            error = entry.get("error") or f"{name}: rejected"
            report.files.append(
                FileResult(
                    name,
                    "failed",
                    file_sha256=entry.get("file_sha256"),
                    error=f"{error} [quarantined in {QUARANTINE_DIR}/: {entry.get('resolve', 'see the error record')}]",
                    quarantined=f"{QUARANTINE_DIR}/{name}",
                )
            )

        # The next file to load is read and parsed on a second thread while this one is written to DuckDB (which
        # releases the GIL): the two cores overlap. The order is a guess made before the loop; a wrong guess (a file
        # that turns out to be a duplicate) only costs its parse.
        first_of_content: dict[str, str] = {}
        for name in exports:
            first_of_content.setdefault(hashes[name], name)
        expected = [
            name
            for name, sha in hashes.items()
            if name not in source_errors and loaded.get(name) != sha and first_of_content[sha] == name
        ]
        next_expected = dict(zip(expected, expected[1:], strict=False))
        parsing: dict[str, Future[ParsedExport]] = {}

        def parse(name: str) -> ParsedExport:
            source = sources[name]
            raw = read_raw(exports[name], name, layout=source.layout, companions=source.companions)
            return parse_export(raw, year, reference, pseudonym_key=pseudonym_key, layout=source.layout)

        def parsed_export(name: str, future: Future[ParsedExport] | None) -> ParsedExport:
            future = future or reader.submit(parse, name)
            following = next_expected.get(name)
            if following is not None and following not in parsing:
                parsing[following] = reader.submit(parse, following)
            return future.result()

        for name, path in exports.items():
            sha = hashes[name]
            source = sources.get(name)
            source_name = source.layout.name if source else None
            guessed = parsing.pop(name, None)  # its parse, if started ahead
            if name in source_errors:
                report.files.append(FileResult(name, "failed", file_sha256=sha, error=str(source_errors[name])))
                continue
            if loaded.get(name) == sha:
                report.files.append(FileResult(name, "skipped", file_sha256=sha, source=source_name))
                if name in quarantined:
                    _clear_quarantine(year_dir, name)
                continue
            same_content = [n for n in exports if hashes[n] == sha]
            holder = next((n for n in same_content if loaded.get(n) == sha), same_content[0])
            if holder != name:
                note = None
                if name in loaded:
                    _in_transaction(con, lambda name=name: _delete_file_rows(con, year, name))
                    note = "rows loaded earlier under this name were removed: the file now repeats another"
                    del loaded[name]
                report.files.append(
                    FileResult(name, "duplicate", file_sha256=sha, duplicate_of=holder, error=note, source=source_name)
                )
                if name in quarantined:
                    _clear_quarantine(year_dir, name)
                continue
            # Only an ExportError (a defect of the file) rejects it; any other exception is a bug or the machine's
            # failure (memory, a full disk): it fails the sync as it is, the file stays in the landing folder and the
            # rows committed so far (earlier files, this file's previous load) stay as they are.
            try:
                parsed = parsed_export(name, guessed)
                if content_sha256(path, source) != sha:
                    raise ExportError(name, "the file changed while it was being loaded: sync again", quarantine=False)
                _insert(con, parsed, year, name, sha, load_id, stored_at)
            except ExportError as e:
                moved = _quarantine(year_dir, name, path, e, sha, load_id) if e.quarantine else None
                report.files.append(
                    FileResult(name, "failed", file_sha256=sha, error=str(e), source=source_name, quarantined=moved)
                )
                continue
            except BaseException as e:
                e.add_note(
                    f"while loading {year}/{name}: an internal error, not a defect of the file; the file stays in "
                    "the landing folder and the rows loaded before it are kept"
                )
                raise
            if name in quarantined:
                _clear_quarantine(year_dir, name)
            loaded[name] = sha
            report.files.append(
                FileResult(
                    name,
                    "loaded",
                    file_sha256=sha,
                    source_format=parsed.source_format,
                    n_respondents=parsed.n_respondents,
                    n_answers=parsed.n_answers,
                    source=source_name,
                )
            )
        counts = raw_row_counts(con, year)
    report.n_respondents = counts["respondents"]
    report.n_answers = counts["answers"]
    return report


def raw_row_counts(con: duckdb.DuckDBPyConnection, year: int | None = None) -> dict[str, int]:
    """Rows per raw table (optionally for one year)."""
    where, params = ("", []) if year is None else (" where year = ?", [year])
    return {t: con.execute(f"select count(*) from raw.{t}{where}", params).fetchone()[0] for t in RAW_TABLES}
