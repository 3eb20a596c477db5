-- Step 4 of the OECD/JRC handbook, done every month: the correlation of every pair of pillars over the
-- month's ranked cities, Pearson and Spearman (Pearson of average ranks), with the monitored disbursement
-- rate beside them (merged into progress in methodology version 2; kept here so the decision is re-audited).
-- Incremental: a run recomputes the months from rebuild_from() on.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}
{%- set indicators = index_pillars() + ['disbursement'] %}

with pillars as (
    select * from {{ ref('int_city_index_pillars') }}
    where
        ranked
        {% if is_incremental() %}
            and month >= {{ rebuild_from() }}
        {% endif %}
),

long_values as (
    {%- for indicator in indicators %}
        select
            city_code,
            month,
            '{{ indicator }}' as indicator,
            {{ loop.index }} as sort_order,
            cast({{ indicator }} as double) as indicator_value
        from pillars
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- Average ranks (ties share the mean of their positions), for Spearman's coefficient.
ranked_values as (
    select
        *,
        rank() over same_indicator
        + (count(*) over (partition by month, indicator, indicator_value) - 1) / 2.0 as average_rank
    from long_values
    window same_indicator as (partition by month, indicator order by indicator_value)
),

pairs as (
    select
        a.month,
        a.indicator as pillar_a,
        b.indicator as pillar_b,
        a.sort_order as sort_a,
        b.sort_order as sort_b,
        -- From exact sums: the same digits whatever the threads (NULL when one of the two does not vary).
        {{ exact_corr('a.indicator_value', 'b.indicator_value') }} as pearson,
        {{ exact_corr('a.average_rank', 'b.average_rank') }} as spearman,
        count(*) as cities
    from ranked_values as a
    inner join ranked_values as b
        on a.city_code = b.city_code and a.month = b.month and a.sort_order < b.sort_order
    group by a.month, a.indicator, b.indicator, a.sort_order, b.sort_order
),

final as (
    select
        cast(month as date) as month,
        cast(pillar_a as varchar) as pillar_a,
        cast(pillar_b as varchar) as pillar_b,
        cast(pearson as double) as pearson,
        cast(spearman as double) as spearman,
        cast(cities as integer) as cities
    from pairs
)

select * from final
