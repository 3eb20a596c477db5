-- Every publication of the warehouse so far: when it happened and the last month it covered.
with source as (
    select * from {{ source('pipeline', 'publications') }}
),

renamed as (
    select
        run_id,
        published_at,
        report_month
    from source
)

select * from renamed
