-- Every project of the registry, with its city, dimension, budget and plan.
with projects as (
    select * from {{ ref('stg_registry__projects') }}
),

final as (
    select
        cast(project_code as varchar) as project_code,
        cast(city_code as varchar) as city_code,
        cast(dimension_code as varchar) as dimension_code,
        cast(name_th as varchar) as name_th,
        cast(name_en as varchar) as name_en,
        cast(budget_thb as decimal(18, 2)) as budget_thb,
        cast(planned_start as date) as planned_start,
        cast(planned_end as date) as planned_end,
        cast(date_diff('month', planned_start, planned_end) + 1 as integer) as planned_months,
        cast(funding_source as varchar) as funding_source
    from projects
)

select * from final
