"""National-scale benchmark of the pipeline against a raw-DuckDB baseline (`make bench`)."""
