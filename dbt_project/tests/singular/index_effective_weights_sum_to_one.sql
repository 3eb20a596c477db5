-- The effective weights of the weighted pillars share out the whole score's variance each month.
select month
from {{ ref('index_weight_audit') }}
group by month
having abs(sum(effective_weight) - 1) > 1e-9 and sum(effective_weight) is not null
