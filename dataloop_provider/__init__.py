"""Apache Airflow provider for the Dataloop data-labeling platform, a thin layer over ``dataloop_core``."""
