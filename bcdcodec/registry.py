"""Registry of bundled models: name -> stable stream id, file and sha256.

Stream ids are never reused: a retrained model gets a new id. Id 0 means a private checkpoint
(decode it with ``--checkpoint``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError

WEIGHTS_DIR = Path(__file__).parent / "weights"
FLOW_KIND = "key-frame flow"


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    model_id: int
    filename: str
    sha256: str
    description: str
    prior_filename: str = ""  # bundled autoregressive motion prior, if any
    prior_sha256: str = ""
    kind: str = "network"  # or FLOW_KIND: a codec with no weights (bcdcodec.flowcodec)

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.filename


# Each bundled model comes with the command and log that made it (bcdcodec/weights/NAME.md).
REGISTRY: tuple[RegisteredModel, ...] = (
    RegisteredModel(
        name="faces-flow-128",
        model_id=4,
        filename="",
        sha256="",
        description="Talking heads 128x128 (the default): an AV1 key picture per GOP moved by a coded 4x4 flow, "
        "7 operating points (--quality 1-7); no learned part",
        kind=FLOW_KIND,
    ),
    RegisteredModel(
        name="faces-128",
        model_id=2,
        filename="faces-128.pt",
        sha256="8e51cf79d07f34e1df0fb9ce3e5d7c401b629d614c19e84eee33e2470e8f6a29",
        description="Talking heads 128x128, the diffusion decoder, 8-frame clips, 4 operating points (--quality 1-4)",
        prior_filename="faces-128-prior.pt",
        prior_sha256="5a68fdc0b5d9545231388691d8ff874dac72e56597d31de7c1fd0435dcb707a2",
    ),
    RegisteredModel(
        name="sprites-64",
        model_id=5,
        filename="sprites-64-q7.pt",
        sha256="fd87befbeeeee3ffcd13d6ab7727993f35ae4ae1b03559c1d623ed78aea276d4",
        description="Sprites 64x64, 8-frame clips, 7 operating points (--quality 1-7): sprites-64-fixed whole at the "
        "top, sprites-64-q6's lower points below it",
        prior_filename="sprites-64-q7-prior.pt",
        prior_sha256="ce858e4793dfe1be0f3ddeaeaf3b7aa3331b7078c43b839ab7a90d1fb681a359",
    ),
    # the six-point model the lower points come from; kept so that its streams (model id 3) decode
    RegisteredModel(
        name="sprites-64-q6",
        model_id=3,
        filename="sprites-64-q6.pt",
        sha256="e2c3ecef2530d22fbb375488839a12d5ade668011f2446a3b33f5f3cbfb95a09",
        description="Sprites 64x64, 8-frame clips, 6 operating points (--quality 1-6); sprites-64-fixed fine-tuned",
        prior_filename="sprites-64-q6-prior.pt",
        prior_sha256="fa6ce823c3e67d56909d8f96817cbbe8d588f56fec8b839af635ff83c2f2bdf7",
    ),
    # the one-rate model: the top point of sprites-64 (and what sprites-64-q6 was fine-tuned from)
    RegisteredModel(
        name="sprites-64-fixed",
        model_id=1,
        filename="sprites-64.pt",
        sha256="e52c5d28ab35317f254305a1c2266d0bda99d23b21a8ccc86447b8f28f49f433",
        description="Sprites 64x64, 8-frame clips, 20 motion bits/frame target; 3400 training steps of 64 clips",
        prior_filename="sprites-64-prior.pt",
        prior_sha256="e24feffe3b6fc49e8ac0428750f4085302f11cf72fa09e3479c1c6529b51c77f",
    ),
)

DEFAULT_MODEL = "faces-flow-128"  # what real video is coded with unless told
SPRITES_MODEL = "sprites-64"  # what the Sprites commands (eval sprites, bench sprites-test) use by default


DIFFUSION_FACES_MODEL = "faces-128"  # the talking-head model with motion codes (priors, generation)


def default_model(data: str, diffusion: bool = False) -> str:
    """The bundled model a command uses on ``data`` (a suite or data name) unless told; with
    ``diffusion``, one with a diffusion decoder and motion codes (for the motion prior)."""
    if data.startswith("sprites"):
        return SPRITES_MODEL
    return DIFFUSION_FACES_MODEL if diffusion else DEFAULT_MODEL


def find(name: str) -> RegisteredModel:
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in REGISTRY) or "none bundled yet"
    raise ModelLoadError(f"unknown model {name!r} (bundled: {known}); pass a checkpoint path instead")


def find_by_id(model_id: int) -> RegisteredModel:
    for entry in REGISTRY:
        if entry.model_id == model_id:
            return entry
    raise ModelLoadError(f"stream was made with model id {model_id}, which is not bundled; pass --checkpoint")


JUDGE_FILENAME = "sprites-judge.pt"
JUDGE_SHA256 = "a644f92eecc04e8031cc9187e5804cb953ab4c3282911181a79485f3c00af49b"


def verified_judge_path() -> Path:
    """The bundled Sprites judge, after checking its sha256."""
    path = WEIGHTS_DIR / JUDGE_FILENAME
    if not JUDGE_SHA256 or not path.is_file():
        raise ModelLoadError("no Sprites judge is bundled; pass --judge PATH")
    return _checked(path, JUDGE_SHA256, "the bundled Sprites judge")


def verified_path(entry: RegisteredModel) -> Path:
    """The weights file of ``entry``, after checking its sha256."""
    if not entry.path.is_file():
        raise ModelLoadError(f"bundled weights for {entry.name} are missing: {entry.path}")
    return _checked(entry.path, entry.sha256, f"bundled weights for {entry.name}")


def verified_prior_path(entry: RegisteredModel) -> Path:
    """The motion prior file bundled with ``entry``, after checking its sha256."""
    path = WEIGHTS_DIR / entry.prior_filename
    if not entry.prior_filename or not path.is_file():
        raise ModelLoadError(f"no motion prior is bundled for {entry.name}")
    return _checked(path, entry.prior_sha256, f"bundled motion prior for {entry.name}")


def _checked(path: Path, sha256: str, what: str) -> Path:
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise ModelLoadError(f"{what}: sha256 check failed ({path})")
    return path
