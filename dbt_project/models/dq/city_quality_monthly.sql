-- Reporting quality of each city in each landing month, as published (computed in int_city_reporting_monthly,
-- which the index's reporting pillar reads too: lineage goes forward, never from a published table back).
select
    city_code,
    month,
    rows_received,
    rows_accepted,
    rows_superseded,
    rows_quarantined,
    on_time,
    first_submitted_at,
    reporting_deadline,
    is_certified
from {{ ref('int_city_reporting_monthly') }}
