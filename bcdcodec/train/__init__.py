"""Training: presets, the training loop with EMA/checkpoints/resume, validation."""
