"""Makes the Hugging Face fixtures under this directory (run by hand; never by the build or the tests).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers safetensors numpy
    /tmp/venv/bin/python models/src/test/resources/hf/make_fixtures.py

Writes, next to this script:
  spec/tiny.safetensors, spec/tiny.json  a file written by the python `safetensors` library (F32, F16, BF16, I64 and
                                         metadata) and the values it holds, for the reader's conformance test
  <arch>-tiny/                           a TINY randomly initialised model saved with `save_pretrained` (config.json,
                                         model.safetensors), a word-level tokenizer (tokenizer.json, ...), and
                                         expected.json: a fixed batch of ids with padding, its attention mask, and the
                                         logits and last hidden states the model computes in evaluation mode
Every random draw is seeded, so rerunning reproduces the files (with the same torch version).
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 100
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def spec_fixture():
    out = os.path.join(HERE, "spec")
    os.makedirs(out, exist_ok=True)
    f32 = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4 - 0.5
    # Values exact in half and bfloat16, plus the extremes of half (65504, the smallest subnormal 2^-24) and -0.
    half_values = [0.0, -0.0, 1.0, -2.5, 65504.0, 2.0 ** -24, 2.0 ** -14, 0.333251953125]
    f16 = torch.tensor(half_values, dtype=torch.float16)
    bf16 = torch.tensor([1.0, -3.0, 0.0078125, 3.0e38, -1.5e-38, 0.333984375], dtype=torch.bfloat16).reshape(3, 2)
    i64 = torch.tensor([[0, -1], [2 ** 40, -(2 ** 62)]], dtype=torch.int64)
    scalar = torch.tensor(7.25, dtype=torch.float32)
    tensors = {"f32": f32, "f16": f16, "bf16": bf16, "i64": i64, "scalar": scalar}
    save_file(tensors, os.path.join(out, "tiny.safetensors"), metadata={"format": "pt", "note": "encoder4j fixture"})
    expected = {name: {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                       "values": (t.double() if t.is_floating_point() else t).flatten().tolist()}
                for name, t in tensors.items()}
    with open(os.path.join(out, "tiny.json"), "w") as fp:
        json.dump(expected, fp, indent=1)


def word_level_tokenizer(directory, specials):
    vocab = {tok: i for i, tok in enumerate(specials)}
    for i in range(len(specials), VOCAB):
        vocab[f"w{i}"] = i
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                                unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                                cls_token="<s>", sep_token="</s>")
    fast.save_pretrained(directory)


def perturb(model, seed):
    """transformers initialises N(0, 0.02), LayerNorm (1, 0) and zero biases, which makes near-uniform logits that
    hide mistakes: draw every parameter at a larger scale, LayerNorm gains around 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if "LayerNorm.weight" in name or "layer_norm.weight" in name:
                p.copy_(1.0 + 0.2 * noise)
            else:
                p.copy_(0.3 * noise)


# Two sequences with right padding and a full one; pad is 1, <s> 0, </s> 2, <mask> 4.
IDS = [
    [0, 17, 4, 56, 23, 99, 5, 61, 2, 1, 1, 1],
    [0, 8, 9, 4, 2, 1, 1, 1, 1, 1, 1, 1],
    [0, 33, 12, 77, 4, 40, 41, 90, 15, 63, 28, 2],
]


def save_model(name, model, extra=None, ids=None, specials=SPECIALS, automatic_global=None):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    model.eval()
    model.save_pretrained(out)
    word_level_tokenizer(out, specials)
    rows = ids or IDS
    pad = model.config.pad_token_id
    ids = torch.tensor(rows)
    mask = (ids != pad).long()
    kwargs = dict(extra or {})
    with torch.no_grad():
        outputs = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, **kwargs)
    expected = {
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "architecture": type(model).__name__,
        "input_ids": rows,
        "attention_mask": mask.tolist(),
    }
    # Masked LM, sequence and token classification: logits; question answering: start_logits and end_logits.
    for key in ("logits", "start_logits", "end_logits"):
        if getattr(outputs, key, None) is not None:
            expected[key] = getattr(outputs, key).tolist()
    expected["last_hidden_state"] = outputs.hidden_states[-1].tolist()
    for key, value in kwargs.items():
        expected[key] = value.tolist()
    if automatic_global is not None:
        # The global-attention mask the class placed by itself (no global_attention_mask was passed).
        expected["automatic_global_attention_mask"] = automatic_global(ids).long().tolist()
    with open(os.path.join(out, "expected.json"), "w") as fp:
        json.dump(expected, fp)


