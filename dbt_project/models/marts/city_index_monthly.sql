-- The Thailand Smart City Competitiveness Index, by certified city and month (docs/index-methodology.md).
-- index_score is the weighted arithmetic mean of the six pillars (weights in marts.index_weights);
-- rank is overall, rank_peer_group within the city- or province-based ranking; the rank band comes from
-- the Monte Carlo over the weights. index_score_smoothed weighs the last three months 3:2:1 (as IMD
-- smooths years), over the months available.
{%- set weights = index_weights() %}

with pillars as (
    select * from {{ ref('int_city_index_pillars') }}
),

bands as (
    select * from {{ ref('int_city_index_rank_bands') }}
),

scored as (
    select
        *,
        {%- for pillar, weight in weights.items() %}
            {{ weight }} * {{ pillar }}{% if not loop.last %} +{% endif %}
        {%- endfor %} as index_score,
        exp(
            {%- for pillar, weight in weights.items() if weight > 0 %}
                {{ weight }} * ln(greatest({{ pillar }}, 1)){% if not loop.last %} +{% endif %}
            {%- endfor %}
        ) as index_score_geometric
    from pillars
),

smoothed as (
    select
        *,
        (
            3 * index_score
            + 2 * coalesce(lag(index_score, 1) over recent, 0)
            + 1 * coalesce(lag(index_score, 2) over recent, 0)
        ) / (
            3
            + case when lag(index_score, 1) over recent is null then 0 else 2 end
            + case when lag(index_score, 2) over recent is null then 0 else 1 end
        ) as index_score_smoothed
    from scored
    window recent as (partition by city_code order by month)
),

ranked as (
    select
        *,
        rank() over (partition by month order by round(index_score, 9) desc) as overall_rank,
        rank() over (partition by month, peer_group order by round(index_score, 9) desc) as peer_rank
    from smoothed
),

final as (
    select
        cast(ranked.city_code as varchar) as city_code,
        cast(ranked.month as date) as month,
        cast(ranked.peer_group as varchar) as peer_group,
        cast(ranked.progress as double) as progress,
        cast(ranked.schedule as double) as schedule,
        cast(ranked.investment as double) as investment,
        cast(ranked.plan_quality as double) as plan_quality,
        cast(ranked.reporting as double) as reporting,
        cast(ranked.coverage as double) as coverage,
        cast(ranked.index_score as double) as index_score,
        cast(ranked.overall_rank as integer) as rank,
        cast(ranked.peer_rank as integer) as rank_peer_group,
        -- The band always contains the nominal rank: where the draws' 5th-95th percentile range misses it
        -- (rare, at ties), it is widened to include it.
        cast(least(bands.rank_p05, ranked.overall_rank) as integer) as rank_p05,
        cast(bands.rank_median as integer) as rank_median,
        cast(greatest(bands.rank_p95, ranked.overall_rank) as integer) as rank_p95,
        cast(ranked.index_score_geometric as double) as index_score_geometric,
        cast(ranked.index_score_smoothed as double) as index_score_smoothed,
        cast(ranked.imputed_pillars as varchar []) as imputed_pillars
    from ranked
    inner join bands on ranked.city_code = bands.city_code and ranked.month = bands.month
)

select * from final
