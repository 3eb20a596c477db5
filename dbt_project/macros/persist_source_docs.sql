{#-
  dbt's persist_docs comments the models and snapshots it builds. The tables the pipeline's Python steps write
  (dq.validation_runs, dq.quarantine, dq.warnings, dq.rejected_files) are dbt sources: this on-run-end hook
  comments them from their descriptions in _sources.yml, so every published table and column carries one
  (publication copies the comments into the warehouse). Only sources flagged `meta: {persist_docs: true}`.
-#}
{% macro persist_source_docs() %}
    {% if execute %}
        {% for source in graph.sources.values() if source.source_meta.get('persist_docs') %}
            {# The pipeline's state creates these tables before dbt ever runs (smartcity/state.py). #}
            {% set relation = api.Relation.create(
                database=source.database, schema=source.schema, identifier=source.identifier, type='table'
            ) %}
            {% if relation is not none %}
                {% if source.description %}
                    {% do run_query(duckdb__alter_relation_comment(relation, source.description)) %}
                {% endif %}
                {% if source.columns %}
                    {% do run_query(duckdb__alter_column_comment(relation, source.columns)) %}
                {% endif %}
            {% endif %}
        {% endfor %}
        {% do adapter.commit() %}
    {% endif %}
{% endmacro %}
