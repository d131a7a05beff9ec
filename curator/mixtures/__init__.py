"""Mixtures: weighted, budgeted, seeded samples of a run's kept records, each a Hub-ready folder.

``config`` holds the recipe models (imported by the recipe, so it imports nothing heavy);
``sampling`` the pure selection maths; ``pool`` reads the kept records; ``build`` writes the
folders (data files, README.md card, ATTRIBUTION, mixture.json).
"""
