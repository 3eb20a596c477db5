-- marts.city_index_monthly for BI tools: names beside the code, the list of imputed pillars as text (a
-- list type is unknown to most BI drivers), and the change of score and peer-group rank since the month
-- before.
-- Incremental: the months from rebuild_from() on, read with the month before them for the changes (names
-- change only with the registry, which rebuilds everything).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with city_index as (
    select * from {{ ref('city_index_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }} - interval 1 month
    {% endif %}
),

cities as (
    select * from {{ ref('dim_cities') }}
),

final as (
    select
        city_index.city_code,
        cities.name_th as city_name_th,
        cities.name_en as city_name_en,
        city_index.month,
        city_index.peer_group,
        city_index.index_score,
        city_index.ranked,
        city_index.not_ranked_reason,
        city_index.rank_peer_group,
        city_index.rank_peer_group_p05,
        city_index.rank_peer_group_p95,
        city_index.prob_first_in_peer_group,
        city_index.tier,
        city_index.rank,
        city_index.rank_p05,
        city_index.rank_p95,
        city_index.progress,
        city_index.schedule,
        city_index.plan_quality,
        city_index.reporting,
        city_index.coverage,
        city_index.disbursement,
        city_index.months_since_report,
        city_index.methodology_version,
        cast(array_to_string(city_index.imputed_pillars, ', ') as varchar) as imputed_pillars,
        city_index.index_score
        - lag(city_index.index_score) over by_city as index_score_change,
        -- Positive: the city climbed in its peer group (a smaller rank number).
        lag(city_index.rank_peer_group) over by_city - city_index.rank_peer_group as rank_change
    from city_index
    left join cities on city_index.city_code = cities.city_code
    window by_city as (partition by city_index.city_code order by city_index.month)
)

select * from final
{% if is_incremental() %}
    where month >= {{ rebuild_from() }}
{% endif %}
