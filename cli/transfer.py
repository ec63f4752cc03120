"""``bcdcodec transfer``: content of one video, motion of another."""

from __future__ import annotations

import click

from .common import fit_option, load, model_named_by_streams, prepare_video_output, report_video, stream_or_video
from .errors import one_line_errors


@click.command()
@click.option("--content", "content_path", required=True, help="video or .bcd giving who/what is in the result")
@click.option("--motion", "motion_path", required=True, help="video or .bcd giving how it moves")
@click.argument("dst", type=click.Path())
@click.option("--model", "model_name", help="bundled model (default: the one a .bcd input names, else faces-flow-128)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="a checkpoint instead of a bundled model")
@fit_option("fit policy when a video (not a .bcd) is given")
@click.option("--steps", type=click.IntRange(1, 64), help="sampling steps (default: the content stream's)")
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@one_line_errors
def transfer(content_path, motion_path, dst, model_name, checkpoint, fit, steps, force):
    """Render the content of one clip with the motion of another (from .bcd: no re-encoding)."""
    from bcdcodec.decoding import iter_rendered, write_rendered
    from bcdcodec.flowcodec import FlowCodec, flow_transfer
    from bcdcodec.transfer import mix

    prepare_video_output(dst, force, model_name, checkpoint, (content_path, motion_path))
    model = load(model_named_by_streams(model_name, checkpoint, content_path, motion_path), checkpoint)
    if isinstance(model, FlowCodec):  # the content's key pictures moved by the motion's flow
        if steps:
            raise click.UsageError(f"--steps: not for {model.name} (it has no diffusion decoder)")
        content = stream_or_video(content_path, model, fit)
        header, fps, chunks = flow_transfer(content, stream_or_video(motion_path, model, fit), model)
        report_video(dst, write_rendered(chunks, header, dst, fps, force))
        return
    header, clips, fps = mix(stream_or_video(content_path, model, fit), stream_or_video(motion_path, model, fit), model)
    chunks = iter_rendered(clips, header, model, steps, desc="transfer")
    report_video(dst, write_rendered(chunks, header, dst, fps, force))
