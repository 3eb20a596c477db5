"""Failures the pipeline explains to people. A traceback is for bugs; these carry a message instead."""


class PipelineError(Exception):
    """The run cannot go on; the message says what failed and what to do."""


class PermanentError(PipelineError):
    """Retrying will not help (bad settings, a broken registry, failing dbt tests): fail the task at once."""
