"""Does pushing the decoder along its motion conditioning bring back the action? A sampler-side probe.

    python benchmarks/motion_guidance_probe.py bcdcodec/weights/sprites-64.pt \\
        --json-out benchmarks/experiments/motion-guidance-eval100.json

Decodes with guidance, no training involved: at every sampler step the denoised estimate is
``D(ref) + w * (D(motion) - D(ref))``, where ``ref`` is a motion condition without the clip's
frame-to-frame motion: the mean of the clip's dequantized motion vectors over its frames
(``mean``), or its first frame's vector repeated (``first``). ``w = 1`` is the plain decoder. Each
scale runs ``bcdcodec eval sprites`` on the same test subset (100 sequences, 50 transfer pairs) and
reports PSNR, judged action and attributes, and transfer. Guidance is not part of the codec: the
stream has no field for it, and this script only measures whether it would be worth one.
"""

from __future__ import annotations

import argparse
import json
import types

import torch

from bcdcodec import api, diffusion, registry
from bcdcodec.data.sprites import build_split
from bcdcodec.evaluation.judge import load_judge
from bcdcodec.evaluation.sprites_eval import evaluate_sprites
from bcdcodec.fileio import write_bytes_atomic
from bcdcodec.train.sources import CACHE_DIR


def guided_decoder(scale: float, reference: str):
    """A ``decode_symbols`` for a :class:`BCDModel` that guides away from the reference motion."""

    @torch.no_grad()
    def decode_symbols(net, symbols, settings, noise):
        content = net.content_quantizer.from_symbols(torch.from_numpy(symbols.content).long()[None])
        motion = net.motion_vq.dequantize(torch.from_numpy(symbols.motion).long()[None])  # [1, T, N*g]
        still = motion.mean(dim=1, keepdim=True) if reference == "mean" else motion[:, :1]
        still = still.expand_as(motion)

        def denoise(x, sigma):
            d = net.denoised(x, sigma, content, motion)
            if scale == 1.0:
                return d
            d_still = net.denoised(x, sigma, content, still)
            return d_still + scale * (d - d_still)

        start = noise.expand(1, motion.shape[1], *noise.shape)
        return diffusion.sample(denoise, start, settings, SIGMA_MIN, net.cfg.sigma_max)[0].clamp(-1, 1)

    return decode_symbols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--scales", default="1,1.5,2,3", help="comma-separated guidance scales")
    parser.add_argument("--references", default="mean,first", help="comma-separated: mean, first")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--transfer-pairs", type=int, default=50)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = api.load_model(args.model)
    judge = load_judge(registry.verified_judge_path())
    split = build_split("test", cache_dir=CACHE_DIR, progress=False)
    scales = [float(v) for v in args.scales.split(",")]
    runs = ([("none", 1.0)] if 1.0 in scales else []) + [
        (reference, scale) for reference in args.references.split(",") for scale in scales if scale != 1.0]
    rows = []
    for reference, scale in runs:  # scale 1 is the plain decoder, whatever the reference
        model.net.decode_symbols = types.MethodType(guided_decoder(scale, reference), model.net)
        r = evaluate_sprites(model, judge, split, limit=args.limit, transfer_pairs=args.transfer_pairs,
                             progress=False)
        rows.append({"reference": reference, "scale": scale,
                     "psnr_rgb_db": r["psnr_rgb_db"], "ssim_win7": r["ssim_win7"],
                     "action_accuracy": r["judge_on_decoded"]["action_accuracy"],
                     "attribute_accuracy": r["judge_on_decoded"]["attribute_accuracy"],
                     "transfer_action_accuracy": r["transfer_action_accuracy_vs_motion_source"],
                     "transfer_attribute_accuracy": r["transfer_attribute_accuracy_vs_content_source"]})
        row = rows[-1]
        print(f"{reference:>5} w={scale:<4} PSNR {row['psnr_rgb_db']:.2f} dB, action "
              f"{100 * row['action_accuracy']:.0f} %, attributes {100 * row['attribute_accuracy']:.1f} %, "
              f"transfer {100 * row['transfer_attribute_accuracy']:.1f} % / "
              f"{100 * row['transfer_action_accuracy']:.0f} %", flush=True)
    if args.json_out:
        report = {"model": args.model, "sequences": args.limit, "transfer_pairs": args.transfer_pairs, "rows": rows}
        write_bytes_atomic(args.json_out, (json.dumps(report, indent=1) + "\n").encode(), force=True)


if __name__ == "__main__":
    main()