def roberta():
    torch.manual_seed(0)
    config = transformers.RobertaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=4, intermediate_size=64, max_position_embeddings=40,
                                        type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                        layer_norm_eps=1e-5, attn_implementation="eager")
    model = transformers.RobertaForMaskedLM(config)
    perturb(model, 1)
    save_model("roberta-tiny", model)


def longformer():
    torch.manual_seed(0)
    # Windows of 4 and 6 tokens (two-sided: 2 and 3 keys on each side), different per layer.
    config = transformers.LongformerConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                           num_attention_heads=4, intermediate_size=64, max_position_embeddings=40,
                                           attention_window=[4, 6], type_vocab_size=1, pad_token_id=1,
                                           bos_token_id=0, eos_token_id=2, sep_token_id=2, layer_norm_eps=1e-5)
    model = transformers.LongformerForMaskedLM(config)
    perturb(model, 2)
    # Global tokens: <s> and the mask in row 0, <s> in row 1, three in row 2 (one of them the last token).
    glob = torch.zeros(len(IDS), len(IDS[0]), dtype=torch.long)
    glob[0, 0] = glob[0, 2] = 1
    glob[1, 0] = 1
    glob[2, 0] = glob[2, 4] = glob[2, 11] = 1
    save_model("longformer-tiny", model, {"global_attention_mask": glob})


# Nystromformer in transformers takes exactly segment_means_seq_len tokens and computes landmarks over the padded
# sequence, so its batch has no padding: 3 rows of 16 tokens.
NYSTROM_IDS = [
    [0, 17, 4, 56, 23, 99, 5, 61, 12, 13, 14, 15, 16, 17, 18, 2],
    [0, 8, 9, 4, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 2],
    [0, 33, 12, 77, 4, 40, 41, 90, 15, 63, 28, 5, 6, 7, 8, 2],
]


def nystromformer():
    torch.manual_seed(0)
    config = transformers.NystromformerConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                              num_attention_heads=4, intermediate_size=64,
                                              max_position_embeddings=40, segment_means_seq_len=16,
                                              num_landmarks=4, conv_kernel_size=3, hidden_act="gelu",
                                              type_vocab_size=1, pad_token_id=1, layer_norm_eps=1e-5)
    model = transformers.NystromformerForMaskedLM(config)
    perturb(model, 3)
    save_model("nystromformer-tiny", model, ids=NYSTROM_IDS)
    with_per_matrix_pinv_start(model, "nystromformer-tiny", NYSTROM_IDS)


def with_per_matrix_pinv_start(model, name, rows):
    """transformers starts the pseudo-inverse iteration at A^T / (one maximum column sum over the whole batch and
    every head); encoder4j per matrix (1 / (max row sum x max column sum), the max row sum of a softmax being 1).
    Six iterations do not converge on these matrices, so the start shows in the logits. Adds to expected.json the
    outputs of transformers run with encoder4j's start (*_pinv_init_per_matrix), to show that this is the only
    difference (docs/interop.md)."""
    from transformers.models.nystromformer import modeling_nystromformer as mn

    def per_matrix_inv(self, mat, n_iter=6):
        identity = torch.eye(mat.size(-1), device=mat.device)
        rows = mat.abs().sum(-1, keepdim=True).amax(-2, keepdim=True)
        cols = mat.abs().sum(-2, keepdim=True).amax(-1, keepdim=True)
        value = mat.transpose(-1, -2) / (rows * cols)
        for _ in range(n_iter):
            key_value = torch.matmul(mat, value)
            value = torch.matmul(0.25 * value, 13 * identity - torch.matmul(
                key_value, 15 * identity - torch.matmul(key_value, 7 * identity - key_value)))
        return value

    original = mn.NystromformerSelfAttention.iterative_inv
    mn.NystromformerSelfAttention.iterative_inv = per_matrix_inv
    try:
        ids = torch.tensor(rows)
        with torch.no_grad():
            outputs = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True)
    finally:
        mn.NystromformerSelfAttention.iterative_inv = original
    path = os.path.join(HERE, name, "expected.json")
    expected = json.load(open(path))
    expected["logits_pinv_init_per_matrix"] = outputs.logits.tolist()
    expected["last_hidden_state_pinv_init_per_matrix"] = outputs.hidden_states[-1].tolist()
    with open(path, "w") as fp:
        json.dump(expected, fp)


