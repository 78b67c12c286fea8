"""What a user would write instead of ktstat: plain pandas and Polars scripts that compile the
same headline figures from the same input files (run by :mod:`ktstat.benchmarks.compile`).

They read a programme's definition folder (``domain.toml``, code lists, classification rules)
with :mod:`.definitions`, plain Python that only builds the small lookup tables; all the work
on the records is the library's.
"""
