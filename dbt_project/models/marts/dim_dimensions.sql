-- The 7 smart-city dimensions, for BI tools to label figures in English or Thai.
with dimensions as (
    select * from {{ ref('dimensions') }}
),

final as (
    select
        cast(dimension_code as varchar) as dimension_code,
        cast(name_en as varchar) as name_en,
        cast(name_th as varchar) as name_th,
        cast(sort_order as integer) as sort_order
    from dimensions
)

select * from final
