-- The physical limit of the publication: what is published (the figures and the quarantined rows) copied
-- into a new database file and written as Parquet, as the pipeline publishes its marts and dq tables (the
-- raw and intermediate tables stay behind, as the pipeline's do).
attach '{folder}/published.duckdb.tmp' as published;
create or replace table published.city_progress as select * from city_progress;
create or replace table published.program_summary as select * from program_summary;
create or replace table published.quarantine as select * from checked where reason_code is not null;
detach published;
copy city_progress to '{folder}/city_progress.parquet' (format parquet);
copy program_summary to '{folder}/program_summary.parquet' (format parquet);
