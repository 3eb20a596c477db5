-- Every data row read from a received file is counted once in dq.city_quality_monthly (accepted, superseded
-- or quarantined), except the quarantined rows whose city is not in the registry (no city to count them
-- under).
-- Counted independently of the model, from the pull's count of the rows it read from each file: a row lost or
-- counted twice between the pull and the dq table makes a month fail.
with read_rows as (
    select
        received_month as month,
        coalesce(sum(rows_read), 0) as rows_read
    from {{ source('raw', 'received_files') }}
    where received_month is not null
    group by received_month
),

counted as (
    select
        month,
        sum(rows_received) as rows_received
    from {{ ref('city_quality_monthly') }}
    group by month
),

unplaced as (
    select
        quarantine.received_month as month,
        count(*) as rows_unplaced
    from {{ ref('stg_audit__quarantine') }} as quarantine
    left join {{ ref('stg_registry__cities') }} as cities on quarantine.city_code = cities.city_code
    where cities.city_code is null
    group by quarantine.received_month
)

select
    read_rows.rows_read,
    counted.rows_received,
    unplaced.rows_unplaced,
    coalesce(read_rows.month, counted.month) as month
from read_rows
full outer join counted on read_rows.month = counted.month
left join unplaced on coalesce(read_rows.month, counted.month) = unplaced.month
where
    coalesce(read_rows.rows_read, 0)
    != coalesce(counted.rows_received, 0) + coalesce(unplaced.rows_unplaced, 0)
