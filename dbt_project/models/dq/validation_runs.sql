-- Every Great Expectations suite run (audit.validation_runs). A view, so the marts audit that runs after
-- dbt build and just before publication is in the warehouse it publishes.
{{ config(materialized='view') }}

with runs as (
    select * from {{ ref('stg_audit__validation_runs') }}
),

final as (
    select
        cast(run_id as varchar) as run_id,
        cast(month as date) as month,
        cast(suite as varchar) as suite,
        cast(success as boolean) as success,
        cast(evaluated_rows as bigint) as evaluated_rows,
        cast(failed_rows as bigint) as failed_rows,
        cast(started_at as timestamptz) as started_at,
        cast(finished_at as timestamptz) as finished_at,
        cast(expectations as integer) as expectations,
        cast(failed_expectations as integer) as failed_expectations
    from runs
)

select * from final
