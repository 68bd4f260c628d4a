"""Jobs: the yearly index release (everything, one year) and the raw load the landing sensor starts."""

import dagster as dg

from orchestration.partitions import survey_years

yearly_index_release = dg.define_asset_job(
    name="yearly_index_release",
    selection=dg.AssetSelection.all(),
    partitions_def=survey_years,
    description="Load the year's exports, build and check the marts, and publish `releases/<year>/`. "
    "A failing blocking check stops the run before anything is published.",
)

load_raw_exports = dg.define_asset_job(
    name="load_raw_exports",
    selection=dg.AssetSelection.groups("raw"),
    partitions_def=survey_years,
    description="Load a year's landing folder into the raw tables (started by the landing-folder sensor).",
)
