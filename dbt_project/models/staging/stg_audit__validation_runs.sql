with source as (
    select * from {{ source('audit', 'validation_runs') }}
),

renamed as (
    select
        run_id,
        month,
        suite,
        success,
        evaluated_rows,
        failed_rows,
        started_at,
        finished_at,
        expectations,
        failed_expectations
    from source
)

select * from renamed
