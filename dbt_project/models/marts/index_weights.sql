-- The index's pillars as configured for this build: weight (normalised to sum 1), goalposts and direction.
-- Published so that anyone can recompute a city's score from marts.city_index_monthly.
{%- set weights = index_weights() %}

with pillars as (
    select *
    from (
        values
        ('progress', 1, 'Budget-weighted physical progress of the city''s projects', 0.0, 100.0),
        ('schedule', 2, 'Progress against plan: 100 x earned / planned value, capped at 100', 0.0, 100.0),
        ('investment', 3, 'Disbursement: 100 x spend to date / planned investment, capped at 100', 0.0, 100.0),
        ('plan_quality', 4, 'Mean of the latest scores of the plan''s 5 assessed components', 0.0, 100.0),
        ('reporting', 5, 'Half valid rows share, half on-time months share, over the last 3 months', 0.0, 100.0),
        ('coverage', 6, 'Share of the 7 smart-city dimensions the active projects cover', 0.0, 100.0)
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
        cast(definition as varchar) as definition,
        cast(goalpost_low as double) as goalpost_low,
        cast(goalpost_high as double) as goalpost_high,
        cast('higher is better' as varchar) as direction
    from pillars
)

select * from final
