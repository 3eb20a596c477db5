-- The contract's row checks in one SQL statement: casts, ranges, allowed sets, registry membership,
-- duplicates; accepted rows typed.
create or replace table checked as
with typed as (
    select
        r.*,
        try_cast(r.report_month || '-01' as date) as month,
        try_cast(replace(r.progress_pct, '%', '') as double) as progress,
        try_cast(replace(r.spend_to_date_thb, ',', '') as decimal(18, 2)) as spend,
        try_cast(r.submitted_at as timestamptz) as submitted,
        c.city_code is not null as city_known,
        p.project_code is not null as project_known,
        p.city_code = r.city_code as project_of_city,
        row_number() over (partition by r.city_code, r.project_code, r.report_month, r.progress_pct,
            r.spend_to_date_thb, r.status, r.obstacles, r.remarks, r.submitted_at order by r.filename) as copy
    from raw_rows r
    left join cities c on c.city_code = r.city_code
    left join projects p on p.project_code = r.project_code
)
select
    *,
    case
        when city_code is null or project_code is null or report_month is null or progress_pct is null
            then 'MISSING_REQUIRED'
        when not city_known then 'UNKNOWN_CITY'
        when not project_known then 'UNKNOWN_PROJECT'
        when not project_of_city then 'PROJECT_CITY_MISMATCH'
        when month is null then 'BAD_MONTH'
        when progress is null then 'BAD_NUMBER'
        when progress not between 0 and 100 or spend < 0 then 'OUT_OF_RANGE'
        when status not in ('not_started', 'in_progress', 'completed', 'suspended', 'cancelled') then 'BAD_STATUS'
        when copy > 1 then 'DUPLICATE'
    end as reason_code
from typed;
create or replace table accepted as select * from checked where reason_code is null;
