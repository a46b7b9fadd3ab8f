"""What a worker process runs: the batch loop, its routing cache, the ordering-gap sweeper, and dedicated service processes."""
