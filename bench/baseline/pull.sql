-- The physical limit of the pull: every submission into one table with DuckDB's own readers, each row with
-- its file, its number in the file, the contract's columns by name (English or Thai headers) and the row as
-- JSON; then the registry. bench/stage.py has already done what DuckDB cannot: Windows-874 CSVs transcoded
-- to UTF-8 and every CSV linked under {folder}/csv/<header>-<delimiter>/, XLSX sheets read by calamine into
-- `xlsx_rows`.
create or replace table csv_rows as
select * from read_csv('{folder}/csv/en-comma/*.csv', all_varchar = true, filename = true, delim = ',')
union all by name
select * from read_csv('{folder}/csv/en-semicolon/*.csv', all_varchar = true, filename = true, delim = ';')
union all by name
select * from read_csv('{folder}/csv/th-comma/*.csv', all_varchar = true, filename = true, delim = ',');
create or replace table json_rows as
select *
from read_json('{landing}/submissions/*/*.json', format = 'array', union_by_name = true, filename = true);
create or replace table raw_rows as
with all_rows as (
    select
        filename,
        coalesce(city_code, "รหัสเมือง") as city_code,
        coalesce(project_code, "รหัสโครงการ") as project_code,
        coalesce(report_month, "เดือนที่รายงาน") as report_month,
        coalesce(progress_pct, "ความก้าวหน้าสะสม") as progress_pct,
        coalesce(spend_to_date_thb, "เบิกจ่ายสะสม") as spend_to_date_thb,
        coalesce(status, "สถานะ") as status,
        coalesce(obstacles, "ปัญหาอุปสรรค") as obstacles,
        coalesce(remarks, "หมายเหตุ") as remarks,
        coalesce(submitted_at, "วันที่ส่ง") as submitted_at,
        to_json(c)::varchar as raw_record
    from csv_rows as c
    union all
    select
        filename,
        city_code,
        project_code,
        report_month::varchar,
        progress_pct::varchar,
        spend_to_date_thb::varchar,
        status,
        obstacles,
        remarks,
        submitted_at::varchar,
        to_json(j)::varchar
    from json_rows as j
    union all
    select
        filename,
        coalesce(city_code, "รหัสเมือง"),
        coalesce(project_code, "รหัสโครงการ"),
        coalesce(report_month, "เดือนที่รายงาน"),
        coalesce(progress_pct, "ความก้าวหน้าสะสม"),
        coalesce(spend_to_date_thb, "เบิกจ่ายสะสม"),
        coalesce(status, "สถานะ"),
        coalesce(obstacles, "ปัญหาอุปสรรค"),
        coalesce(remarks, "หมายเหตุ"),
        coalesce(submitted_at, "วันที่ส่ง"),
        to_json(x)::varchar
    from xlsx_rows as x
)
select row_number() over (partition by filename) as row_number, *
from all_rows;
drop table csv_rows;
drop table json_rows;
create or replace table cities as from read_csv('{landing}/registry/cities.csv', all_varchar = true);
create or replace table projects as from read_csv('{landing}/registry/projects.csv', all_varchar = true);
