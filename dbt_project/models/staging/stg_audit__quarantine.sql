with source as (
    select * from {{ source('audit', 'quarantine') }}
),

renamed as (
    select
        file_id,
        row_number as source_row_number,
        received_month,
        city_code,
        project_code,
        reason_code,
        detail,
        source_file,
        raw_record,
        run_id
    from source
)

select * from renamed
