with source as (
    select * from {{ source('registry', 'plan_assessments') }}
),

renamed as (
    select
        city_code,
        component,
        score,
        assessed_on
    from source
)

select * from renamed
