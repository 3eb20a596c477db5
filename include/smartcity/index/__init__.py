"""The Competitiveness Index: uncertainty and sensitivity analysis (numpy; called by dbt Python models)."""
