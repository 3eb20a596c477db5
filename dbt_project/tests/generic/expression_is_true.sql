{#- Fails on every row where the expression is false: the formulas' promises, stated as SQL. -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
    select *
    from {{ model }}
    where not ({{ expression }}){% if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}
