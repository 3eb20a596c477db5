{#- Bound a value to [low, high], keeping NULL as NULL (DuckDB's greatest/least skip NULLs). -#}
{% macro clamp(expression, low, high) -%}
    case when ({{ expression }}) is null then null else least(greatest({{ expression }}, {{ low }}), {{ high }}) end
{%- endmacro %}
