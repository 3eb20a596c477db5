with source as (
    select * from {{ source('registry', 'projects') }}
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
        funding_source
    from source
)

select * from renamed
