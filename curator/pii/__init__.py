"""PII detection and scrubbing on top of Presidio (see ``curator/stages/pii.py`` for the stage).

Offline by construction: spaCy models come from installed packages or local paths (never
downloaded), and the e-mail recognizer's domain check uses tldextract's bundled suffix list.
``scan`` (used to redact report examples) needs neither Presidio nor a model.
"""
