import dataclasses
import json

import pytest

from bcdcodec import api
from bcdcodec.checkpoint import load_checkpoint_payload
from bcdcodec.errors import InvalidArgumentError
from bcdcodec.train.loop import train
from bcdcodec.train.presets import TrainConfig, preset

from .conftest import run_cli


@pytest.mark.slow
def test_smoke_training_checkpoints_resumes_and_codes(tmp_path):
    cfg = dataclasses.replace(preset("smoke"), steps=4, checkpoint_every=2, validate_every=4)
    lines = []
    final = train(cfg, tmp_path, progress=False, log=lines.append)
    assert load_checkpoint_payload(tmp_path / "last.pt")["extra"]["step"] == 4
    assert any("val_psnr_db" in line for line in lines)
    records = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert records[-1]["step"] == 4 and "validation" in records[-1]
    # resuming continues from step 4 instead of starting over
    more = dataclasses.replace(cfg, steps=6)
    train(more, tmp_path, progress=False, log=lines.append)
    assert any("resumed" in line and "step 4" in line for line in lines)
    assert load_checkpoint_payload(tmp_path / "last.pt")["extra"]["step"] == 6
    model = api.load_model(final)
    assert model.tables.motion.shape == (4, 8)
    # a new operating point fine-tuned from those weights
    lower = dataclasses.replace(cfg, steps=2, model=dataclasses.replace(cfg.model, motion_bits_target=3.0))
    train(lower, tmp_path / "low", progress=False, log=lines.append, init_from=final)
    assert any("initialised from" in line for line in lines)
    assert api.load_model(tmp_path / "low" / "final.pt").cfg.motion_bits_target == 3.0
    wider = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, dit_dim=64))
    with pytest.raises(InvalidArgumentError):
        train(wider, tmp_path / "bad", progress=False, log=lines.append, init_from=final)


def test_train_config_round_trip_and_validation():
    cfg = preset("sprites-64")
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(InvalidArgumentError):
        TrainConfig.from_dict({**cfg.to_dict(), "bogus": 1})
    with pytest.raises(InvalidArgumentError):
        preset("nope")


@pytest.mark.slow
def test_export_command_writes_half_precision_model(tmp_path, tiny_checkpoint):
    out = tmp_path / "exported.pt"
    result = run_cli("export", tiny_checkpoint, out)
    assert result.returncode == 0, result.stderr
    assert "sha256" in result.stdout
    assert out.stat().st_size < tiny_checkpoint.stat().st_size
    assert api.load_model(out).tables.motion.sum() > 0


@pytest.mark.slow
def test_content_partners_share_the_character(tmp_path):
    """The content partner drawn for a clip is another sequence of the same character; training
    also runs with content taken from the clip itself."""
    import numpy as np

    from bcdcodec.data.procedural import procedural_split
    from bcdcodec.train.sources import SplitSource

    split = procedural_split(64, seed=0)
    split.character[:] = np.arange(64) // 4  # 16 characters, 4 sequences each
    source = SplitSource(split, split)
    clips, partners = source.train_pairs(8, np.random.default_rng(0))
    assert clips.shape == partners.shape == (8, 8, 3, 64, 64)
    lookup = {bytes(v.tobytes()): i for i, v in enumerate(split.videos)}
    from bcdcodec.video.fit import to_uint8

    for clip, partner in zip(clips, partners):
        a, b = lookup[to_uint8(clip).numpy().tobytes()], lookup[to_uint8(partner).numpy().tobytes()]
        assert a != b and split.character[a] == split.character[b]
    cfg = dataclasses.replace(preset("smoke"), steps=2, content_partner="self", validate_every=2)
    train(cfg, tmp_path, resume=False, progress=False, log=lambda _: None)
    with pytest.raises(InvalidArgumentError):
        dataclasses.replace(cfg, content_partner="other")


def test_sprites_preset_is_the_committed_recipe():
    from pathlib import Path

    recipe = Path(__file__).resolve().parent.parent / "bcdcodec" / "weights" / "sprites-64.train.json"
    assert TrainConfig.from_dict(json.loads(recipe.read_text())) == preset("sprites-64")
    # the bundled sprites-64 (operating points) is that model fine-tuned in two stages
    for stage, name in (("stage1", "sprites-64-rates"), ("stage2", "sprites-64-rates-2")):
        recipe = recipe.with_name(f"sprites-64-q6.{stage}.train.json")
        assert TrainConfig.from_dict(json.loads(recipe.read_text())) == preset(name)


def test_faces_preset_is_the_committed_recipe():
    from pathlib import Path

    recipe = Path(__file__).resolve().parent.parent / "bcdcodec" / "weights" / "faces-128.train.json"
    assert TrainConfig.from_dict(json.loads(recipe.read_text())) == preset("faces-128")


@pytest.mark.slow
def test_two_process_torchrun_keeps_ranks_identical(tmp_path):
    import os
    import re
    import subprocess
    import sys

    worker = tmp_path / "worker.py"
    worker.write_text(
        "import dataclasses, sys\n"
        "from bcdcodec.train.loop import train\n"
        "from bcdcodec.train.presets import preset\n"
        "cfg = dataclasses.replace(preset('smoke'), steps=3, checkpoint_every=3, validate_every=3, batch_clips=4)\n"
        "train(cfg, sys.argv[1], progress=False, log=print)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node",
            "2",
            str(worker),
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    digests = dict(re.findall(r"rank (\d+): weights sha256 ([0-9a-f]{64})", result.stdout))
    assert set(digests) == {"0", "1"} and len(set(digests.values())) == 1
    assert api.load_model(tmp_path / "run" / "final.pt").cfg.name == "smoke"


def test_resume_gives_each_parameter_its_own_optimiser_moments(tmp_path):
    """The optimiser state follows parameter names: a checkpoint saved by code that created the
    modules in another order resumes with every moment on the parameter it belongs to."""
    import torch

    from bcdcodec.config import tiny_config
    from bcdcodec.models.bcd import BCDModel
    from bcdcodec.train import state

    torch.manual_seed(0)
    model, ema = BCDModel(tiny_config()), BCDModel(tiny_config())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    optimizer.step()
    path = tmp_path / "last.pt"
    state.save_last(path, ema, model, optimizer, 7, TrainConfig())
    # as if the saving code had created its modules in reverse order
    payload = torch.load(path, weights_only=True)
    extra = payload["extra"]
    count = len(extra["optimizer_params"])
    extra["optimizer_params"] = extra["optimizer_params"][::-1]
    extra["optimizer"]["state"] = {count - 1 - i: v for i, v in extra["optimizer"]["state"].items()}
    torch.save(payload, path)
    fresh = BCDModel(tiny_config())
    fresh_optimizer = torch.optim.AdamW(fresh.parameters(), lr=1e-3)
    assert state.resume(path, BCDModel(tiny_config()), fresh, fresh_optimizer) == 7
    for (name, p), q in zip(model.named_parameters(), fresh.parameters()):
        assert torch.equal(optimizer.state[p]["exp_avg"], fresh_optimizer.state[q]["exp_avg"]), name
