"""Project code imported by the DAGs: sources, loaders, SQL runner and settings.

Importing it changes nothing in the process: dlt's environment is set where dlt is configured
(include/pipelines.py) and, for Airflow, in the Dockerfile."""
