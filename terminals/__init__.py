"""Terminal software: badge and keypad input, offline queue, MQTT publishing, simulator.

The terminal software arrives with the MQTT issue; this package only reserves its place.
"""
