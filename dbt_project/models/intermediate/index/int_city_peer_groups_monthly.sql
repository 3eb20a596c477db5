-- The peer group of each certified city in each month, as it stood when the month was first published
-- (docs/index-methodology.md, step 2). The registry gives no date for a peer group, so a month takes the
-- registry version in force at its first publication, and a later change never alters it. A month not yet
-- published takes the version in force now; a month published before this history began takes the first
-- version received.
with certified as (
    select * from {{ ref('int_cities_certified_monthly') }}
),

versions as (
    select * from {{ ref('city_peer_group_history') }}
),

publications as (
    select * from {{ ref('stg_pipeline__publications') }}
),

months as (
    select distinct month from certified
),

-- Every publication covered every month up to its report_month.
first_publications as (
    select
        months.month,
        min(publications.published_at) as first_published_at
    from months
    left join publications on months.month <= publications.report_month
    group by months.month
),

-- Snapshot times are naive timestamps in the session's time zone (dbt-duckdb's now()::timestamp).
known as (
    select
        month,
        coalesce(cast(first_published_at as timestamp), cast(now() as timestamp)) as known_at
    from first_publications
),

final as (
    select
        certified.city_code,
        certified.month,
        versions.peer_group
    from certified
    inner join known on certified.month = known.month
    inner join versions on certified.city_code = versions.city_code
    qualify row_number() over (
        partition by certified.city_code, certified.month
        order by
            versions.dbt_valid_from <= known.known_at desc,
            case
                when versions.dbt_valid_from <= known.known_at then versions.dbt_valid_from
            end desc nulls last,
            versions.dbt_valid_from asc
    ) = 1
)

select * from final
