with source as (
    select * from {{ source('quality', 'quarantine') }}
),

renamed as (
    select
        file_id,
        row_number as source_row_number,
        received_month,
        city_code,
        project_code,
        reason_code
    from source
)

select * from renamed
