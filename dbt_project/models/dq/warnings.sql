-- Warnings for analysts (audit.warnings): flagged and kept, never quarantined.
{{ config(materialized='view') }}

with warnings as (
    select * from {{ ref('stg_audit__warnings') }}
),

final as (
    select
        cast(run_id as varchar) as run_id,
        cast(month as date) as month,
        cast(source_file as varchar) as source_file,
        cast(source_row_number as integer) as row_number,
        cast(city_code as varchar) as city_code,
        cast(project_code as varchar) as project_code,
        cast(warning_code as varchar) as warning_code,
        cast(detail as varchar) as detail
    from warnings
)

select * from final
