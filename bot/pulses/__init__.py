"""eNPS pulses: when waves go out (schedule.py); the runner that opens, reminds, closes and
delivers them (runner.py), sending through the messenger's `Sender`."""

MAX_TEAMS = 20
"""The most teams one person can be in at once. Real people belong to a few; a bound keeps one
account (with links it should not have) from reaching many audiences, and every list of
audiences short."""