def big_bird():
    """BigBird with attention_type original_full: its block-sparse attention is another computation (docs/interop.md).
    Its padding id is 0 and <s> is 1, so the batch swaps those two ids."""
    torch.manual_seed(0)
    config = transformers.BigBirdConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=4, intermediate_size=64, max_position_embeddings=40,
                                        attention_type="original_full", hidden_act="gelu", type_vocab_size=1,
                                        pad_token_id=0, bos_token_id=1, eos_token_id=2, sep_token_id=2,
                                        layer_norm_eps=1e-5)
    model = transformers.BigBirdForMaskedLM(config)
    perturb(model, 4)
    ids = [[{0: 1, 1: 0}.get(x, x) for x in row] for row in IDS]
    save_model("big_bird-tiny", model, ids=ids, specials=["<pad>", "<s>", "</s>", "<unk>", "<mask>"])


def tiny(config_class, **kwargs):
    """The tiny size of every fixture: vocabulary 100, hidden 32, 2 layers, 4 heads, intermediate 64; one token type
    unless kwargs say otherwise."""
    sizes = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                 max_position_embeddings=40, type_vocab_size=1, layer_norm_eps=1e-5)
    return config_class(**{**sizes, **kwargs})


# Question-answering pairs as RoBERTa's tokenizer makes them, <s> question </s></s> context </s>, padded on the
# right: exactly three separators per row, which LongformerForQuestionAnswering requires to place global attention.
# 12 tokens: transformers pads Longformer inputs to a multiple of the LARGEST window (6) but then requires a
# multiple of every layer's (4 and 6), so with these windows it runs only on lengths that are multiples of 12.
QA_IDS = [
    [0, 17, 56, 2, 2, 23, 99, 5, 61, 2, 1, 1],
    [0, 8, 2, 2, 9, 4, 30, 2, 1, 1, 1, 1],
    [0, 33, 12, 77, 2, 2, 40, 41, 90, 15, 63, 2],
]


def roberta_heads():
    """RobertaForSequenceClassification (3 named labels), RobertaForQuestionAnswering and
    RobertaForTokenClassification (named labels)."""
    torch.manual_seed(0)
    common = dict(pad_token_id=1, bos_token_id=0, eos_token_id=2, attn_implementation="eager")
    config = tiny(transformers.RobertaConfig, id2label={0: "negative", 1: "neutral", 2: "positive"},
                  problem_type="single_label_classification", **common)
    model = transformers.RobertaForSequenceClassification(config)
    perturb(model, 5)
    save_model("roberta-cls-tiny", model)

    torch.manual_seed(0)
    model = transformers.RobertaForQuestionAnswering(tiny(transformers.RobertaConfig, **common))
    perturb(model, 6)
    save_model("roberta-qa-tiny", model, ids=QA_IDS)

    torch.manual_seed(0)
    config = tiny(transformers.RobertaConfig, id2label={0: "O", 1: "B-ENT", 2: "I-ENT", 3: "B-NUM"}, **common)
    model = transformers.RobertaForTokenClassification(config)
    perturb(model, 7)
    save_model("roberta-token-tiny", model)


def longformer_heads():
    """LongformerForQuestionAnswering and LongformerForSequenceClassification, each run WITHOUT a
    global_attention_mask, so that the class places global attention itself: on the question (every token before
    the first separator) for QA, on <s> for classification. The masks it placed are stored too."""
    from transformers.models.longformer import modeling_longformer as ml

    common = dict(attention_window=[4, 6], pad_token_id=1, bos_token_id=0, eos_token_id=2, sep_token_id=2)
    torch.manual_seed(0)
    model = transformers.LongformerForQuestionAnswering(tiny(transformers.LongformerConfig, **common))
    perturb(model, 8)
    save_model("longformer-qa-tiny", model, ids=QA_IDS,
               automatic_global=lambda ids: ml._compute_global_attention_mask(ids, 2, before_sep_token=True))

    torch.manual_seed(0)
    model = transformers.LongformerForSequenceClassification(tiny(transformers.LongformerConfig, **common))
    perturb(model, 9)

    def first_token(ids):
        glob = torch.zeros_like(ids)
        glob[:, 0] = 1
        return glob
    save_model("longformer-cls-tiny", model, automatic_global=first_token)


