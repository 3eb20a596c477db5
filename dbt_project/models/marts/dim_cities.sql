-- Every city of the registry (certified or not), and every city that left it (removed_from), for BI tools
-- to join names and groups to the figures.
with cities as (
    select * from {{ ref('stg_registry__cities') }}
),

periods as (
    select * from {{ ref('int_city_status_periods') }}
),

certification as (
    select
        city_code,
        min(effective_from) filter (where status = 'certified') as first_certified_on
    from periods
    group by city_code
),

final as (
    select
        cast(cities.city_code as varchar) as city_code,
        cast(cities.name_th as varchar) as name_th,
        cast(cities.name_en as varchar) as name_en,
        cast(cities.province_code as varchar) as province_code,
        cast(cities.operator_name as varchar) as operator_name,
        cast(cities.operator_type as varchar) as operator_type,
        cast(cities.city_type as varchar) as city_type,
        cast(cities.peer_group as varchar) as peer_group,
        cast(cities.status as varchar) as status,
        cast(cities.status_since as date) as status_since,
        cast(certification.first_certified_on as date) as first_certified_on,
        cast(cities.status = 'certified' and cities.removed_from is null as boolean) as is_certified,
        cast(cities.removed_from as date) as removed_from
    from cities
    left join certification on cities.city_code = certification.city_code
)

select * from final
