{#- The incremental strategy of every month-grain model: `incremental_strategy='replace_months'`.

    An incremental run computes every month from rebuild_from() on again (the models filter their inputs to
    those months), so the target's rows of those months are replaced as a whole: delete them, insert the new
    ones. Replacing by unique key (delete+insert) would leave a row the new computation no longer has, such
    as a city no longer missing its report once a delayed file arrives. `month_column` names the month when
    it is not `month`. A model whose incremental run gives a row of an earlier month fails the build: that
    row would sit beside the one kept (and the data tests of the big tables read only the rebuilt months). -#}
{% macro get_incremental_replace_months_sql(arg_dict) -%}
    {%- set month_column = config.get('month_column', 'month') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ adapter.quote(month_column) }} >= {{ rebuild_from() }};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    where
        case
            when {{ adapter.quote(month_column) }} < {{ rebuild_from() }}
                then error(
                    '{{ this.schema }}.{{ this.identifier }}: the incremental run gave rows of a month '
                    || 'before rebuild_from'
                )
            else true
        end
{%- endmacro %}
