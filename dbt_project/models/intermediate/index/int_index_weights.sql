-- The index's pillars as configured for this build: the weight of each in the weighted mean (normalised to
-- sum 1), the importance it is meant to have (the weight audit compares the two), goalposts and direction.
-- Published so that anyone can recompute a city's score from marts.city_index_monthly.
{%- set weights = index_weights() %}
{%- set intended = index_weights('index_intended_importance') %}

with pillars as (
    select *
    from (
        values
        ('progress', 1, 'Delivery of the whole plan: budget-weighted physical progress, cancelled projects at 0 %', 0.0, 100.0),
        ('schedule', 2, 'Progress against plan: 100 x earned / planned value of the whole plan, capped at 100', 0.0, 100.0),
        ('plan_quality', 3, 'Mean of the latest scores of the plan''s 5 components assessed by the end of the month', 0.0, 100.0),
        ('reporting', 4, 'Half valid rows share, half on-time share, over the months of the last 3 the city could report in', 0.0, 100.0),
        ('coverage', 5, 'Share of the 7 smart-city dimensions the active projects cover', 0.0, 100.0)
    ) as pillar_table (pillar, sort_order, definition, goalpost_low, goalpost_high)
),

final as (
    select
        cast(pillar as varchar) as pillar,
        cast(sort_order as integer) as sort_order,
        cast(
            case pillar
                {%- for pillar, weight in weights.items() %}
                    when '{{ pillar }}' then {{ weight }}
                {%- endfor %}
            end as double
        ) as weight,
        cast(
            case pillar
                {%- for pillar, weight in intended.items() %}
                    when '{{ pillar }}' then {{ weight }}
                {%- endfor %}
            end as double
        ) as intended_importance,
        cast(definition as varchar) as definition,
        cast(goalpost_low as double) as goalpost_low,
        cast(goalpost_high as double) as goalpost_high,
        cast('higher is better' as varchar) as direction,
        cast('{{ var("index_methodology_version") }}' as varchar) as methodology_version
    from pillars
)

select * from final
