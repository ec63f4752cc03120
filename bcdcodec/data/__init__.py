"""Training and evaluation data: the standard Sprites set, procedural sprites, folders of videos."""
