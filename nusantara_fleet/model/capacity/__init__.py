"""Capacity as code: the load each city carries with every city up and with any one lost (`demand.py`,
which the HPA bounds read), and whether each city's pools, disks and links carry it (`plan.py`, which
`fleet plan` prints and `fleet synth` warns from)."""
