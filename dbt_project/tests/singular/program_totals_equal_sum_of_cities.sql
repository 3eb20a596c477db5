-- The programme's totals are the sums over its cities, month by month.
with cities as (
    select
        month,
        count(*) as certified_cities,
        sum(projects) as projects,
        sum(completed_projects) as completed_projects,
        sum(budget_thb) as investment_value_thb,
        sum(spend_to_date_thb) as spend_to_date_thb
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
    or program.investment_value_thb != coalesce(cities.investment_value_thb, 0)
    or program.spend_to_date_thb != coalesce(cities.spend_to_date_thb, 0)
