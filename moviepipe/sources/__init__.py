"""Sources: where batches come from. One folder per source (dlt verified-source style)."""
