"""The harness every experiment shares.

Modules
-------
cli
    The shared command-line options and ``Config`` building.
pool
    Cells in parallel processes with few torch threads each.
draws
    The low-data draws (k per class, or a stratified fraction).
stats
    Paired gains over ``none`` and their 95% t-intervals.
pages
    Generated blocks spliced between markers of a results page.
files
    Result CSVs (gzip-compressed) and their JSON sidecars.
stamp
    Machine, versions, date and command of a run.
"""
