-- The month's headline, in one place: the figures `smartcity run` prints at its end and the monthly report
-- opens with (the programme's totals, their change, and how the cities reported).
with program as (
    select * from {{ ref('program_summary_monthly') }}
),

quality as (
    select * from {{ ref('int_city_reporting_monthly') }}
),

rejected as (
    select * from {{ ref('rejected_files') }}
),

reporting as (
    select
        month,
        sum(rows_received) as rows_received,
        sum(rows_accepted + rows_superseded) as rows_accepted,
        sum(rows_quarantined) as rows_quarantined,
        count(*) filter (where is_certified and on_time) as cities_on_time,
        -- on_time alone cannot tell a late report from none: a first accepted row says late.
        count(*) filter (
            where is_certified and not on_time and first_submitted_at is not null
        ) as cities_late,
        count(*) filter (
            where is_certified and not on_time and first_submitted_at is null
        ) as cities_no_report
    from quality
    group by month
),

files_rejected as (
    select
        received_month as month,
        count(*) as files_rejected
    from rejected
    where received_month is not null
    group by received_month
),

final as (
    select
        program.month,
        program.certified_cities,
        program.projects,
        program.completed_projects,
        program.completed_projects_pct,
        program.progress_pct,
        program.planned_progress_pct,
        program.progress_vs_plan_pct,
        program.investment_value_thb,
        program.spend_to_date_thb,
        cast(coalesce(reporting.rows_received, 0) as bigint) as rows_received,
        cast(coalesce(reporting.rows_accepted, 0) as bigint) as rows_accepted,
        cast(coalesce(reporting.rows_quarantined, 0) as bigint) as rows_quarantined,
        cast(coalesce(files_rejected.files_rejected, 0) as bigint) as files_rejected,
        cast(coalesce(reporting.cities_on_time, 0) as integer) as cities_on_time,
        cast(coalesce(reporting.cities_late, 0) as integer) as cities_late,
        cast(coalesce(reporting.cities_no_report, 0) as integer) as cities_no_report,
        100 * cast(program.spend_to_date_thb as double)
        / nullif(cast(program.investment_value_thb as double), 0) as spend_pct,
        program.progress_pct - lag(program.progress_pct) over (order by program.month) as progress_change_pp
    from program
    left join reporting on program.month = reporting.month
    left join files_rejected on program.month = files_rejected.month
)

select * from final
