-- The registry's projects, and those that left it (removed_from: the first month without them; NULL for a
-- project in the registry).
with source as (
    select
        *,
        cast(null as date) as removed_from
    from {{ source('registry', 'projects') }}
),

removed as (
    select * from {{ source('registry', 'removed_projects') }}
),

renamed as (
    select
        project_code,
        city_code,
        dimension_code,
        name_th,
        name_en,
        cast(budget_thb as decimal(18, 2)) as budget_thb,
        planned_start,
        planned_end,
        funding_source,
        removed_from
    from source
    union all
    select
        project_code,
        city_code,
        dimension_code,
        name_th,
        name_en,
        cast(budget_thb as decimal(18, 2)) as budget_thb,
        planned_start,
        planned_end,
        funding_source,
        removed_from
    from removed
)

select * from renamed
