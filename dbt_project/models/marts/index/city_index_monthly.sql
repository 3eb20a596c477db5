-- The Thailand Smart City Competitiveness Index, by certified city and month (docs/index-methodology.md).
-- index_score is the weighted arithmetic mean of the pillars (weights in marts.index_weights). The headline
-- ranking is within the peer group (city-based or province-based, as the official index publishes it);
-- rank is overall. Only ranked cities get ranks; a city is not ranked when it has no active budget, has
-- never reported, or has been silent for var('index_unranked_after_silent_months') months. Bands, the
-- probability of leading the peer group and tiers come from the Monte Carlo over every modelling choice,
-- as computed (never widened). index_score_smoothed weighs the last three months 3:2:1 (as IMD smooths years).
{%- set weights = index_weights() %}
{%- set weighted = [] %}
{%- for pillar, weight in weights.items() if weight > 0 %}{% do weighted.append((pillar, weight)) %}{% endfor %}

{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

-- Incremental: the months from rebuild_from() on, with the two before them for the smoothing.
with pillars as (
    select * from {{ ref('int_city_index_pillars') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }} - interval 2 month
    {% endif %}
),

bands as (
    select * from {{ ref('int_city_index_rank_bands') }}
),

-- A score needs every weighted pillar: measured, or imputed for a ranked city.
scored as (
    select
        *,
        case when {% for pillar, _ in weighted %}{{ pillar }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
            then
            {%- for pillar, weight in weighted %}
                {{ weight }} * {{ pillar }}{% if not loop.last %} +{% endif %}
            {%- endfor %}
        end as index_score,
        case when {% for pillar, _ in weighted %}{{ pillar }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
            then exp(
            {%- for pillar, weight in weighted %}
                {{ weight }} * ln(greatest({{ pillar }}, 1)){% if not loop.last %} +{% endif %}
            {%- endfor %}
            )
        end as index_score_geometric
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
        case
            when ranked then rank() over (partition by month, ranked order by round(index_score, 9) desc)
        end as overall_rank,
        case
            when ranked
                then rank() over (partition by month, ranked, peer_group order by round(index_score, 9) desc)
        end as peer_rank
    from smoothed
),

final as (
    select
        cast(ranked.city_code as varchar) as city_code,
        cast(ranked.month as date) as month,
        cast(ranked.peer_group as varchar) as peer_group,
        {%- for pillar in index_pillars() %}
        cast(ranked.{{ pillar }} as double) as {{ pillar }},
        {%- endfor %}
        cast(ranked.index_score as double) as index_score,
        cast(ranked.ranked as boolean) as ranked,
        cast(ranked.not_ranked_reason as varchar) as not_ranked_reason,
        cast(ranked.peer_rank as integer) as rank_peer_group,
        cast(bands.rank_peer_group_p05 as integer) as rank_peer_group_p05,
        cast(bands.rank_peer_group_median as integer) as rank_peer_group_median,
        cast(bands.rank_peer_group_p95 as integer) as rank_peer_group_p95,
        cast(bands.prob_first_in_peer_group as double) as prob_first_in_peer_group,
        cast(bands.tier as integer) as tier,
        cast(ranked.overall_rank as integer) as rank,
        cast(bands.rank_p05 as integer) as rank_p05,
        cast(bands.rank_median as integer) as rank_median,
        cast(bands.rank_p95 as integer) as rank_p95,
        cast(ranked.months_since_report as integer) as months_since_report,
        cast(ranked.last_report_month as date) as last_report_month,
        cast(ranked.disbursement as double) as disbursement,
        cast(ranked.index_score_geometric as double) as index_score_geometric,
        cast(ranked.index_score_smoothed as double) as index_score_smoothed,
        cast(ranked.imputed_pillars as varchar []) as imputed_pillars,
        cast(ranked.latest_assessed_on as date) as plan_assessed_on,
        cast(bands.monte_carlo_nominal_rank as integer) as monte_carlo_nominal_rank,
        cast(bands.monte_carlo_nominal_rank_peer_group as integer) as monte_carlo_nominal_rank_peer_group,
        cast('{{ var("index_methodology_version") }}' as varchar) as methodology_version
    from ranked
    left join bands on ranked.city_code = bands.city_code and ranked.month = bands.month
    {% if is_incremental() %}
        where ranked.month >= {{ rebuild_from() }}
    {% endif %}
)

select * from final
