-- Every city of the registry (certified or not), for BI tools to join names and groups to the figures.
with cities as (
    select * from {{ ref('stg_registry__cities') }}
),

final as (
    select
        cast(city_code as varchar) as city_code,
        cast(name_th as varchar) as name_th,
        cast(name_en as varchar) as name_en,
        cast(province_code as varchar) as province_code,
        cast(operator_name as varchar) as operator_name,
        cast(operator_type as varchar) as operator_type,
        cast(city_type as varchar) as city_type,
        cast(peer_group as varchar) as peer_group,
        cast(status as varchar) as status,
        cast(status_since as date) as status_since
    from cities
)

select * from final
