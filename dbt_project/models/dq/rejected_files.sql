-- Every received file that gave no row, and every entry of the landing area not taken at the last pull
-- (audit.rejected_files), with the reason.
{{ config(materialized='view') }}

with rejected as (
    select * from {{ ref('stg_audit__rejected_files') }}
),

final as (
    select
        cast(run_id as varchar) as run_id,
        cast(source_file as varchar) as source_file,
        cast(reason as varchar) as reason,
        cast(file_id as varchar) as file_id,
        cast(received_month as date) as received_month,
        cast(stored_path as varchar) as stored_path,
        cast(reason_code as varchar) as reason_code
    from rejected
)

select * from final
