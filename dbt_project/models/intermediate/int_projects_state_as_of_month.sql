-- The state of every project as of every month: its current row with the latest report_month <= month,
-- carried forward; a project never reported is at 0 %, 0 baht, not_started.
-- Incremental: a run rebuilds only the months from rebuild_from() on (the earliest month its new rows
-- can change, late rows included); the pipeline asks for a full refresh when the registry or models change.
-- It reads only the reports that can be a rebuilt month's state: those of the rebuilt months, and the state
-- as of the month before them as the last build left it (earlier report months cannot change), instead of
-- every report ever sent.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
) }}

with projects as (
    select * from {{ ref('stg_registry__projects') }}
),

months as (
    select * from {{ ref('int_months') }}
    {% if is_incremental() %}
        where month >= {{ rebuild_from() }}
    {% endif %}
),

current_rows as (
    select
        project_code,
        report_month,
        progress_pct,
        spend_to_date_thb,
        status,
        obstacles
    from {{ ref('int_submissions_current') }}
    where
        not is_superseded
        {% if is_incremental() %}
            -- Reports of months before the spine's first month too: no built month holds their state
            -- when the rebuild starts at that first month.
            and (
                report_month >= {{ rebuild_from() }}
                or report_month < (select min(spine.month) from {{ ref('int_months') }} as spine)
            )
        {% endif %}
    {% if is_incremental() %}
        union all
        -- Each project's state as of the month before the first rebuilt one: its latest report before
        -- rebuild_from(), as the last build left it.
        select
            project_code,
            state_report_month as report_month,
            progress_pct,
            spend_to_date_thb,
            status,
            obstacles
        from {{ this }}
        where month = {{ rebuild_from() }} - interval 1 month and has_report
    {% endif %}
),

project_months as (
    select
        projects.project_code,
        months.month
    from projects
    cross join months
),

as_of as (
    select
        project_months.project_code,
        project_months.month,
        current_rows.report_month as state_report_month,
        current_rows.progress_pct,
        current_rows.spend_to_date_thb,
        current_rows.status,
        current_rows.obstacles
    from project_months
    asof left join current_rows
        on
            project_months.project_code = current_rows.project_code
            and project_months.month >= current_rows.report_month
),

final as (
    select
        project_code,
        month,
        state_report_month,
        state_report_month is not null as has_report,
        coalesce(progress_pct, 0) as progress_pct,
        coalesce(spend_to_date_thb, 0) as spend_to_date_thb,
        coalesce(status, 'not_started') as status,
        coalesce(obstacles, []) as obstacles
    from as_of
)

select * from final
