with source as (
    select * from {{ source('validated', 'submissions') }}
),

renamed as (
    select
        file_id,
        row_number as source_row_number,
        received_month,
        arrived_at,
        city_code,
        project_code,
        report_month,
        progress_pct,
        spend_to_date_thb,
        status,
        obstacles,
        remarks,
        submitted_at
    from source
)

select * from renamed
