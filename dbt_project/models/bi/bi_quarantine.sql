-- dq.quarantine for BI tools: each quarantined row with the city's names and the month its file came in.
with quarantined as (
    select * from {{ ref('stg_audit__quarantine') }}
),

cities as (
    select * from {{ ref('dim_cities') }}
),

final as (
    select
        quarantined.received_month as month,
        quarantined.city_code,
        cities.name_th as city_name_th,
        cities.name_en as city_name_en,
        quarantined.project_code,
        quarantined.reason_code,
        quarantined.detail,
        quarantined.source_file,
        quarantined.source_row_number as row_number,
        quarantined.raw_record,
        quarantined.run_id
    from quarantined
    left join cities on quarantined.city_code = cities.city_code
)

select * from final
