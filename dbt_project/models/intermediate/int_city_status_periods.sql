-- Each city's statuses as periods: a status holds from its status_since until the next status takes effect.
-- Built from every registry received (the snapshot), so a city certified in 2021 that lapsed in 2024 counts
-- as certified until its lapse. Of two versions with the same status_since, the one received later wins.
-- A city that left the registry ends with a 'removed' period from the first month not published when it
-- left: the months published before keep it, the later ones do not.
with history as (
    select * from {{ ref('city_status_history') }}
),

cities as (
    select * from {{ ref('stg_registry__cities') }}
),

removals as (
    select
        city_code,
        removed_from
    from cities
    where removed_from is not null
),

versions as (
    select
        history.city_code,
        history.status,
        history.status_since
    from history
    left join removals on history.city_code = removals.city_code
    where removals.removed_from is null or history.status_since < removals.removed_from
    qualify
        row_number() over (
            partition by history.city_code, history.status_since order by history.dbt_valid_from desc
        ) = 1
    union all
    select
        city_code,
        'removed' as status,
        removed_from as status_since
    from removals
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
