with source as (
    select * from {{ source('raw', 'received_files') }}
),

renamed as (
    select
        file_id,
        landing_path,
        received_month,
        sha256,
        arrived_at,
        unreadable_reason
    from source
)

select * from renamed
