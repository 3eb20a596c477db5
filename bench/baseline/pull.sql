-- The physical limit of the pull: every monthly CSV into a table, as text, with its file name.
create or replace table raw_rows as
select *
from read_csv(
    '{landing}/submissions/*/*.csv',
    all_varchar = true, filename = true, header = true
);
create or replace table cities as from read_csv('{landing}/registry/cities.csv', all_varchar = true);
create or replace table projects as from read_csv('{landing}/registry/projects.csv', all_varchar = true);
