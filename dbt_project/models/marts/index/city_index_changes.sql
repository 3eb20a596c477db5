-- What moved each city's index score (OECD/JRC handbook step 8, back to the data): for each city, month and
-- pillar, the pillar's contribution to the score (weight x pillar; the contributions sum to index_score)
-- and its change from the month before (NULL when the city had no score in the month before).
-- Incremental: the months from rebuild_from() on, each compared with the month before it.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}
{%- set weights = index_weights() %}

with scores as (
    select * from {{ ref('city_index_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }} - interval 1 month
    {% endif %}
),

contributions as (
    {%- for pillar, weight in weights.items() %}
        select
            city_code,
            month,
            '{{ pillar }}' as pillar,
            {{ loop.index }} as sort_order,
            {{ weight }} as weight,
            {{ pillar }} as pillar_value,
            case when index_score is not null then {{ weight }} * {{ pillar }} end as contribution
        from scores
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

changes as (
    select
        *,
        case
            when lag(month) over previous = month - interval 1 month
                then contribution - lag(contribution) over previous
        end as change_from_previous_month
    from contributions
    window previous as (partition by city_code, pillar order by month)
),

final as (
    select
        cast(city_code as varchar) as city_code,
        cast(month as date) as month,
        cast(pillar as varchar) as pillar,
        cast(sort_order as integer) as sort_order,
        cast(weight as double) as weight,
        cast(pillar_value as double) as pillar_value,
        cast(contribution as double) as contribution,
        cast(change_from_previous_month as double) as change_from_previous_month
    from changes
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
)

select * from final
