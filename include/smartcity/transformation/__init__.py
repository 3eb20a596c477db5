"""Transformation: the dbt project that builds staging, intermediate and mart models."""
