# Astro Runtime 3.3-8 ships Apache Airflow 3.3.2, the version requirements.lock and the test suite use
# (Runtime 3.3-7 is Airflow 3.3.1). Its Python 3.12 is the project's too (Makefile, requirements.lock, CI);
# requirements.txt resolves with binary wheels on 3.11 to 3.14 alike.
# Check an image with: docker run --rm astrocrpublic.azurecr.io/runtime:3.3-8-python-3.12 airflow version
# The base image's ONBUILD steps install packages.txt and requirements.txt, then copy the project.
FROM astrocrpublic.azurecr.io/runtime:3.3-8-python-3.12

# dlt: no telemetry, no dlt config from Airflow Variables (the loaders pass it explicitly), its home
# and local working files (pipeline state, load packages) under the data folder.
# On Astro, set the Airflow Variable `finops_destination` to `clickhouse`: workers' disks are not kept.
ENV RUNTIME__DLTHUB_TELEMETRY=false \
    PROVIDERS__ENABLE_AIRFLOW_SECRETS=false \
    FINOPS_DATA_DIR=/usr/local/airflow/data \
    DLT_DATA_DIR=/usr/local/airflow/data/dlt_home
