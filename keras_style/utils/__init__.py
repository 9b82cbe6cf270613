"""Helpers below everything else: argument checks, atomic files, progress
bars, colour spaces and backend flags. Standard library and NumPy only."""
