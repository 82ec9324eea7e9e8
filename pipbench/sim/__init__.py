"""Simulation models (SimPy) of services, caches and serverless platforms, checked against theory."""
