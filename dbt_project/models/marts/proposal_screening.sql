-- Every city that is not certified (proposals at each screening stage, and lapsed cities), with what the
-- 7-dimension screening looks at: the plan's coverage of the dimensions, its budget and its assessment.
with cities as (
    select * from {{ ref('stg_registry__cities') }}
),

projects as (
    select * from {{ ref('stg_registry__projects') }}
    where removed_from is null
),

scores as (
    select * from {{ ref('int_city_plan_quality') }}
),

plans as (
    select
        city_code,
        count(*) as projects,
        count(distinct dimension_code) as dimensions_covered,
        list(distinct dimension_code order by dimension_code) as dimension_codes,
        sum(budget_thb) as planned_investment_thb
    from projects
    group by city_code
),

final as (
    select
        cast(cities.city_code as varchar) as city_code,
        cast(cities.status as varchar) as status,
        cast(cities.status_since as date) as status_since,
        cast(cities.name_th as varchar) as name_th,
        cast(cities.name_en as varchar) as name_en,
        cast(cities.province_code as varchar) as province_code,
        cast(cities.operator_name as varchar) as operator_name,
        cast(cities.city_type as varchar) as city_type,
        cast(cities.peer_group as varchar) as peer_group,
        cast(coalesce(plans.projects, 0) as integer) as projects,
        cast(coalesce(plans.dimensions_covered, 0) as integer) as dimensions_covered,
        cast(coalesce(plans.dimension_codes, []) as varchar[]) as dimension_codes,
        cast(coalesce(plans.planned_investment_thb, 0) as decimal(38, 2)) as planned_investment_thb,
        cast(coalesce(scores.components_assessed, 0) as integer) as components_assessed,
        cast(scores.plan_quality_score as double) as plan_quality_score
    from cities
    left join plans on cities.city_code = plans.city_code
    left join scores on cities.city_code = scores.city_code
    where cities.status != 'certified' and cities.removed_from is null
)

select * from final
