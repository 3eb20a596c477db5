-- Plan quality as it was known at the end of each month (point in time; docs/index-methodology.md, step 2):
-- for each certified city and month, the latest score of each component (1-5) assessed on or before the
-- month's last day, and their mean. A later assessment never changes an earlier month. Two scores of one
-- component on the same day count as their mean. An assessment without a date cannot be placed in time and
-- is not used (the warning test on stg_registry__plan_assessments lists such rows in the dbt log).
with assessments as (
    select * from {{ ref('stg_registry__plan_assessments') }}
    where assessed_on is not null
),

certified as (
    select * from {{ ref('int_cities_certified_monthly') }}
),

scores_by_day as (
    select
        city_code,
        component,
        assessed_on,
        avg(score) as score
    from assessments
    group by city_code, component, assessed_on
),

-- Each score holds from its day until the component's next assessment.
score_periods as (
    select
        city_code,
        component,
        score,
        assessed_on as valid_from,
        lead(assessed_on) over (partition by city_code, component order by assessed_on) as valid_to
    from scores_by_day
),

in_force as (
    select
        certified.city_code,
        certified.month,
        score_periods.component,
        score_periods.score,
        score_periods.valid_from
    from certified
    inner join score_periods
        on
            certified.city_code = score_periods.city_code
            and score_periods.valid_from <= last_day(certified.month)
            and (score_periods.valid_to is null or score_periods.valid_to > last_day(certified.month))
),

final as (
    select
        city_code,
        month,
        count(*) as components_assessed,
        avg(score) as plan_quality_score,
        max(valid_from) as latest_assessed_on
    from in_force
    group by city_code, month
)

select * from final
