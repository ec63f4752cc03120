"""Evaluation: the Sprites judge classifier, metrics, and the Sprites benchmark."""
