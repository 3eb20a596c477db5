-- Leaders per smart-city dimension, as the Smart City Thailand Office announces them: for each dimension and
-- month, the first three of the ranked cities with a plan in that dimension (more on ties), ranked by how far
-- that part of their plan is
-- delivered (budget-weighted progress of the dimension's projects, cancelled ones at 0 %, as in the index's
-- progress pillar), equal progress going to the larger value delivered (baht). The leader of a dimension is
-- rank_in_dimension = 1 (ties share it).
-- Incremental: the months from rebuild_from() on.
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

ranked_cities as (
    select * from {{ ref('city_index_monthly') }}
    where ranked
),

dimensions as (
    select * from {{ ref('dim_dimensions') }}
),

city_dimensions as (
    select
        city_code,
        month,
        dimension_code,
        count(*) filter (where not is_cancelled) as active_projects,
        sum(budget_thb) as plan_budget_thb,
        coalesce(sum(budget_weighted_progress) filter (where not is_cancelled), 0) as earned
    from project_months
    group by city_code, month, dimension_code
),

delivered as (
    select
        city_dimensions.dimension_code,
        city_dimensions.month,
        city_dimensions.city_code,
        ranked_cities.peer_group,
        city_dimensions.active_projects,
        city_dimensions.plan_budget_thb,
        city_dimensions.earned / city_dimensions.plan_budget_thb as progress,
        city_dimensions.earned / 100 as delivered_thb
    from city_dimensions
    inner join ranked_cities
        on city_dimensions.city_code = ranked_cities.city_code and city_dimensions.month = ranked_cities.month
    where city_dimensions.plan_budget_thb > 0
),

ranked_in_dimension as (
    select
        *,
        rank() over (
            partition by month, dimension_code
            order by round(progress, 9) desc, round(delivered_thb, 2) desc
        ) as rank_in_dimension
    from delivered
    qualify rank_in_dimension <= 3
),

final as (
    select
        cast(delivered.dimension_code as varchar) as dimension_code,
        cast(delivered.month as date) as month,
        cast(delivered.city_code as varchar) as city_code,
        cast(delivered.peer_group as varchar) as peer_group,
        cast(dimensions.name_en as varchar) as dimension_name_en,
        cast(dimensions.name_th as varchar) as dimension_name_th,
        cast(delivered.active_projects as integer) as active_projects,
        cast(delivered.plan_budget_thb as decimal(38, 2)) as plan_budget_thb,
        cast(delivered.progress as double) as progress,
        cast(delivered.delivered_thb as decimal(38, 2)) as delivered_thb,
        cast(delivered.rank_in_dimension as integer) as rank_in_dimension
    from ranked_in_dimension as delivered
    left join dimensions on delivered.dimension_code = dimensions.dimension_code
)

select * from final
