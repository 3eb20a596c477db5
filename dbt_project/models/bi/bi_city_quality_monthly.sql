-- dq.city_quality_monthly for BI tools: names beside the code, and whether a city that was not on time
-- reported late or not at all (on_time alone cannot tell them apart).
-- Incremental: the months from rebuild_from() on (names change only with the registry, which rebuilds
-- everything).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with quality as (
    select * from {{ ref('city_quality_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

cities as (
    select * from {{ ref('dim_cities') }}
),

statuses as (
    select
        city_code,
        month,
        rows_received,
        rows_accepted,
        rows_superseded,
        rows_quarantined,
        on_time,
        first_submitted_at,
        reporting_deadline,
        is_certified,
        case
            when on_time then 'on_time'
            when first_submitted_at is not null then 'late'
            else 'no_report'
        end as reporting_status
    from quality
),

final as (
    select
        statuses.city_code,
        cities.name_th as city_name_th,
        cities.name_en as city_name_en,
        statuses.month,
        statuses.rows_received,
        statuses.rows_accepted,
        statuses.rows_superseded,
        statuses.rows_quarantined,
        statuses.on_time,
        statuses.reporting_status,
        statuses.first_submitted_at,
        statuses.reporting_deadline,
        statuses.is_certified,
        case statuses.reporting_status
            when 'on_time' then 'ทันกำหนด'
            when 'late' then 'ล่าช้า'
            else 'ไม่รายงาน'
        end as reporting_status_th,
        case statuses.reporting_status
            when 'on_time' then 'on time'
            when 'late' then 'late'
            else 'no report'
        end as reporting_status_en
    from statuses
    left join cities on statuses.city_code = cities.city_code
)

select * from final
