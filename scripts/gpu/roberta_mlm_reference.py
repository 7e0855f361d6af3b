#!/usr/bin/env python3
"""The Python side of the side-by-side in docs/gpu.md: one RoBERTa masked-LM training step in PyTorch +
transformers, shaped like `bin/encoder4j bench model --presets configs/models/roberta-base.yaml --preset-size`.

Same step as encoder4j's ModelBenchmark: a fixed (B, N) batch with <s> first and </s> last, 15% of positions
masked (labels -100 elsewhere), forward + backward + gradient clipping at 1.0 + AdamW(0.9, 0.98, eps 1e-6,
weight decay 0.01); up to 3 warm-up steps, then the median of --repeats timed steps (CUDA-synchronised), then one
step whose peak allocated and reserved device memory is read from torch.cuda's allocator statistics.

This is a measuring aid run by hand on a GPU host (no internet needed: the model is built from a config with
random weights); encoder4j's build and tests never run Python.

Usage: python3 roberta_mlm_reference.py [--batch 16] [--length 512] [--repeats 10] [--vocab 50265]
                                         [--attn eager|sdpa] [--tf32] [--amp fp16|bf16] [--json out.json]
"""
import argparse
import json
import statistics
import time

import torch
from transformers import RobertaConfig, RobertaForMaskedLM


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--length", type=int, default=512)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--vocab", type=int, default=50265)
    p.add_argument("--attn", default="eager", choices=["eager", "sdpa"])
    p.add_argument("--tf32", action="store_true", help="allow TF32 matrix products (PyTorch's default is off)")
    p.add_argument("--amp", choices=["fp16", "bf16"], help="autocast mixed precision (fp16 with a GradScaler)")
    p.add_argument("--json", help="append the result as one JSON line to this file")
    a = p.parse_args()

    torch.manual_seed(42)
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    dev = torch.device("cuda")
    # roberta-base (configs/models/roberta-base.yaml): 12 x 768, 12 heads, 3072, positions 514, dropout 0.1
    cfg = RobertaConfig(vocab_size=a.vocab, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=a.length + 2, type_vocab_size=1,
                        layer_norm_eps=1e-5, attn_implementation=a.attn)
    model = RobertaForMaskedLM(cfg).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
    scaler = torch.amp.GradScaler("cuda") if a.amp == "fp16" else None
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(a.amp)

    g = torch.Generator().manual_seed(42)
    ids = torch.randint(5, a.vocab, (a.batch, a.length), generator=g)
    ids[:, 0], ids[:, -1] = 0, 2
    masked = torch.rand(a.batch, a.length, generator=g) < 0.15
    masked[:, 0] = masked[:, -1] = False
    labels = torch.where(masked, ids, torch.full_like(ids, -100))
    ids = torch.where(masked, torch.full_like(ids, 4), ids)
    ids, labels = ids.to(dev), labels.to(dev)
    mask = torch.ones_like(ids)

    def step():
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cuda", dtype=dtype, enabled=dtype is not None):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        if scaler:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        return loss

    start = time.perf_counter()
    for _ in range(3):
        step()
        torch.cuda.synchronize()
        if time.perf_counter() - start > 2:
            break
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        loss = step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1000)
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    step()
    torch.cuda.synchronize()
    ms = statistics.median(times)
    result = {
        "impl": "transformers %s RobertaForMaskedLM (%s attention)" % (__import__("transformers").__version__, a.attn),
        "torch": torch.__version__, "gpu": torch.cuda.get_device_name(), "batch": a.batch, "length": a.length,
        "tf32": a.tf32, "amp": a.amp, "ms": round(ms, 2), "tokens_per_s": round(a.batch * a.length / ms * 1000),
        "peak_allocated_growth_mib": round((torch.cuda.max_memory_allocated() - base) / 2**20),
        "peak_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20),
        "times_ms": [round(x, 2) for x in times], "loss": round(float(loss), 4),
    }
    print(json.dumps(result))
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
