-- The cities certified in each month: registry status certified, effective by the end of the month.
with cities as (
    select * from {{ ref('stg_registry__cities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        cities.city_code,
        months.month
    from cities
    cross join months
    where
        cities.status = 'certified'
        and cities.status_since <= last_day(months.month)
)

select * from final
