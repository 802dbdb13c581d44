"""eNPS pulses: when waves go out (schedule.py); the sending is in telegram/pulses.py."""
