-- One row per project of a certified city and month, with what every roll-up needs:
-- budget, state as of the month, planned progress, earned and planned value.
-- Incremental like the state it reads: a run rebuilds the months from rebuild_from() on; the pipeline asks
-- for a full refresh when the registry or models change (the only changes to earlier months).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
) }}

with projects as (
    select * from {{ ref('stg_registry__projects') }}
),

certified as (
    select * from {{ ref('int_cities_certified_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

state as (
    select * from {{ ref('int_projects_state_as_of_month') }}
),

planned as (
    select * from {{ ref('int_projects_planned_progress') }}
),

final as (
    select
        projects.project_code,
        projects.city_code,
        projects.dimension_code,
        certified.month,
        projects.budget_thb,
        state.has_report,
        state.state_report_month,
        state.status,
        state.progress_pct,
        state.spend_to_date_thb,
        state.obstacles,
        planned.planned_progress_pct,
        state.status = 'cancelled' as is_cancelled,
        projects.budget_thb * state.progress_pct as budget_weighted_progress,
        projects.budget_thb * planned.planned_progress_pct as budget_weighted_planned
    from certified
    inner join projects on certified.city_code = projects.city_code
    inner join state
        on
            projects.project_code = state.project_code
            and certified.month = state.month
    inner join planned
        on
            projects.project_code = planned.project_code
            and certified.month = planned.month
    -- A project that left the registry counts in the months published before it left, not after.
    where projects.removed_from is null or certified.month < projects.removed_from
)

select * from final
