-- The six pillars of the Thailand Smart City Competitiveness Index for each certified city and month,
-- each normalised to 0-100 against fixed goalposts (docs/index-methodology.md), with the missing-data rule:
-- a pillar that cannot be measured takes the median of its peer group that month, and is flagged.
with progress as (
    select * from {{ ref('city_progress_monthly') }}
),

cities as (
    select * from {{ ref('stg_registry__cities') }}
),

project_months as (
    select * from {{ ref('int_projects_monthly') }}
    where not is_cancelled
),

plan_quality as (
    select * from {{ ref('int_city_plan_quality') }}
),

quality as (
    select * from {{ ref('city_quality_monthly') }}
),

coverage as (
    select
        city_code,
        month,
        count(distinct dimension_code) as dimensions
    from project_months
    group by city_code, month
),

-- Reporting over the trailing three months (M-2 to M): half the share of rows that passed the checks,
-- half the share of months reported on time.
reporting as (
    select
        progress.city_code,
        progress.month,
        coalesce(sum(quality.rows_accepted + quality.rows_superseded), 0) as rows_valid,
        coalesce(sum(quality.rows_received), 0) as rows_received,
        count(*) filter (where quality.on_time) as months_on_time
    from progress
    left join quality
        on
            progress.city_code = quality.city_code
            and quality.month between progress.month - interval 2 month and progress.month
    group by progress.city_code, progress.month
),

measured as (
    select
        progress.city_code,
        progress.month,
        cities.peer_group,
        {{ clamp('progress.progress_pct', 0, 100) }} as progress,
        {{ clamp('progress.progress_vs_plan_pct', 0, 100) }} as schedule,
        {{ clamp('100 * progress.spend_to_date_thb / nullif(progress.budget_thb, 0)', 0, 100) }}
            as investment,
        {{ clamp('plan_quality.plan_quality_score', 0, 100) }} as plan_quality,
        100 * (
            0.5 * coalesce(reporting.rows_valid / nullif(reporting.rows_received, 0), 0)
            + 0.5 * reporting.months_on_time / 3
        ) as reporting,
        100.0 * coalesce(coverage.dimensions, 0) / 7 as coverage
    from progress
    inner join cities on progress.city_code = cities.city_code
    left join plan_quality on progress.city_code = plan_quality.city_code
    left join coverage on progress.city_code = coverage.city_code and progress.month = coverage.month
    left join reporting on progress.city_code = reporting.city_code and progress.month = reporting.month
),

peer_medians as (
    select
        month,
        peer_group,
        median(progress) as progress,
        median(schedule) as schedule,
        median(investment) as investment,
        median(plan_quality) as plan_quality
    from measured
    group by month, peer_group
),

final as (
    select
        measured.city_code,
        measured.month,
        measured.peer_group,
        measured.reporting,
        measured.coverage,
        coalesce(measured.progress, peer_medians.progress, 0) as progress,
        coalesce(measured.schedule, peer_medians.schedule, 0) as schedule,
        coalesce(measured.investment, peer_medians.investment, 0) as investment,
        coalesce(measured.plan_quality, peer_medians.plan_quality, 0) as plan_quality,
        -- noqa: disable=RF02
        list_filter(
            [
                case when measured.progress is null then 'progress' end,
                case when measured.schedule is null then 'schedule' end,
                case when measured.investment is null then 'investment' end,
                case when measured.plan_quality is null then 'plan_quality' end
            ],
            lambda pillar: pillar is not null
        ) as imputed_pillars
        -- noqa: enable=RF02
    from measured
    left join peer_medians
        on measured.month = peer_medians.month and measured.peer_group = peer_medians.peer_group
)

select * from final
