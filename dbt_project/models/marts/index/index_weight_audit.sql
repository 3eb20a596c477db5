-- The weight audit (OECD/JRC handbook step 4, acted on in step 6): for each month and pillar, the nominal
-- weight, the importance the pillar is meant to have, and its effective weight, the share of the variance of
-- the index score it explains: the correlation ratio of Paruolo, Saisana and Saltelli (2013), estimated by a
-- linear fit (the squared Pearson correlation of pillar and score over the month's ranked cities),
-- normalised over the weighted pillars. Incremental: the months from rebuild_from() on.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with scores as (
    select * from {{ ref('city_index_monthly') }}
    where
        ranked
        {% if is_incremental() %}
            and month >= {{ rebuild_from() }}
        {% endif %}
),

weights as (
    select * from {{ ref('int_index_weights') }}
),

long_values as (
    {%- for pillar in index_pillars() %}
        select
            city_code,
            month,
            index_score,
            '{{ pillar }}' as pillar,
            {{ pillar }} as pillar_value
        from scores
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ratios as (
    select
        month,
        pillar,
        -- From exact sums, so the digits never depend on the threads; a pillar (or score) on which every
        -- city is equal explains nothing.
        coalesce(power({{ exact_corr('pillar_value', 'index_score') }}, 2), 0) as correlation_ratio,
        count(*) as cities
    from long_values
    group by month, pillar
),

weighted_totals as (
    select
        ratios.month,
        sum(ratios.correlation_ratio order by ratios.pillar) as total
    from ratios
    inner join weights on ratios.pillar = weights.pillar
    where weights.weight > 0
    group by ratios.month
),

final as (
    select
        cast(ratios.month as date) as month,
        cast(ratios.pillar as varchar) as pillar,
        cast(weights.weight as double) as nominal_weight,
        cast(weights.intended_importance as double) as intended_importance,
        cast(ratios.correlation_ratio as double) as correlation_ratio,
        cast(
            case when weights.weight > 0 then ratios.correlation_ratio / nullif(weighted_totals.total, 0) end
            as double
        ) as effective_weight,
        cast(ratios.cities as integer) as cities
    from ratios
    inner join weights on ratios.pillar = weights.pillar
    left join weighted_totals on ratios.month = weighted_totals.month
)

select * from final
