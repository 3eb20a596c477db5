-- When each city first had an accepted row (current or superseded) for each report month: the one place
-- the reporting deadline is judged from (int_city_reporting_monthly's on_time, missing_submissions).
-- Incremental: a run recomputes the report months from rebuild_from() on. An earlier report month cannot
-- change: a run's rows report no month before rebuild_from(), and accepted rows never leave (supersession
-- keeps them, flagged).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    month_column='report_month',
) }}

with accepted as (
    select * from {{ ref('int_submissions_current') }}
    {% if is_incremental() %}
        where report_month >= {{ rebuild_from() }}
    {% endif %}
),

final as (
    select
        city_code,
        report_month,
        min(submitted_at) as first_submitted_at
    from accepted
    group by city_code, report_month
)

select * from final
