"""Evacuation logistics planner: scenario in, checked route-and-timing plan out."""

__version__ = "0.1.0"
