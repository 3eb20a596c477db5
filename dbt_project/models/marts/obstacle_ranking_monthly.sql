-- What holds projects back: for each month, how many projects of certified cities list each obstacle in
-- their state as of the month (cancelled projects included), ranked 1 = most; ties share a rank (dense).
-- Obstacles no project lists that month have no row.
-- Incremental: a run recomputes the months from rebuild_from() on (each month reads its own month only).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with project_months as (
    select * from {{ ref('int_projects_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

obstacles as (
    select * from {{ ref('obstacles') }}
),

listed as (
    select
        project_months.month,
        project_months.project_code,
        unnest(list_distinct(project_months.obstacles)) as obstacle_code
    from project_months
),

counted as (
    select
        month,
        obstacle_code,
        count(distinct project_code) as projects
    from listed
    group by month, obstacle_code
),

final as (
    select
        cast(counted.month as date) as month,
        cast(counted.obstacle_code as varchar) as obstacle_code,
        cast(obstacles.name_en as varchar) as obstacle_name_en,
        cast(obstacles.name_th as varchar) as obstacle_name_th,
        cast(counted.projects as integer) as projects,
        cast(dense_rank() over (partition by counted.month order by counted.projects desc) as integer) as rank
    from counted
    left join obstacles on counted.obstacle_code = obstacles.obstacle_code
)

select * from final
