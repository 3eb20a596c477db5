-- Reporting quality of each city in each landing month: what it sent and what became of it.
-- Every row received for a registered city is counted exactly once: accepted (and still current),
-- superseded by a later submission, or quarantined. Certified cities that sent nothing have a row of zeros.
-- on_time: the city reported the month itself (a current or superseded row with that report_month)
-- submitted on or before the deadline, the 15th of the following month at 23:59:59 Bangkok time.
-- Incremental: a run recomputes the months from rebuild_from() on, from the rows received in them. An earlier
-- month cannot change: rows are received in their landing month, and a run's rows supersede only rows of
-- report months from rebuild_from() on, received in those months or later.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
) }}

with cities as (
    select * from {{ ref('stg_registry__cities') }}
),

certified as (
    select * from {{ ref('int_cities_certified_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

accepted as (
    select * from {{ ref('int_submissions_current') }}
    {% if is_incremental() %}
        where received_month >= {{ rebuild_from() }}
    {% endif %}
),

quarantined as (
    select * from {{ ref('stg_audit__quarantine') }}
    {% if is_incremental() %}
        where received_month >= {{ rebuild_from() }}
    {% endif %}
),

first_reports as (
    select
        city_code,
        report_month as month,
        first_submitted_at
    from {{ ref('int_city_first_reports') }}
    {% if is_incremental() %}
        where report_month >= {{ rebuild_from() }}
    {% endif %}
),

accepted_counts as (
    select
        city_code,
        received_month as month,
        count(*) filter (where not is_superseded) as rows_accepted,
        count(*) filter (where is_superseded) as rows_superseded
    from accepted
    group by city_code, received_month
),

quarantined_counts as (
    select
        quarantined.city_code,
        quarantined.received_month as month,
        count(*) as rows_quarantined
    from quarantined
    inner join cities on quarantined.city_code = cities.city_code
    group by quarantined.city_code, quarantined.received_month
),

city_months as (
    select
        city_code,
        month
    from certified
    union
    select
        city_code,
        month
    from accepted_counts
    union
    select
        city_code,
        month
    from quarantined_counts
),

deadlines as (
    select
        city_code,
        month,
        -- The first instant after the deadline: the 16th of the following month, 00:00 in Bangkok.
        timezone('Asia/Bangkok', cast(month + interval 1 month + interval 15 day as timestamp)) as deadline
    from city_months
),

final as (
    select
        cast(city_months.city_code as varchar) as city_code,
        cast(city_months.month as date) as month,
        cast(
            coalesce(accepted_counts.rows_accepted, 0)
            + coalesce(accepted_counts.rows_superseded, 0)
            + coalesce(quarantined_counts.rows_quarantined, 0)
            as integer
        ) as rows_received,
        cast(coalesce(accepted_counts.rows_accepted, 0) as integer) as rows_accepted,
        cast(coalesce(accepted_counts.rows_superseded, 0) as integer) as rows_superseded,
        cast(coalesce(quarantined_counts.rows_quarantined, 0) as integer) as rows_quarantined,
        cast(coalesce(first_reports.first_submitted_at < city_months.deadline, false) as boolean) as on_time,
        cast(first_reports.first_submitted_at as timestamptz) as first_submitted_at,
        cast(city_months.deadline - interval 1 second as timestamptz) as reporting_deadline,
        cast(certified.city_code is not null as boolean) as is_certified
    from deadlines as city_months
    left join accepted_counts
        on city_months.city_code = accepted_counts.city_code and city_months.month = accepted_counts.month
    left join quarantined_counts
        on
            city_months.city_code = quarantined_counts.city_code
            and city_months.month = quarantined_counts.month
    left join first_reports
        on city_months.city_code = first_reports.city_code and city_months.month = first_reports.month
    left join certified
        on city_months.city_code = certified.city_code and city_months.month = certified.month
)

select * from final
