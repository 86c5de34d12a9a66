"""moviepipe: a movie data pipeline on AWS and Snowflake that also runs on a laptop.

This package init imports nothing on purpose: the unzip Lambda ships
``moviepipe.contract`` and ``moviepipe.objectstore`` alone, and must not drag
Prefect, DuckDB or pandas into its deployment package.
"""

__version__ = "0.1.0"
