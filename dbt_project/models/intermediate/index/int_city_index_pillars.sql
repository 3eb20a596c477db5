-- The pillars of the Thailand Smart City Competitiveness Index for each certified city and month, on fixed
-- 0-100 goalposts, with who is ranked and why not (docs/index-methodology.md, steps 1-3).
-- Every input is as of the month: the state of each project as of M, the plan assessments dated on or before
-- the end of M, the peer group as M was first published, the reports accepted for months up to M.
-- A cancelled project stays in its plan at 0 % done, so cancelling never raises a pillar. A ranked city whose
-- schedule or plan quality cannot be measured takes its peer group's median (flagged); a city that is not
-- ranked is never imputed.
-- Incremental: a run rebuilds the months from rebuild_from() on (each month reads its own month, the two
-- before it for the reporting window, and the reports up to it).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

with certified_window as (
    select * from {{ ref('int_cities_certified_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }} - interval 2 month
    {% endif %}
),

certified as (
    select * from certified_window
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

project_months as (
    select * from {{ ref('int_projects_monthly') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

peer_groups as (
    select * from {{ ref('int_city_peer_groups_monthly') }}
),

plan_quality as (
    select * from {{ ref('int_city_plan_quality_monthly') }}
),

quality as (
    select * from {{ ref('int_city_reporting_monthly') }}
),

accepted_reports as (
    select distinct
        city_code,
        report_month
    from {{ ref('int_submissions_current') }}
),

-- The whole plan as certified: cancelled projects keep their budget and plan, and count as not done.
plans as (
    select
        city_code,
        month,
        sum(budget_thb) as plan_budget_thb,
        coalesce(sum(budget_thb) filter (where not is_cancelled), 0) as active_budget_thb,
        coalesce(sum(budget_weighted_progress) filter (where not is_cancelled), 0) as earned,
        sum(budget_weighted_planned) as planned,
        coalesce(sum(spend_to_date_thb) filter (where not is_cancelled), 0) as active_spend_thb,
        count(distinct dimension_code) filter (where not is_cancelled) as dimensions
    from project_months
    group by city_code, month
),

-- Months since the city's last accepted report for a month up to M (0: it reported M itself).
last_reports as (
    select
        certified.city_code,
        certified.month,
        accepted_reports.report_month as last_report_month
    from certified
    asof left join accepted_reports
        on
            certified.city_code = accepted_reports.city_code
            and certified.month >= accepted_reports.report_month
),

-- The reporting window: the months from M-2 to M in which the city could report, i.e. inside the
-- warehouse's months and certified (the certified months are exactly those).
reporting as (
    select
        certified.city_code,
        certified.month,
        count(*) as months_due,
        count(*) filter (where quality.on_time) as months_on_time,
        coalesce(sum(quality.rows_accepted + quality.rows_superseded), 0) as rows_valid,
        coalesce(sum(quality.rows_received), 0) as rows_received
    from certified
    inner join certified_window as due
        on
            certified.city_code = due.city_code
            and due.month between certified.month - interval 2 month and certified.month
    left join quality on due.city_code = quality.city_code and due.month = quality.month
    group by certified.city_code, certified.month
),

measured as (
    select
        certified.city_code,
        certified.month,
        peer_groups.peer_group,
        plans.active_budget_thb,
        last_reports.last_report_month,
        date_diff('month', last_reports.last_report_month, certified.month) as months_since_report,
        plan_quality.components_assessed,
        plan_quality.latest_assessed_on,
        cast(plans.earned / nullif(plans.plan_budget_thb, 0) as double) as progress,
        {{ clamp('100 * plans.earned / nullif(plans.planned, 0)', 0, 100) }} as schedule,
        {{ clamp('plan_quality.plan_quality_score', 0, 100) }} as plan_quality,
        100 * (
            0.5 * coalesce(reporting.rows_valid / nullif(reporting.rows_received, 0), 0)
            + 0.5 * reporting.months_on_time / reporting.months_due
        ) as reporting,
        100.0 * coalesce(plans.dimensions, 0) / 7 as coverage,
        {{ clamp('cast(100 * plans.active_spend_thb / nullif(plans.plan_budget_thb, 0) as double)', 0, 100) }}
            as disbursement
    from certified
    inner join peer_groups
        on certified.city_code = peer_groups.city_code and certified.month = peer_groups.month
    inner join reporting
        on certified.city_code = reporting.city_code and certified.month = reporting.month
    inner join last_reports
        on certified.city_code = last_reports.city_code and certified.month = last_reports.month
    left join plans
        on certified.city_code = plans.city_code and certified.month = plans.month
    left join plan_quality
        on certified.city_code = plan_quality.city_code and certified.month = plan_quality.month
),

eligibility as (
    select
        measured.*,
        case
            when coalesce(measured.active_budget_thb, 0) <= 0 then 'no_active_budget'
            when measured.months_since_report is null then 'never_reported'
            when measured.months_since_report >= {{ var('index_unranked_after_silent_months') }} then 'silent'
        end as not_ranked_reason
    from measured
),

-- Imputation rests on the ranked cities only.
peer_medians as (
    select
        month,
        peer_group,
        median(schedule) as schedule,
        median(plan_quality) as plan_quality
    from eligibility
    where not_ranked_reason is null
    group by month, peer_group
),

overall_medians as (
    select
        month,
        median(schedule) as schedule,
        median(plan_quality) as plan_quality
    from eligibility
    where not_ranked_reason is null
    group by month
),

final as (
    select
        eligibility.city_code,
        eligibility.month,
        eligibility.peer_group,
        eligibility.not_ranked_reason,
        eligibility.months_since_report,
        eligibility.last_report_month,
        eligibility.active_budget_thb,
        eligibility.components_assessed,
        eligibility.latest_assessed_on,
        eligibility.progress,
        eligibility.reporting,
        eligibility.coverage,
        eligibility.schedule as schedule_measured,
        eligibility.plan_quality as plan_quality_measured,
        eligibility.disbursement,
        eligibility.not_ranked_reason is null as ranked,
        case
            when eligibility.not_ranked_reason is null
                then coalesce(eligibility.schedule, peer_medians.schedule, overall_medians.schedule, 0)
            else eligibility.schedule
        end as schedule,
        case
            when eligibility.not_ranked_reason is null
                then coalesce(
                    eligibility.plan_quality, peer_medians.plan_quality, overall_medians.plan_quality, 0
                )
            else eligibility.plan_quality
        end as plan_quality,
        -- noqa: disable=RF02
        case
            when eligibility.not_ranked_reason is null
                then list_filter(
                    [
                        case when eligibility.schedule is null then 'schedule' end,
                        case when eligibility.plan_quality is null then 'plan_quality' end
                    ],
                    lambda pillar: pillar is not null
                )
            else []
        end as imputed_pillars
        -- noqa: enable=RF02
    from eligibility
    left join peer_medians
        on eligibility.month = peer_medians.month and eligibility.peer_group = peer_medians.peer_group
    left join overall_medians on eligibility.month = overall_medians.month
)

select * from final
