-- Each city's statuses as periods: a status holds from its status_since until the next status takes effect.
-- Built from every registry received (the snapshot), so a city certified in 2021 that lapsed in 2024 counts
-- as certified until its lapse. Of two versions with the same status_since, the one received later wins.
with history as (
    select * from {{ ref('city_status_history') }}
),

versions as (
    select
        city_code,
        status,
        status_since
    from history
    qualify row_number() over (partition by city_code, status_since order by dbt_valid_from desc) = 1
),

final as (
    select
        city_code,
        status,
        status_since as effective_from,
        lead(status_since) over (partition by city_code order by status_since) as effective_to
    from versions
)

select * from final
