-- Reporting quality of each city in each landing month, as published (computed in int_city_reporting_monthly,
-- which the index's reporting pillar reads too: lineage goes forward, never from a published table back).
-- Incremental like it: the months from rebuild_from() on.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_months',
    on_schema_change='fail',
) }}

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
{% if is_incremental() %}
    where month >= {{ rebuild_from() }}
{% endif %}
