"""Respondent ids → keyed pseudonyms (HMAC-SHA256, hex), computed set-wise in DuckDB."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from orchestration.settings import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_VARIABLE

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104)


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def as_key(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise ValueError("the pseudonym key is empty")
    return key


class PseudonymKeyRefused(ValueError):
    """This deployment may not pseudonymise (or publish) with the key it was given."""


def usable_pseudonym_key(key: bytes | str, *, demo: bool) -> bytes:
    """The key as bytes, if this deployment may use it; the one place that decides (ingestion and the release ask).

    The demo key is public: respondent ids (often employee numbers) pseudonymised under it can be recovered by
    hashing every possible id, so only a deployment that says it serves demo data (`WarehousePaths.demo`,
    MEDARBEIDERINDEKS_DEMO=1) may use it."""
    key = as_key(key)
    if key == DEMO_PSEUDONYM_KEY.encode("utf-8") and not demo:
        raise PseudonymKeyRefused(
            "refused: the public demo pseudonym key may only be used on demo data (respondent ids pseudonymised "
            f"with a published key can be recovered by trying every id). Set {PSEUDONYM_KEY_VARIABLE} to this "
            "deployment's own secret key, or MEDARBEIDERINDEKS_DEMO=1 if this really is demo data."
        )
    return key


def pseudonymise(ids: pd.Series, key: bytes | str) -> pd.Series:
    """HMAC-SHA256(key, id as UTF-8) as lower-case hex for each id, equal to
    `hmac.new(key, id.encode(), hashlib.sha256).hexdigest()`. Stable across loads; not reversible without the key."""
    ipad, opad = _pads(as_key(key))
    frame = pd.DataFrame({"i": range(len(ids)), "rid": ids.astype(str).to_numpy()})
    with duckdb.connect() as con:
        con.register("ids", frame)
        hashed = con.execute(
            "select sha256($opad || unhex(sha256($ipad || encode(rid)))) as h from ids order by i",
            {"ipad": ipad, "opad": opad},
        ).df()["h"]
    return pd.Series(hashed.to_numpy(), index=ids.index, dtype=object)
