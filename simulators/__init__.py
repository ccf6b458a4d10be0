"""Simulated devices, citizens and days that talk to a running server over the real protocols.

Production code never imports this package.
"""
