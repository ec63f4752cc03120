import numpy as np
import pytest
import torch

from bcdcodec import diffusion
from bcdcodec.config import ModelConfig, tiny_config
from bcdcodec.errors import InvalidArgumentError, ModelLoadError
from bcdcodec.models.bcd import BCDModel
from bcdcodec.models.factory import seeded_model
from bcdcodec.models.quantizer import GroupVQ


def test_training_step_runs_and_learns():
    cfg = tiny_config(cross_drive_fraction=0.5)
    model = seeded_model(cfg, seed=0)
    model.train()
    generator = torch.Generator().manual_seed(0)
    clips = torch.rand((4, cfg.clip_len, 3, 16, 16), generator=generator) * 2 - 1
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        out = model(clips, generator=torch.Generator().manual_seed(1))
        optimizer.zero_grad()
        (out.loss + out.aux_loss).backward()
        optimizer.step()
        losses.append(out.diffusion_loss.item())
    assert all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert out.motion_bits.item() > 0 and out.content_bits.item() > 0


def test_content_norm_spreads_content_and_codes_deterministically():
    cfg = tiny_config(content_gain=4.0, cross_drive_fraction=0.75)
    model = seeded_model(cfg, seed=0)
    generator = torch.Generator().manual_seed(0)
    clips = torch.rand((8, cfg.clip_len, 3, 16, 16), generator=generator) * 2 - 1
    model.train()
    content, _ = model.encoder(clips)
    # standardised over the batch, then scaled: spread far above the rounding step of 1
    assert torch.allclose(content.flatten(1).std(0, unbiased=False), torch.full((8,), 4.0), atol=0.05)
    out = model(clips[:4], generator=torch.Generator().manual_seed(1))  # 3 cross-driven + a batch of 1
    assert torch.isfinite(out.loss)
    model.eval()
    model.export_tables()
    first = model.encode_symbols(clips[0])
    again = model.encode_symbols(clips[0])
    assert np.array_equal(first.content, again.content)
    assert len(np.unique(np.stack([model.encode_symbols(c).content for c in clips]).reshape(8, -1), axis=0)) > 1


def test_blocks_learn_from_the_first_step_and_grid_positions_are_distinct():
    from bcdcodec.models.layers import AdaLNBlock, sincos_grid_embedding

    x, cond = torch.randn(2, 5, 16), torch.randn(2, 16)
    assert not torch.allclose(AdaLNBlock(16, 2)(x, cond), x)  # residual gates open, not adaLN-zero
    pos = torch.nn.functional.normalize(sincos_grid_embedding(8, 64), dim=-1)
    assert (pos @ pos.T - torch.eye(64) * 2).max() < 0.7  # no near-duplicate positions on an 8x8 grid


def test_group_vq_entropy_and_rate_loss():
    cfg = tiny_config(motion_bits_target=6.0)
    vq = GroupVQ(cfg)
    motion = torch.randn(3, 5, cfg.motion_dim)
    vq.train()
    out = vq(motion)
    assert out.indices.shape == (3, 5, cfg.motion_groups)
    assert 0 <= out.entropy_bits.item() <= cfg.motion_groups * np.log2(cfg.codebook_size) + 1e-4
    assert out.rate_loss.item() > cfg.rate_loss_weight * (out.entropy_bits.item() - 6.0) ** 2  # + VQ losses
    motion.requires_grad_(True)
    out = vq(motion)
    out.quantized.sum().backward(retain_graph=True)
    assert torch.equal(motion.grad, torch.ones_like(motion))  # straight-through: the decoder's gradient unchanged
    assert torch.allclose(out.quantized.detach(), vq.dequantize(out.indices), atol=1e-6)
    out.rate_loss.backward()
    assert vq.codebook.grad.abs().sum() > 0  # the codebook loss moves the codes
    vq.eval()
    hard = vq(motion)
    assert torch.equal(hard.quantized, vq.dequantize(hard.indices))


def test_exported_tables_are_valid(tiny_net):
    tables = tiny_net.coding_tables()
    assert tables.motion.shape == (4, 8) and tables.content.shape == (4, 32)
    assert (tables.motion.sum(1) == 2**16).all() and (tables.content.sum(1) == 2**16).all()
    with pytest.raises(ModelLoadError):
        BCDModel(tiny_config()).coding_tables()  # never exported


def test_sampler_is_seeded_and_noise_shared_across_frames(tiny_net):
    symbols = tiny_net.encode_symbols(torch.zeros(4, 3, 16, 16))
    settings = diffusion.SamplerSettings("heun", 3, 5)
    noise = diffusion.clip_noise((3, 16, 16), 5)
    a = tiny_net.render_symbols(symbols, settings, noise)
    b = tiny_net.render_symbols(symbols, settings, diffusion.clip_noise((3, 16, 16), 5))
    assert a.shape == (4, 3, 16, 16) and torch.equal(a, b)
    assert not torch.equal(noise, diffusion.clip_noise((3, 16, 16), 6))


def test_karras_schedule_is_float64_and_decreasing():
    sigmas = diffusion.karras_sigmas(8, 0.002, 80.0)
    assert sigmas.dtype == torch.float64 and sigmas[0] == pytest.approx(80.0) and sigmas[-1] == 0
    assert (sigmas[1:] < sigmas[:-1]).all()


def test_settings_and_config_validation():
    with pytest.raises(InvalidArgumentError):
        diffusion.SamplerSettings("ddpm")
    with pytest.raises(InvalidArgumentError):
        diffusion.SamplerSettings(steps=0)
    with pytest.raises(ValueError):
        ModelConfig(image_size=30, patch_size=8)
    cfg = tiny_config()
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ModelLoadError):
        ModelConfig.from_dict({**cfg.to_dict(), "bogus": 1})


@pytest.mark.slow
def test_compressai_entropy_models_load_without_the_rest_of_compressai():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bcdcodec.config import tiny_config\n"
        "from bcdcodec.models.bcd import BCDModel\n"
        "BCDModel(tiny_config())\n"
        "heavy = [m for m in ('compressai.datasets', 'compressai.zoo', 'compressai.models', 'torch_geometric',\n"
        "                     'pandas', 'requests', 'torchvision', 'scipy.stats._stats_py') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import scipy.stats\n"
        "assert abs(scipy.stats.norm.ppf(0.975) - 1.96) < 1e-3  # the deferred module loads when used\n"
        "import compressai\n"
        "assert compressai.entropy_models.EntropyBottleneck.__module__ == 'compressai.entropy_models.entropy_models'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]


def test_a_saved_model_file_is_the_same_bytes_every_time(tiny_net, tmp_path):
    from bcdcodec.checkpoint import save_checkpoint

    save_checkpoint(tiny_net, tmp_path / "a.pt")
    save_checkpoint(tiny_net, tmp_path / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
