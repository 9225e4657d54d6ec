"""`python -m tap_moco` runs the tap."""

from tap_moco.tap import main

main()
