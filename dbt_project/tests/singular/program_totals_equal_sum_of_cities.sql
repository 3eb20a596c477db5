-- The programme's counts are the sums over its cities, month by month. (Its money, investment and spend, is
-- checked once, by the marts suite at audit_marts: expectations/marts.json, total_matches_cities.)
with cities as (
    select
        month,
        count(*) as certified_cities,
        sum(projects) as projects,
        sum(completed_projects) as completed_projects
    from {{ ref('city_progress_monthly') }}
    group by month
)

select program.month
from {{ ref('program_summary_monthly') }} as program
left join cities on program.month = cities.month
where
    program.certified_cities != coalesce(cities.certified_cities, 0)
    or program.projects != coalesce(cities.projects, 0)
    or program.completed_projects != coalesce(cities.completed_projects, 0)
