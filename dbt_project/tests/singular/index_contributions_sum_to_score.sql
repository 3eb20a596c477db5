-- Each city's pillar contributions add up to its index score (the explanation explains all of it).
with contributions as (
    select
        city_code,
        month,
        sum(contribution) as total
    from {{ ref('city_index_changes') }}
    group by city_code, month
)

select
    scores.city_code,
    scores.month
from {{ ref('city_index_monthly') }} as scores
inner join contributions on scores.city_code = contributions.city_code and scores.month = contributions.month
where abs(coalesce(scores.index_score, -1) - coalesce(contributions.total, -1)) > 1e-9
