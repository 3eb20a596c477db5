{#- Pearson's correlation of two columns over the group, from exact sums: the values are taken as
    DECIMAL(18, 9) (to 9 decimals) and their sums, squares and products are DECIMAL, so the result does not
    depend on the order in which DuckDB's threads add the rows (as the float corr() does, in the last digits)
    and the same inputs always give the same published digits. NULL when either column does not vary. -#}
{% macro exact_corr(x, y) -%}
    {%- set a = 'cast(round(' ~ x ~ ', 9) as decimal(18, 9))' -%}
    {%- set b = 'cast(round(' ~ y ~ ', 9) as decimal(18, 9))' -%}
    cast(count(*) * sum({{ a }} * {{ b }}) - sum({{ a }}) * sum({{ b }}) as double)
    / nullif(
        sqrt(
            cast(count(*) * sum({{ a }} * {{ a }}) - sum({{ a }}) * sum({{ a }}) as double)
            * cast(count(*) * sum({{ b }} * {{ b }}) - sum({{ b }}) * sum({{ b }}) as double)
        ),
        0
    )
{%- endmacro %}
