-- The cities certified in each month: the status in effect at the end of the month is certified.
with periods as (
    select * from {{ ref('int_city_status_periods') }}
),

months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        periods.city_code,
        months.month
    from periods
    inner join months
        on
            periods.effective_from <= last_day(months.month)
            and (periods.effective_to is null or periods.effective_to > last_day(months.month))
    where periods.status = 'certified'
)

select * from final
