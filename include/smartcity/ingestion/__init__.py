"""Ingestion: from the landing area to the pipeline's own copy of each file and its raw rows."""
