{#- The index pillars (var index_pillars, in display order) and weights. -#}
{% macro index_pillars() -%}
    {{ return(var('index_pillars')) }}
{%- endmacro %}

{#- A dict of pillar -> weight normalised to sum 1 (pillars not given weigh 0), from var `name`. -#}
{% macro index_weights(name='index_weights') -%}
    {%- set pillars = index_pillars() -%}
    {%- set given = var(name) -%}
    {%- set unknown = given.keys() | reject('in', pillars) | list -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(name ~ ": unknown pillars " ~ unknown ~ "; the pillars are " ~ pillars) }}
    {%- endif -%}
    {%- set total = namespace(value=0) -%}
    {%- for pillar in pillars -%}{%- set total.value = total.value + (given.get(pillar, 0) | float) -%}{%- endfor -%}
    {%- if total.value <= 0 -%}
        {{ exceptions.raise_compiler_error(name ~ ": at least one pillar needs a weight above 0") }}
    {%- endif -%}
    {%- set weights = {} -%}
    {%- for pillar in pillars -%}
        {%- do weights.update({pillar: (given.get(pillar, 0) | float) / total.value}) -%}
    {%- endfor -%}
    {{ return(weights) }}
{%- endmacro %}
