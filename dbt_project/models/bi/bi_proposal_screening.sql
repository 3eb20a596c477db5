-- marts.proposal_screening for BI tools: the dimensions a plan covers as text rather than a list.
with screening as (
    select * from {{ ref('proposal_screening') }}
),

final as (
    select
        city_code,
        status,
        status_since,
        name_th,
        name_en,
        province_code,
        operator_name,
        city_type,
        peer_group,
        projects,
        dimensions_covered,
        cast(array_to_string(dimension_codes, ', ') as varchar) as dimension_codes,
        planned_investment_thb,
        components_assessed,
        plan_quality_score
    from screening
)

select * from final
