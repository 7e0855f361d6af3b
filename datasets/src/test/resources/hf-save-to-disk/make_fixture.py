"""Makes the tiny Hugging Face `datasets` fixture in this directory (run by hand, never by the build).

    python3 -m venv /tmp/hfenv && /tmp/hfenv/bin/pip install datasets
    /tmp/hfenv/bin/python make_fixture.py

Text: the first paragraphs of Washington's first inaugural address (public domain), from
examples/data/quickstart/us-inaugural-addresses.txt. `input_ids` are made-up small integers derived from the
characters (ord % 50), so that the Java reader's ids can be checked against the text without a tokenizer.
"""
import pathlib

import datasets

here = pathlib.Path(__file__).parent
source = here.parents[4] / "examples/data/quickstart/us-inaugural-addresses.txt"
paragraphs = [" ".join(p.split()) for p in source.read_text(encoding="utf-8").split("\n\n") if p.strip()][:6]
ds = datasets.Dataset.from_dict({
    "text": paragraphs,
    "input_ids": [[ord(c) % 50 for c in p[:40]] for p in paragraphs],
    "label": list(range(len(paragraphs))),
}, features=datasets.Features({
    "text": datasets.Value("string"),
    "input_ids": datasets.Sequence(datasets.Value("int32")),
    "label": datasets.Value("int64"),
}))
ds.save_to_disk(str(here / "dataset"), num_shards=2)
datasets.DatasetDict({"train": ds.select(range(4)), "validation": ds.select(range(4, 6))}).save_to_disk(
    str(here / "dataset_dict"))
print(ds)
