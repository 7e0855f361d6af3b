"""Compares encoder4j's outputs with what Hugging Face transformers computes for the same checkpoint.

    bin/encoder4j export runs/quickstart /tmp/qs-hf                       # or any transformers checkpoint
    bin/encoder4j logits /tmp/qs-hf ids.json --out /tmp/e4j.json          # encoder4j's logits
    python tools/compare_with_transformers.py /tmp/qs-hf ids.json /tmp/e4j.json

ids.json is a JSON array of arrays of token ids; shorter rows are padded on the right with the model's pad_token_id
and masked, exactly as `bin/encoder4j logits` does. Options --attention-mask and --global-attention-mask take the
same files as the logits command. The class is config.json's `architectures` (RobertaForSequenceClassification, ...);
--head defaults to that class's outputs (mlm, cls, qa or token, as `logits` does); --head hidden compares
last_hidden_state. Without --global-attention-mask, Longformer's classification and QA classes place their own global
attention, and so does `logits`. Prints the largest absolute difference over real (unmasked) positions (every row for
cls) and exits with status 1 when it exceeds --tolerance (1e-4). BigBirdForQuestionAnswering's question positions,
lowered by 1e6, are checked apart: within one float32 step of their size.
Needs: pip install torch transformers safetensors. Run by hand; never by the build.
"""
import argparse
import json
import sys

import torch
import transformers


HEADS = {"ForMaskedLM": "mlm", "ForSequenceClassification": "cls", "ForQuestionAnswering": "qa",
         "ForTokenClassification": "token"}


def padded(rows, pad):
    n = max(len(r) for r in rows)
    ids = [r + [pad] * (n - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (n - len(r)) for r in rows]
    return ids, mask


def pad_to(rows, n):
    return [r + [0] * (n - len(r)) for r in rows]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hf_dir")
    p.add_argument("ids")
    p.add_argument("encoder4j_output")
    p.add_argument("--attention-mask")
    p.add_argument("--global-attention-mask")
    p.add_argument("--head", choices=["mlm", "cls", "qa", "token", "hidden"])
    p.add_argument("--tolerance", type=float, default=1e-4)
    args = p.parse_args()

    config = transformers.AutoConfig.from_pretrained(args.hf_dir)
    architecture = (config.architectures or ["ForMaskedLM"])[0]
    own = next((h for suffix, h in HEADS.items() if architecture.endswith(suffix)), None)
    if own is None:
        print(f"{architecture}: not a class encoder4j has a head for")
        return 1
    head = args.head or own
    model = getattr(transformers, architecture).from_pretrained(args.hf_dir, attn_implementation="eager")
    model.eval()
    rows = json.load(open(args.ids))
    ids, mask = padded(rows, config.pad_token_id)
    n = len(ids[0])
    if args.attention_mask:
        mask = pad_to(json.load(open(args.attention_mask)), n)
    kwargs = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    if args.global_attention_mask:
        kwargs["global_attention_mask"] = torch.tensor(pad_to(json.load(open(args.global_attention_mask)), n))
    with torch.no_grad():
        out = model(**kwargs, output_hidden_states=True)
    keys = {"mlm": ["logits"], "cls": ["logits"], "token": ["logits"], "qa": ["start_logits", "end_logits"],
            "hidden": ["last_hidden_state"]}[head]
    ours_all = json.load(open(args.encoder4j_output))
    real = torch.tensor(mask).bool()
    worst = 0.0
    for key in keys:
        theirs = out.hidden_states[-1] if key == "last_hidden_state" else getattr(out, key)
        ours = torch.tensor(ours_all[key])
        if ours.shape != theirs.shape:
            print(f"{key}: shape mismatch: encoder4j {tuple(ours.shape)}, transformers {tuple(theirs.shape)}")
            return 1
        # (B, L) classification logits have no positions; every other output is compared at real positions.
        diff = (ours - theirs).abs()
        if head != "cls":
            diff, theirs = diff[real], theirs[real]
        if head == "qa":
            # BigBirdForQuestionAnswering lowers the question's logits by 1e6: x - 1e6 in float32, whose grid step
            # there is 0.0625. Those positions must agree within one step; the others within the tolerance.
            penalised = theirs < -1e5
            if penalised.any():
                step = (diff[penalised] / torch.finfo(torch.float32).eps / theirs[penalised].abs()).max().item()
                print(f"{type(model).__name__}: {int(penalised.sum())} question positions lowered by 1e6; largest "
                      f"difference there {diff[penalised].max().item():.3g} ({step:.2f} float32 steps of their size)")
                if step > 1:
                    worst = float("inf")
                diff, theirs = diff[~penalised], theirs[~penalised]
        worst = max(worst, diff.max().item())
        print(f"{type(model).__name__}: max |{key} difference| over real positions = {diff.max().item():.3g} "
              f"(largest |{key}| {theirs.abs().max().item():.3g})")
    try:
        tok = transformers.AutoTokenizer.from_pretrained(args.hf_dir)
        print(f"tokenizer {type(tok).__name__} loads; 'Hello world' -> {tok('Hello world')['input_ids']}")
    except Exception as e:  # the model comparison stands on its own
        print(f"tokenizer did not load: {e}")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
