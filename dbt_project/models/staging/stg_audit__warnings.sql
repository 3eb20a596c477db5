with source as (
    select * from {{ source('audit', 'warnings') }}
),

renamed as (
    select
        run_id,
        month,
        source_file,
        row_number as source_row_number,
        city_code,
        project_code,
        warning_code,
        detail
    from source
)

select * from renamed
