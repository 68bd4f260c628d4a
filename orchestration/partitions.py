"""Survey years as partitions: a year appears when its landing folder does (see sensors.py), no code change."""

import dagster as dg

survey_years = dg.DynamicPartitionsDefinition(name="survey_year")
