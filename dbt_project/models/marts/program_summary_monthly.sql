-- The whole programme in each month: every non-cancelled project of the cities certified that month.
with months as (
    select * from {{ ref('int_months') }}
),

certified as (
    select * from {{ ref('int_cities_certified_monthly') }}
),

project_months as (
    select * from {{ ref('int_projects_monthly') }}
    where not is_cancelled
),

cities as (
    select
        month,
        count(*) as certified_cities
    from certified
    group by month
),

projects as (
    select
        month,
        count(*) as projects,
        count(*) filter (where status = 'completed') as completed_projects,
        sum(budget_thb) as investment_value_thb,
        sum(spend_to_date_thb) as spend_to_date_thb,
        sum(budget_weighted_progress) as budget_weighted_progress,
        sum(budget_weighted_planned) as budget_weighted_planned
    from project_months
    group by month
),

final as (
    select
        cast(months.month as date) as month,
        cast(coalesce(cities.certified_cities, 0) as integer) as certified_cities,
        cast(coalesce(projects.projects, 0) as integer) as projects,
        cast(coalesce(projects.completed_projects, 0) as integer) as completed_projects,
        cast(100.0 * projects.completed_projects / nullif(projects.projects, 0) as double)
            as completed_projects_pct,
        cast(projects.budget_weighted_progress / nullif(projects.investment_value_thb, 0) as double)
            as progress_pct,
        cast(projects.budget_weighted_planned / nullif(projects.investment_value_thb, 0) as double)
            as planned_progress_pct,
        cast(
            100 * projects.budget_weighted_progress / nullif(projects.budget_weighted_planned, 0) as double
        ) as progress_vs_plan_pct,
        cast(coalesce(projects.investment_value_thb, 0) as decimal(38, 2)) as investment_value_thb,
        cast(coalesce(projects.spend_to_date_thb, 0) as decimal(38, 2)) as spend_to_date_thb
    from months
    left join cities on months.month = cities.month
    left join projects on months.month = projects.month
)

select * from final
