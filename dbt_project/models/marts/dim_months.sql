-- The months the warehouse covers, with the Thai government fiscal year: 1 October to 30 September, named by
-- the Buddhist Era year in which it ends (FY2567 = October 2023 to September 2024), and its quarter.
with months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        cast(month as date) as month,
        cast(year(month) as integer) as year_ce,
        cast(year(month) + 543 as integer) as year_be,
        cast(month(month) as integer) as month_number,
        cast(strftime(month, '%Y-%m') as varchar) as month_label,
        cast(year(month) + (case when month(month) >= 10 then 1 else 0 end) + 543 as integer)
            as fiscal_year_be,
        cast(((month(month) + 2) % 12) // 3 + 1 as integer) as fiscal_quarter,
        cast(last_day(month) as date) as month_end
    from months
)

select * from final
