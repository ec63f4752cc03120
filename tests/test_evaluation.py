import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.data.procedural import procedural_split
from bcdcodec.evaluation.judge import load_judge, save_judge, train_judge
from bcdcodec.evaluation.metrics import psnr_db, ssim
from bcdcodec.evaluation.sprites_eval import evaluate_sprites
from bcdcodec.models.factory import seeded_model
from bcdcodec.train.presets import preset


def test_metrics():
    a = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    assert psnr_db(a, a) > 90 and ssim(a, a) == pytest.approx(1.0)
    noisy = np.clip(a.astype(int) + 10, 0, 255).astype(np.uint8)
    assert 20 < psnr_db(a, noisy) < 30 and ssim(a, noisy) < 1.0


@pytest.fixture(scope="module")
def small_judge(tmp_path_factory):
    data = procedural_split(256, seed=0)
    judge = train_judge(data.videos, data.attributes, data.motion, epochs=3, batch=32, progress=False)
    path = tmp_path_factory.mktemp("judge") / "judge.pt"
    save_judge(judge, path)
    return load_judge(path)


def test_judge_learns_procedural_labels(small_judge):
    test = procedural_split(64, seed=1)
    attrs, motion = small_judge.predict(test.videos)
    assert attrs.shape == (64, 4) and motion.shape == (64,)
    assert (attrs == test.attributes).mean() > 0.4  # far above chance (1/6) after a few seconds of training


def test_sprites_evaluation_reports_every_figure(small_judge):
    model = api.CodecModel.from_network(seeded_model(preset("smoke").model, seed=0))
    results = evaluate_sprites(model, small_judge, procedural_split(6, seed=2), transfer_pairs=3, progress=False)
    assert results["sequences"] == 6 and results["transfer_pairs"] == 3
    assert results["file_bytes_per_clip_mean"] > 20
    for key in (
        "psnr_rgb_db",
        "ssim_win7",
        "transfer_attribute_accuracy_vs_content_source",
        "transfer_action_accuracy_vs_motion_source",
        "decode_seconds_per_clip_mean",
    ):
        assert np.isfinite(results[key])
    assert 0 <= results["judge_on_decoded"]["action_accuracy"] <= 1
    confusion = np.array(results["judge_on_decoded"]["action_confusion"])
    assert confusion.shape == (9, 9) and confusion.sum() == 6
    assert np.trace(confusion) == round(6 * results["judge_on_decoded"]["action_accuracy"])
    assert np.array(results["transfer_action_confusion"]).sum() == 3
    per_attribute = results["judge_on_decoded"]["attribute_accuracy_per_attribute"]
    assert list(per_attribute) == ["body", "bottomwear", "topwear", "hair"]
    assert np.mean(list(per_attribute.values())) == pytest.approx(results["judge_on_decoded"]["attribute_accuracy"])
    assert len(results["transfer_attribute_accuracy_per_attribute"]) == 4


def test_accuracy_per_attribute_counts_each_column():
    from bcdcodec.evaluation.sprites_eval import accuracy_per_attribute

    truth = np.array([[0, 1, 2, 3], [4, 5, 0, 1]])
    read = np.array([[0, 2, 2, 3], [4, 0, 1, 1]])
    assert accuracy_per_attribute(read, truth) == {"body": 1.0, "bottomwear": 0.0, "topwear": 0.5, "hair": 1.0}


def test_action_confusion_counts_true_rows_and_judged_columns():
    from bcdcodec.evaluation.sprites_eval import action_confusion

    counts = np.array(action_confusion(np.array([3, 3, 0, 8]), np.array([0, 3, 0, 8])))
    assert counts[3, 0] == 1 and counts[3, 3] == 1 and counts[0, 0] == 1 and counts[8, 8] == 1 and counts.sum() == 4


def test_prior_coding_and_generation_are_evaluated(small_judge, tmp_path):
    import torch

    from bcdcodec.evaluation.generation_eval import evaluate_generation
    from bcdcodec.models.motion_prior import MotionPrior, MotionPriorConfig
    from bcdcodec.prior_file import save_prior

    net = seeded_model(preset("smoke").model, seed=0)
    torch.manual_seed(0)
    save_prior(MotionPrior(MotionPriorConfig.for_codec(net.cfg, dim=16, layers=1, mlp_dim=16)), tmp_path / "p.pt", net)
    model = api.attach_prior(api.CodecModel.from_network(net), tmp_path / "p.pt")
    coded = evaluate_sprites(model, small_judge, procedural_split(3, seed=2), transfer_pairs=1, progress=False)
    assert coded["prior_coded_file_bytes_per_clip_mean"] > 20
    generated = evaluate_generation(model, small_judge, procedural_split(4, seed=3), seed=1, progress=False)
    assert generated["sequences"] == 4 and sum(generated["generated_action_histogram"]) == 4
    for key in ("generated_valid_action_rate", "real_valid_action_rate", "generated_attribute_accuracy"):
        assert 0 <= generated[key] <= 1
    per_attribute = generated["generated_attribute_accuracy_per_attribute"]
    assert np.mean(list(per_attribute.values())) == pytest.approx(generated["generated_attribute_accuracy"])
