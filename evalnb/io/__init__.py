"""Reading, validating and writing eval runs and KPI logs."""
