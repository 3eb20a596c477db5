-- Each certified city's progress in each month (contract section 4). Cancelled projects are left out
-- of every figure; a city whose projects are all cancelled still has a row (progress NULL).
-- Incremental: a run recomputes the months from rebuild_from() on (each month reads its own month only).
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

project_months as (
    select * from {{ ref('int_projects_monthly') }}
    where
        not is_cancelled
        {% if is_incremental() %}
            and month >= {{ rebuild_from() }}
        {% endif %}
),

rolled_up as (
    select
        certified.city_code,
        certified.month,
        count(project_months.project_code) as projects,
        count(project_months.project_code) filter (where project_months.status = 'completed')
            as completed_projects,
        coalesce(sum(project_months.budget_thb), 0) as budget_thb,
        coalesce(sum(project_months.spend_to_date_thb), 0) as spend_to_date_thb,
        sum(project_months.budget_weighted_progress) as budget_weighted_progress,
        sum(project_months.budget_weighted_planned) as budget_weighted_planned
    from certified
    left join project_months
        on
            certified.city_code = project_months.city_code
            and certified.month = project_months.month
    group by certified.city_code, certified.month
),

figures as (
    select
        city_code,
        month,
        projects,
        completed_projects,
        budget_thb,
        spend_to_date_thb,
        budget_weighted_progress / nullif(budget_thb, 0) as progress_pct,
        budget_weighted_planned / nullif(budget_thb, 0) as planned_progress_pct,
        100 * budget_weighted_progress / nullif(budget_weighted_planned, 0) as progress_vs_plan_pct
    from rolled_up
),

final as (
    select
        cast(city_code as varchar) as city_code,
        cast(month as date) as month,
        cast(projects as integer) as projects,
        cast(completed_projects as integer) as completed_projects,
        cast(budget_thb as decimal(38, 2)) as budget_thb,
        cast(spend_to_date_thb as decimal(38, 2)) as spend_to_date_thb,
        cast(progress_pct as double) as progress_pct,
        cast(planned_progress_pct as double) as planned_progress_pct,
        cast(progress_vs_plan_pct as double) as progress_vs_plan_pct,
        cast(rank() over (partition by month order by progress_pct desc nulls last) as integer)
            as rank_progress
    from figures
)

select * from final
