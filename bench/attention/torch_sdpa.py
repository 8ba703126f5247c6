"""PyTorch's SDPA backends at the shapes attention_check times, for issue 5's
"own kernels or cuDNN, whichever is faster": FlashAttention-2 (PyTorch's flash
backend) and cuDNN's fused attention (the cuDNN graph API behind
SDPBackend.CUDNN_ATTENTION). Same FLOP convention as attention_check:
forward 4*B*H*T*S*D, halved when causal; backward 2.5 times that.

GQA: k and v are repeated to H heads before timing (not timed), so both
backends see the same problem; the backward times the gradients of q and of
the repeated k and v (the sum back to KV heads is left out, as in
attention_check it is part of the kernel).

  python3 bench/attention/torch_sdpa.py [--reps 20]
"""
import argparse

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
import torch.nn.functional as F

SHAPES = [  # B, H, KV heads, T, causal
    (64, 8, 4, 1024, True),
    (32, 8, 4, 2048, True),
    (64, 8, 8, 1024, True),
]


def median_ms(fn, reps):
    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def time_backend(backend, shape, reps):
    B, H, KV, T, causal = shape
    gen = torch.Generator(device="cuda").manual_seed(0)
    q, k, v = (torch.randn(B, heads, T, 64, device="cuda", dtype=torch.bfloat16, generator=gen)
               for heads in (H, KV, KV))
    k, v = (t.repeat_interleave(H // KV, dim=1).contiguous() for t in (k, v))
    q, k, v = (t.requires_grad_() for t in (q, k, v))
    dy = torch.randn(B, H, T, 64, device="cuda", dtype=torch.bfloat16, generator=gen)
    with sdpa_kernel(backend):
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        fwd = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), reps)
        bwd = median_ms(lambda: torch.autograd.grad(y, (q, k, v), dy, retain_graph=True), reps)
    return fwd, bwd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}")
    print(f"{'shape':<26} {'backend':<7} {'fwd ms':>8} {'TFLOP/s':>8} {'bwd ms':>8} {'TFLOP/s':>8}")
    for shape in SHAPES:
        B, H, KV, T, causal = shape
        flops = 4.0 * B * H * T * T * 64 * (0.5 if causal else 1.0)
        name = f"B{B} H{H} KV{KV} T{T}{' causal' if causal else ''}"
        for label, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
            try:
                fwd, bwd = time_backend(backend, shape, args.reps)
            except RuntimeError as e:
                print(f"{name:<26} {label:<7} unavailable: {str(e).splitlines()[0][:80]}")
                continue
            print(f"{name:<26} {label:<7} {fwd:8.3f} {flops / fwd * 1e-9:8.1f} {bwd:8.3f} {2.5 * flops / bwd * 1e-9:8.1f}")


if __name__ == "__main__":
    main()
