-- Planned progress of each project in each month (contract section 4): 0 before planned_start,
-- 100 from planned_end on, otherwise 100 * (months from start to M, + 1) / (months from start to end, + 1).
-- Incremental like int_projects_state_as_of_month: the plan of a past month only changes with the registry.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
) }}

with projects as (
    select * from {{ ref('stg_registry__projects') }}
),

months as (
    select * from {{ ref('int_months') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

final as (
    select
        projects.project_code,
        months.month,
        case
            when months.month < projects.planned_start then 0.0
            when months.month >= projects.planned_end then 100.0
            else
                100.0
                * (date_diff('month', projects.planned_start, months.month) + 1)
                / (date_diff('month', projects.planned_start, projects.planned_end) + 1)
        end as planned_progress_pct
    from projects
    cross join months
)

select * from final
