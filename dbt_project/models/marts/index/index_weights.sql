-- The index's pillars as configured for this build, as published (from int_index_weights, which the index's
-- Python models read too), so that anyone can recompute a city's score from marts.city_index_monthly.
select
    pillar,
    sort_order,
    weight,
    intended_importance,
    definition,
    goalpost_low,
    goalpost_high,
    direction,
    methodology_version
from {{ ref('int_index_weights') }}
