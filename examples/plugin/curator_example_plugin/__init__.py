"""Example curator plug-in: a stage class (``max_urls``) and functions for the ``python`` stage."""
