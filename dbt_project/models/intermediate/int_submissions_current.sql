-- Supersession: for each project and report month, the accepted row submitted last wins.
-- Ties on submitted_at go to the file that arrived later, then to the later row in the file.
with submissions as (
    select * from {{ ref('stg_validated__submissions') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by project_code, report_month
            order by submitted_at desc, arrived_at desc, file_id desc, source_row_number desc
        ) as recency
    from submissions
),

final as (
    select
        file_id,
        source_row_number,
        received_month,
        city_code,
        project_code,
        report_month,
        progress_pct,
        spend_to_date_thb,
        status,
        obstacles,
        remarks,
        submitted_at,
        recency > 1 as is_superseded
    from ranked
)

select * from final
