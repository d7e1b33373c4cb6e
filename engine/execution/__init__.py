"""Execution of entries and exits beyond one market order: a limit entry with a timeout and a
partial-fill threshold, and a scale-in over several price levels (``entry``, driven by ``watch``);
TWAP and iceberg runs for an entry or an exit (``algos``, ``twap``, ``iceberg``, driven by ``algo_watch``)."""
