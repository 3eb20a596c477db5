"""Publication: the atomic replacement of the warehouse BI tools read."""
