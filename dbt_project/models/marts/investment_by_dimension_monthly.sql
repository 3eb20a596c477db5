-- Investment and progress by smart-city dimension and month, over the projects of certified cities whose
-- state is not cancelled. Every dimension has a row every month (zero when it has no projects).
with dimensions as (
    select * from {{ ref('dimensions') }}
),

months as (
    select * from {{ ref('int_months') }}
),

project_months as (
    select * from {{ ref('int_projects_monthly') }}
    where not is_cancelled
),

rolled_up as (
    select
        dimension_code,
        month,
        count(*) as projects,
        count(*) filter (where status = 'completed') as completed_projects,
        sum(budget_thb) as investment_value_thb,
        sum(spend_to_date_thb) as spend_to_date_thb,
        sum(budget_weighted_progress) as budget_weighted_progress
    from project_months
    group by dimension_code, month
),

final as (
    select
        cast(dimensions.dimension_code as varchar) as dimension_code,
        cast(months.month as date) as month,
        cast(dimensions.name_en as varchar) as dimension_name_en,
        cast(dimensions.name_th as varchar) as dimension_name_th,
        cast(coalesce(rolled_up.projects, 0) as integer) as projects,
        cast(coalesce(rolled_up.completed_projects, 0) as integer) as completed_projects,
        cast(coalesce(rolled_up.investment_value_thb, 0) as decimal(38, 2)) as investment_value_thb,
        cast(coalesce(rolled_up.spend_to_date_thb, 0) as decimal(38, 2)) as spend_to_date_thb,
        cast(rolled_up.budget_weighted_progress / nullif(rolled_up.investment_value_thb, 0) as double)
            as progress_pct
    from dimensions
    cross join months
    left join rolled_up
        on
            dimensions.dimension_code = rolled_up.dimension_code
            and months.month = rolled_up.month
)

select * from final
