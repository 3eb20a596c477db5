-- The contract's row checks in one SQL statement: the values read as the contract allows them to be
-- written (Thai digits, Buddhist-Era years, Thai month names, '%' after a percentage, thousands separators),
-- casts, ranges, allowed sets, registry membership, duplicates; accepted rows typed.
create or replace table checked as
with ascii as (
    select
        *,
        trim(translate(report_month, '๐๑๒๓๔๕๖๗๘๙', '0123456789')) as month_text,
        trim(translate(progress_pct, '๐๑๒๓๔๕๖๗๘๙', '0123456789')) as progress_text,
        trim(translate(spend_to_date_thb, '๐๑๒๓๔๕๖๗๘๙', '0123456789')) as spend_text
    from raw_rows
),
months as (
    select
        *,
        -- 2024-03 or 2567-03 (a Buddhist-Era year), or มี.ค. 67 (a Thai month, a two-digit BE year)
        coalesce(
            try_cast(regexp_extract(month_text, '^(\d{4})-\d{1,2}$', 1) as integer),
            2500 + try_cast(regexp_extract(month_text, '^\S+\s+(\d{2})$', 1) as integer)
        ) as written_year,
        coalesce(
            try_cast(regexp_extract(month_text, '^\d{4}-(\d{1,2})$', 1) as integer),
            nullif(list_position(
                ['ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.'],
                regexp_extract(month_text, '^(\S+)\s+\d{2}$', 1)
            ), 0)
        ) as written_month
    from ascii
),
typed as (
    select
        r.*,
        case when r.written_month between 1 and 12 then make_date(
            case when r.written_year > 2400 then r.written_year - 543 else r.written_year end, r.written_month, 1
        ) end as month,
        try_cast(rtrim(r.progress_text, '%') as double) as progress,
        try_cast(replace(r.spend_text, ',', '') as decimal(18, 2)) as spend,
        try_cast(r.submitted_at as timestamptz) as submitted,
        c.city_code is not null as city_known,
        p.project_code is not null as project_known,
        p.city_code = r.city_code as project_of_city,
        row_number() over (partition by r.city_code, r.project_code, r.report_month, r.progress_pct,
            r.spend_to_date_thb, r.status, r.obstacles, r.remarks, r.submitted_at order by r.filename) as copy
    from months r
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
