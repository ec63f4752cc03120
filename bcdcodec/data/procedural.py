"""Procedural sprites of our own: labelled characters and actions drawn from primitives, no files.

Used by tests, the quickstart and smoke training when the LPC sheets are absent. A character has
4 attributes with 6 values each (skin, shirt, trousers, hair colour); a motion is one of 9
classes = 3 actions (walk, wave, jump) x 3 directions (front, left, right), 8 frames of 64x64.
"""

from __future__ import annotations

import numpy as np

from .sprites import SpritesSplit

SIZE = 64
FRAMES = 8
ACTIONS = ("walk", "wave", "jump")
DIRECTIONS = ("front", "left", "right")
PALETTES = {
    "skin": [(255, 224, 189), (234, 192, 134), (198, 134, 66), (141, 85, 36), (120, 200, 120), (180, 180, 255)],
    "shirt": [(200, 30, 30), (30, 120, 220), (40, 170, 60), (230, 200, 40), (140, 60, 170), (240, 240, 240)],
    "trousers": [(20, 20, 120), (90, 60, 30), (60, 60, 60), (200, 200, 200), (120, 20, 40), (20, 110, 110)],
    "hair": [(20, 20, 20), (120, 70, 20), (240, 210, 90), (200, 60, 20), (150, 150, 150), (40, 200, 40)],
}
ATTRIBUTES = tuple(PALETTES)


def _rect(img: np.ndarray, top: float, left: float, height: float, width: float, color) -> None:
    y0, x0 = int(round(top)), int(round(left))
    y1, x1 = y0 + max(1, int(round(height))), x0 + max(1, int(round(width)))
    img[max(y0, 0) : max(min(y1, SIZE), 0), max(x0, 0) : max(min(x1, SIZE), 0)] = color


def draw_frame(attributes: tuple[int, int, int, int], action: int, direction: int, t: int) -> np.ndarray:
    """One ``[64, 64, 3]`` uint8 frame of a character doing ``action`` towards ``direction`` at time ``t``."""
    skin, shirt, trousers, hair = (PALETTES[k][v] for k, v in zip(ATTRIBUTES, attributes))
    img = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    phase = 2 * np.pi * t / FRAMES
    facing = (0, -1, 1)[direction]
    lift = -6 * abs(np.sin(phase)) if ACTIONS[action] == "jump" else 0.0
    stride = 5 * np.sin(phase) if ACTIONS[action] == "walk" else 0.0
    cx = 32 + facing * (t - FRAMES / 2) * (1.0 if ACTIONS[action] == "walk" else 0.0)
    top = 14 + lift
    # legs
    _rect(img, top + 30, cx - 6 + stride * (facing != 0), 14, 5, trousers)
    _rect(img, top + 30, cx + 1 - stride * (facing != 0), 14, 5, trousers)
    if facing == 0:  # walking towards the viewer: legs alternate in height
        _rect(img, top + 42 - abs(stride), cx - 6, 2, 5, trousers)
    # torso and arms
    _rect(img, top + 14, cx - 7, 17, 14, shirt)
    arm_raise = 10 * (0.5 + 0.5 * np.sin(phase)) if ACTIONS[action] == "wave" else 0.0
    _rect(img, top + 15 - arm_raise, cx - 11, 12, 4, skin)
    _rect(img, top + 15 + (0 if ACTIONS[action] == "wave" else -stride / 2), cx + 7, 12, 4, skin)
    # head, hair, eyes (eyes show the direction)
    _rect(img, top + 2, cx - 6, 12, 12, skin)
    _rect(img, top, cx - 7, 5, 14, hair)
    _rect(img, top + 2, cx - 7 + (facing > 0) * 10, 6, 4, hair)
    for ex in (-3, 2) if facing == 0 else ((-4,) if facing < 0 else (3,)):
        _rect(img, top + 7, cx + ex, 2, 2, (0, 0, 0))
    return img


def sequence(attributes: tuple[int, int, int, int], motion: int) -> np.ndarray:
    """``[8, 64, 64, 3]`` uint8 for a motion class in 0..8 (= action * 3 + direction)."""
    return np.stack([draw_frame(attributes, motion // 3, motion % 3, t) for t in range(FRAMES)])


def procedural_split(count: int, seed: int = 0) -> SpritesSplit:
    """``count`` random labelled sequences from an explicit seed."""
    rng = np.random.default_rng(seed)
    attributes = rng.integers(0, 6, size=(count, 4))
    motion = rng.integers(0, 9, size=count)
    videos = (
        np.stack([sequence(tuple(a), int(m)) for a, m in zip(attributes, motion)])
        if count
        else np.zeros((0, FRAMES, SIZE, SIZE, 3), np.uint8)
    )
    character = attributes @ np.array([216, 36, 6, 1])
    return SpritesSplit(videos, attributes.astype(np.int64), motion.astype(np.int64), character)
