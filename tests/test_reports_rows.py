"""common.one_row, the lookup every number of a report goes through, against a boolean mask computed here."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from orchestration.reports import common
from orchestration.reports.common import one_row


def _mask_rows(frame: pd.DataFrame, **where) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    return frame[mask]


@pytest.fixture
def scores() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    items = [f"Q{i}" for i in range(1, 9)]
    return pd.DataFrame(
        {
            "item_id": [item for item in items for _ in range(7)],
            "answer_code": [float(code) for _ in items for code in range(1, 8)],
            "is_dont_know": [code == 7 for _ in items for code in range(1, 8)],
            "share": rng.random(len(items) * 7),
        }
    ).sample(frac=1.0, random_state=3)  # an index out of order, as a filtered package frame has


def test_every_key_finds_the_row_the_mask_finds(scores) -> None:
    for item in scores["item_id"].unique():
        for code in range(1, 8):
            expected = _mask_rows(scores, item_id=item, answer_code=code)
            assert len(expected) == 1
            found = one_row(scores, item_id=item, answer_code=code)  # the int 3 finds the float 3.0
            assert found.name == expected.index[0]
            assert found["share"] == expected["share"].iloc[0]
        assert one_row(scores, item_id=item, is_dont_know=True)["answer_code"] == 7.0


def test_an_absent_key_is_none_and_a_duplicate_key_an_error(scores) -> None:
    assert one_row(scores, item_id="Q99", answer_code=1) is None
    assert one_row(scores, item_id="Q1", answer_code=float("nan")) is None
    with pytest.raises(ValueError, match="6 rows match"):
        one_row(scores, item_id="Q1", is_dont_know=False)


def test_a_new_frame_never_reads_a_dead_frames_positions() -> None:
    dead = pd.DataFrame({"item_id": ["Q1"], "answer_code": [2.0], "share": [0.5]})
    assert one_row(dead, item_id="Q1", answer_code=2)["share"] == 0.5
    key = (id(dead), ("item_id", "answer_code"))
    assert key in common._positions
    del dead
    gc.collect()
    assert key not in common._positions  # the weak reference dropped the dead frame's positions
    other = pd.DataFrame({"item_id": ["Q5"], "answer_code": [2.0], "share": [0.25]})
    assert one_row(other, item_id="Q1", answer_code=2) is None
    assert one_row(other, item_id="Q5", answer_code=2)["share"] == 0.25
