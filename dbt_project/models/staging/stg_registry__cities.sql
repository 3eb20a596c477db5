with source as (
    select * from {{ source('registry', 'cities') }}
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
        status_since
    from source
)

select * from renamed
