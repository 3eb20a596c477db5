-- The contract's transform in one script: state as of each month with carry-forward, planned progress,
-- city x month figures with ranks, and the programme summary.
create or replace table months as
select cast(m as date) as month
from generate_series(
    (select cast(min(month) as timestamp) from accepted), (select cast(max(month) as timestamp) from accepted),
    interval 1 month
) as t (m);
create or replace table current_rows as
select * from accepted
qualify row_number() over (partition by project_code, month order by submitted desc) = 1;
create or replace table project_months as
with grid as (
    select p.project_code, p.city_code, cast(p.budget_thb as decimal(18, 2)) as budget,
        cast(p.planned_start || '-01' as date) as ps, cast(p.planned_end || '-01' as date) as pe, m.month
    from projects p cross join months m
),
state as (
    select g.*, coalesce(c.progress, 0) as progress, coalesce(c.spend, 0) as spend,
        coalesce(c.status, 'not_started') as status
    from grid g asof left join current_rows c on g.project_code = c.project_code and g.month >= c.month
)
select *,
    case when month < ps then 0.0 when month >= pe then 100.0
        else 100.0 * (date_diff('month', ps, month) + 1) / (date_diff('month', ps, pe) + 1) end as planned
from state where status != 'cancelled';
create or replace table city_progress as
select city_code, month, count(*) as projects, count(*) filter (where status = 'completed') as completed,
    sum(budget) as budget, sum(spend) as spend, sum(budget * progress) / nullif(sum(budget), 0) as progress_pct,
    100 * sum(budget * progress) / nullif(sum(budget * planned), 0) as progress_vs_plan_pct,
    rank() over (partition by month order by sum(budget * progress) / nullif(sum(budget), 0) desc) as rank_progress
from project_months group by city_code, month;
create or replace table program_summary as
select month, count(*) as certified_cities, sum(projects) as projects, sum(completed) as completed,
    sum(budget) as investment, sum(spend) as spend
from city_progress group by month;
