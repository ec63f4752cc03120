"""Where training runs: one process, or data-parallel under ``torchrun`` (gloo on CPU, NCCL on GPU)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Runtime:
    rank: int
    world: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup() -> Runtime:
    """Join the process group that ``torchrun`` describes (``WORLD_SIZE``, ``RANK``,
    ``LOCAL_RANK``); each process takes GPU ``LOCAL_RANK`` when CUDA is present (set before the
    NCCL group forms), else the CPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        # TensorFloat-32 matrix products: training needs no more precision
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    return Runtime(rank, world, device)


def barrier(runtime: Runtime) -> None:
    if runtime.world > 1:
        dist.barrier()


@torch.no_grad()
def average_buffers(runtime: Runtime, model: torch.nn.Module) -> None:
    """Average the floating-point buffers over the ranks after a step. Each rank updates its
    statistics (code usage, content standardisation) from its own share of the batch; their
    mean is the statistic of the whole batch (both are moving averages, linear in the batches)."""
    if runtime.world == 1:
        return
    for buffer in model.buffers():
        if buffer.is_floating_point():
            dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
            buffer.div_(runtime.world)


def check_in_sync(runtime: Runtime, model: torch.nn.Module) -> str:
    """sha256 of this rank's weights, after checking that every rank holds the same ones
    (data-parallel training keeps them identical; a difference is a bug, not noise)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    mine = digest.hexdigest()
    every = [None] * runtime.world
    dist.all_gather_object(every, mine)
    if len(set(every)) != 1:
        names = [None] * runtime.world
        dist.all_gather_object(names, {k: float(v.float().sum()) for k, v in model.state_dict().items()})
        differ = sorted(k for k in names[0] if names[0][k] != names[1][k])
        raise RuntimeError(f"data-parallel ranks diverged in {differ}")
    return mine
