-- marts.city_progress_monthly for BI tools: the city's names beside its code, and the programme's own
-- figure of the month beside each city's. An average of progress_pct over cities is NOT the programme's
-- progress (it ignores the budgets): weight by budget_thb, or read program_progress_pct.
-- Incremental: the months from rebuild_from() on (names change only with the registry, which rebuilds
-- everything).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with city_progress as (
    select * from {{ ref('city_progress_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

cities as (
    select * from {{ ref('dim_cities') }}
),

program as (
    select * from {{ ref('program_summary_monthly') }}
),

final as (
    select
        city_progress.city_code,
        cities.name_th as city_name_th,
        cities.name_en as city_name_en,
        cities.province_code,
        cities.peer_group,
        city_progress.month,
        city_progress.projects,
        city_progress.completed_projects,
        city_progress.budget_thb,
        city_progress.spend_to_date_thb,
        city_progress.progress_pct,
        city_progress.planned_progress_pct,
        city_progress.progress_vs_plan_pct,
        city_progress.rank_progress,
        cast(100 * city_progress.budget_thb / nullif(program.investment_value_thb, 0) as double)
            as budget_share_pct,
        program.progress_pct as program_progress_pct
    from city_progress
    left join cities on city_progress.city_code = cities.city_code
    left join program on city_progress.month = program.month
)

select * from final
