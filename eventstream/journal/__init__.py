"""Journal: the Redis Stream that is the pipeline's commit point, and the inventory beside it."""
