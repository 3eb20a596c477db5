-- Each city's plan quality: the latest score of each assessed component (1-5), and their mean.
with assessments as (
    select * from {{ ref('stg_registry__plan_assessments') }}
),

latest_assessments as (
    select
        city_code,
        component,
        score
    from assessments
    qualify row_number() over (partition by city_code, component order by assessed_on desc nulls last) = 1
),

final as (
    select
        city_code,
        count(*) as components_assessed,
        avg(score) as plan_quality_score
    from latest_assessments
    group by city_code
)

select * from final
