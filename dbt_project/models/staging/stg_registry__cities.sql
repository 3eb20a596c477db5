-- The registry's cities, and those that left it (kept so that the months published before keep their
-- figures; removed_from is the first month without them, NULL for a city in the registry).
with source as (
    select
        *,
        cast(null as date) as removed_from
    from {{ source('registry', 'cities') }}
),

removed as (
    select * from {{ source('registry', 'removed_cities') }}
),

renamed as (
    select
        city_code,
        name_th,
        name_en,
        province_code,
        operator_name,
        operator_type,
        city_type,
        peer_group,
        status,
        status_since,
        removed_from
    from source
    union all
    select
        city_code,
        name_th,
        name_en,
        province_code,
        operator_name,
        operator_type,
        city_type,
        peer_group,
        status,
        status_since,
        removed_from
    from removed
)

select * from renamed