def big_bird_heads():
    """BigBirdForSequenceClassification (original_full) as a regression: its head applies hidden_act (GELU) where
    RoBERTa's applies tanh. Padding id 0 and <s> 1, as in big_bird()."""
    torch.manual_seed(0)
    config = tiny(transformers.BigBirdConfig, attention_type="original_full", hidden_act="gelu", num_labels=1,
                  problem_type="regression", pad_token_id=0, bos_token_id=1, eos_token_id=2, sep_token_id=2)
    model = transformers.BigBirdForSequenceClassification(config)
    perturb(model, 10)
    ids = [[{0: 1, 1: 0}.get(x, x) for x in row] for row in IDS]
    save_model("big_bird-cls-tiny", model, ids=ids, specials=["<pad>", "<s>", "</s>", "<unk>", "<mask>"])


def big_bird_qa():
    """BigBirdForQuestionAnswering (original_full) run WITHOUT token_type_ids or question_lengths, so that the class
    derives them itself: the question is everything up to and including the first separator, the rest gets token
    type 1 (two token types, BigBird's default), and the question's start and end logits (but not <s>'s) get -1e6.
    Its head is BigBirdForQuestionAnsweringHead: dropout, intermediate (dense + hidden_act), output (dense, dropout,
    LayerNorm with the encoder output added), qa_outputs. The pairs of QA_IDS with BigBird's padding 0 and <s> 1, and a
    fourth row with no separator at all (transformers then takes a question of length 1: only <s>, which is never
    masked). The token types the class derived are stored as automatic_token_type_ids."""
    torch.manual_seed(0)
    config = tiny(transformers.BigBirdConfig, attention_type="original_full", hidden_act="gelu", type_vocab_size=2,
                  pad_token_id=0, bos_token_id=1, eos_token_id=2, sep_token_id=2)
    model = transformers.BigBirdForQuestionAnswering(config)
    perturb(model, 12)
    ids = [[{0: 1, 1: 0}.get(x, x) for x in row] for row in QA_IDS] + [[1, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0]]
    seen = {}

    def capture(module, args, kwargs):
        seen["token_type_ids"] = kwargs["token_type_ids"].clone()
    hook = model.bert.register_forward_pre_hook(capture, with_kwargs=True)
    try:
        save_model("big_bird-qa-tiny", model, ids=ids, specials=["<pad>", "<s>", "</s>", "<unk>", "<mask>"])
    finally:
        hook.remove()
    path = os.path.join(HERE, "big_bird-qa-tiny", "expected.json")
    expected = json.load(open(path))
    expected["automatic_token_type_ids"] = seen["token_type_ids"].tolist()
    with open(path, "w") as fp:
        json.dump(expected, fp)


def nystromformer_heads():
    """NystromformerForSequenceClassification, multi-label over 4 labels; its head applies hidden_act (GELU)."""
    torch.manual_seed(0)
    config = tiny(transformers.NystromformerConfig, segment_means_seq_len=16, num_landmarks=4, conv_kernel_size=3,
                  hidden_act="gelu", pad_token_id=1, num_labels=4, problem_type="multi_label_classification")
    model = transformers.NystromformerForSequenceClassification(config)
    perturb(model, 11)
    save_model("nystromformer-cls-tiny", model, ids=NYSTROM_IDS)
    with_per_matrix_pinv_start(model, "nystromformer-cls-tiny", NYSTROM_IDS)


FIXTURES = {"spec": spec_fixture, "roberta": roberta, "longformer": longformer, "nystromformer": nystromformer,
            "big_bird": big_bird, "roberta_heads": roberta_heads, "longformer_heads": longformer_heads,
            "big_bird_heads": big_bird_heads, "big_bird_qa": big_bird_qa, "nystromformer_heads": nystromformer_heads}


if __name__ == "__main__":
    for w in sys.argv[1:] or list(FIXTURES):
        FIXTURES[w]()
