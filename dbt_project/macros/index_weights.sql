{#- The index weights as a dict of pillar -> weight normalised to sum 1 (pillars not given weigh 0). -#}
{% macro index_weights() -%}
    {%- set pillars = ['progress', 'schedule', 'investment', 'plan_quality', 'reporting', 'coverage'] -%}
    {%- set given = var('index_weights') -%}
    {%- set total = namespace(value=0) -%}
    {%- for pillar in pillars -%}{%- set total.value = total.value + (given.get(pillar, 0) | float) -%}{%- endfor -%}
    {%- if total.value <= 0 -%}
        {{ exceptions.raise_compiler_error("index_weights: at least one pillar needs a weight above 0") }}
    {%- endif -%}
    {%- set weights = {} -%}
    {%- for pillar in pillars -%}
        {%- do weights.update({pillar: (given.get(pillar, 0) | float) / total.value}) -%}
    {%- endfor -%}
    {{ return(weights) }}
{%- endmacro %}
