"""Print a Markdown summary of a ``bcdcodec bench`` results.json (the README's tables).

python benchmarks/summarize.py benchmarks/results/sprites-test/results.json
"""

from __future__ import annotations

import json
import sys


def _fmt(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def summarize(path: str) -> str:
    results = json.loads(open(path).read())
    env = results["environment"]
    judged = any("judge_action_accuracy" in p for p in results["points"])
    lines = [
        f"**{env['suite']}**: {env['description']}; frames {env['frame_size_px'][0]}×{env['frame_size_px'][1]}.",
        "",
        "| codec | setting | bytes/sequence | bits/pixel | PSNR RGB dB | PSNR Y dB | SSIM | MS-SSIM |"
        + (" action acc. | attribute acc. |" if judged else ""),
        "|---|---|---|---|---|---|---|---|" + ("---|---|" if judged else ""),
    ]
    for p in results["points"]:
        row = (
            f"| {p['codec']} | {p['setting']} | {p['file_bytes_per_sequence_mean']:.1f} | "
            f"{p['bits_per_pixel_mean']:.4f} | {p['psnr_rgb_db_mean']:.2f} | {p['psnr_y_db_mean']:.2f} | "
            f"{p['ssim_win7_mean']:.3f} | {p['ms_ssim_mean']:.3f} |"
        )
        if judged:
            row += f" {p['judge_action_accuracy']:.3f} | {p['judge_attribute_accuracy']:.3f} |"
        lines.append(row)
    lines += [
        "",
        "| against | BD-rate PSNR-RGB | cheapest bytes for ≥ our PSNR, × ours (lowest-rate bcdcodec point) |",
        "|---|---|---|",
    ]
    for name, comparison in results["bcdcodec_vs_classical"]["psnr_rgb_db"].items():
        first = comparison["bytes_ratio_at_equal_quality"][0] if comparison["bytes_ratio_at_equal_quality"] else None
        ratio = (
            "–"
            if not first or first["anchor_over_test"] is None
            else f"{first['anchor_over_test']:.1f}× ({first['anchor_rate_is']})"
        )
        bd = comparison["bd_rate_percent_of_bcdcodec"]
        lines.append(f"| {name} | {'no overlap' if bd is None else _fmt(bd, 1) + ' %'} | {ratio} |")
    lines += ["", *_equal_quality_table(results["bcdcodec_vs_classical"])]
    return "\n".join(lines)


def _ratios(rows: list[dict]) -> str:
    """The range of "classical bytes / ours" over our points the classical sweep reaches by
    interpolation, and how many of our points lie beyond its best (unreachable) or below its floor."""
    inside = [r["anchor_over_test"] for r in rows if r["anchor_rate_is"] == "interpolated"]
    text = f"{min(inside):.1f}–{max(inside):.1f}×" if inside else "–"
    notes = [f"{sum(r['anchor_rate_is'] == how for r in rows)} {how}" for how in ("floor", "unreachable")]
    notes = [n for n in notes if not n.startswith("0 ")]
    return text + (f" ({', '.join(notes)})" if notes else "")


def _equal_quality_table(comparisons: dict) -> list[str]:
    """Per classical codec and metric: BD-rate, and its bytes at our quality as a multiple of ours."""
    metrics = list(comparisons)
    lines = [
        "Bytes at equal quality, classical / ours, over our points (BD-rate in brackets; floor: the "
        "classical codec's smallest file is already better; unreachable: its best is worse):",
        "",
        "| against | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for name in comparisons[metrics[0]]:
        cells = []
        for metric in metrics:
            c = comparisons[metric][name]
            bd = c["bd_rate_percent_of_bcdcodec"]
            cells.append(_ratios(c["bytes_ratio_at_equal_quality"]) + ("" if bd is None else f" [{bd:.1f} %]"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summarize(argument))
        print()
