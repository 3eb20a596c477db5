-- Every quarantined row, as the validate step left it (audit.quarantine): published for analysts and BI.
{{ config(materialized='view') }}

with quarantine as (
    select * from {{ ref('stg_audit__quarantine') }}
),

final as (
    select
        cast(run_id as varchar) as run_id,
        cast(source_file as varchar) as source_file,
        cast(source_row_number as integer) as row_number,
        cast(city_code as varchar) as city_code,
        cast(project_code as varchar) as project_code,
        cast(reason_code as varchar) as reason_code,
        cast(detail as varchar) as detail,
        cast(raw_record as varchar) as raw_record,
        cast(file_id as varchar) as file_id,
        cast(received_month as date) as received_month
    from quarantine
)

select * from final
