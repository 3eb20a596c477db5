with source as (
    select * from {{ source('audit', 'rejected_files') }}
),

renamed as (
    select
        run_id,
        source_file,
        reason,
        reason_code,
        file_id,
        received_month,
        stored_path
    from source
)

select * from renamed
