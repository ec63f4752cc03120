"""Rate-distortion plots as PNG (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from ..fileio import atomic_path

LABELS = {
    "psnr_rgb_db": "PSNR RGB (dB)",
    "psnr_y_db": "PSNR Y (dB)",
    "ssim_win7": "SSIM (7-px window)",
    "ms_ssim": "MS-SSIM",
    "judge_action_accuracy": "judge: action accuracy",
    "judge_attribute_accuracy": "judge: attribute accuracy",
}


def rd_plot(points: list[dict], quality_key: str, path: str | Path, title: str, force: bool = False) -> Path:
    """One curve per codec: mean whole-file bytes per sequence (log scale) against ``quality_key``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    column = quality_key if quality_key.startswith("judge_") else quality_key + "_mean"
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for codec in dict.fromkeys(p["codec"] for p in points):
        rows = sorted((p for p in points if p["codec"] == codec), key=lambda p: p["file_bytes_per_sequence_mean"])
        style = (
            dict(marker="o", linewidth=2.4, color="black", zorder=3)
            if codec == "bcdcodec"
            else dict(marker=".", linewidth=1.2)
        )
        ax.plot([p["file_bytes_per_sequence_mean"] for p in rows], [p[column] for p in rows], label=codec, **style)
    ax.set_xscale("log")
    ax.set_xlabel("whole-file bytes per sequence (mean, log scale)")
    ax.set_ylabel(LABELS.get(quality_key, quality_key))
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path, force=force) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
