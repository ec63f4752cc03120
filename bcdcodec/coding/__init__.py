"""Entropy coding: integer frequency tables and the constriction ANS coder."""
