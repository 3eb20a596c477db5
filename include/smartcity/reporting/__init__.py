"""Reports for people: what the pipeline sends back to cities and shows analysts."""
