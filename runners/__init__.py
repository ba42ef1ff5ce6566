"""What runs the project on this machine: `make demo` (demo.py) and `make airflow` (local_airflow.py, with
its PostgreSQL in postgres.py). They start the stand-ins of standins/ with its sample data."""
