"""Prefect flows: thin wrappers over moviepipe.pipeline."""
