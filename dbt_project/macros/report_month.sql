{#- The last month the run covers, as a DATE: from the build database (pipeline.run_parameters, written by the
    transform step just before `dbt build`), not from a variable, so partial parsing survives a new month. -#}
{% macro report_month() -%}
    (select report_month from pipeline.run_parameters)
{%- endmacro %}

{#- The first month incremental models rebuild (the earliest month a run's new rows can change), from the
    same row. -#}
{% macro rebuild_from() -%}
    (select rebuild_from from pipeline.run_parameters)
{%- endmacro %}
