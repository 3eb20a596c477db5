-- The months the marts cover: from the first landing month received to the month processed.
with received_files as (
    select * from {{ ref('stg_raw__received_files') }}
),

bounds as (
    select
        coalesce(min(received_month), {{ report_month() }}) as first_month,
        {{ report_month() }} as last_month
    from received_files
),

final as (
    select cast(spine.month as date) as month
    from bounds,
        generate_series(
            cast(least(bounds.first_month, bounds.last_month) as timestamp),
            cast(bounds.last_month as timestamp),
            interval 1 month
        ) as spine (month)
)

select * from final
