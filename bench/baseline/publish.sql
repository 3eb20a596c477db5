-- The physical limit of the publication: copy the database to a new file.
attach '{folder}/published.duckdb.tmp' as published;
copy from database baseline to published;
detach published;
