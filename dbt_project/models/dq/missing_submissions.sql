-- The cities certified in a month with nothing accepted for it by the reporting deadline (the 15th of the
-- following month, 23:59:59 Bangkok time): the list the deadline watch sends to the programme office.
-- "Accepted for the month by the deadline": an accepted row (current or superseded) reporting that month,
-- submitted_at on or before the deadline (as city_quality_monthly's on_time). Listed cities either sent
-- nothing for the month, had every row quarantined, or reported late; files_received and rows_accepted (the
-- month's landing folder) tell which.
-- Incremental: a run recomputes the months from rebuild_from() on. Replacing those months as a whole matters
-- here: a delayed file submitted before the deadline takes a city off the list.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with certified as (
    select * from {{ ref('int_cities_certified_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

-- Every report month of each city (the months before rebuild_from() too: last_month_reported looks back).
first_reports as (
    select * from {{ ref('int_city_first_reports') }}
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

deadlines as (
    select
        city_code,
        month,
        -- The first instant after the deadline: the 16th of the following month, 00:00 in Bangkok.
        timezone(
            'Asia/Bangkok', cast(month + interval 1 month + interval 15 day as timestamp)
        ) as after_deadline
    from certified
),

-- A month is reported by a deadline when its first accepted row was submitted before it (first_reports has
-- one row per city and report month, so this range join stays small).
reported_in_time as (
    select
        deadlines.city_code,
        deadlines.month,
        max(first_reports.report_month) filter (
            where first_reports.report_month = deadlines.month
        ) as reported_month,
        max(first_reports.report_month) as last_month_reported
    from deadlines
    inner join first_reports
        on
            deadlines.city_code = first_reports.city_code
            and deadlines.month >= first_reports.report_month
            and deadlines.after_deadline > first_reports.first_submitted_at
    group by deadlines.city_code, deadlines.month
),

received_rows as (
    select
        city_code,
        received_month as month,
        file_id,
        true as accepted
    from accepted
    union all
    select
        city_code,
        received_month as month,
        file_id,
        false as accepted
    from quarantined
),

received as (
    select
        city_code,
        month,
        count(distinct file_id) as files_received,
        count(*) filter (where accepted) as rows_accepted
    from received_rows
    group by city_code, month
),

final as (
    select
        cast(deadlines.city_code as varchar) as city_code,
        cast(deadlines.month as date) as month,
        cast(deadlines.after_deadline - interval 1 second as timestamptz) as deadline,
        cast(reported_in_time.last_month_reported as date) as last_month_reported,
        cast(coalesce(received.files_received, 0) as integer) as files_received,
        cast(coalesce(received.rows_accepted, 0) as integer) as rows_accepted
    from deadlines
    left join reported_in_time
        on deadlines.city_code = reported_in_time.city_code and deadlines.month = reported_in_time.month
    left join received
        on deadlines.city_code = received.city_code and deadlines.month = received.month
    where reported_in_time.reported_month is null
)

select * from final
