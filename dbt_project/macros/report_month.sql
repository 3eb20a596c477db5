{#- The last month covered, as a DATE literal; validated so a bad var fails loudly. -#}
{% macro report_month() -%}
    cast('{{ var("report_month") }}' as date)
{%- endmacro %}
