"""Makes shard-00000.arrow here with pyarrow (run by hand, never by the build):

    /tmp/hfenv/bin/python make_fixture.py     # a venv with `pip install datasets` (brings pyarrow)

An Arrow IPC file (random-access format) with one nullable column input_ids: list<int32> in two record batches,
rows [i, i+1, ..., 2i] for i = 0..9, to check that ArrowShardReader maps files it did not write itself.
"""
import pathlib

import pyarrow as pa

here = pathlib.Path(__file__).parent
schema = pa.schema([pa.field("input_ids", pa.list_(pa.int32()))])
rows = [list(range(i, 2 * i + 1)) for i in range(10)]
with pa.ipc.new_file(str(here / "shard-00000.arrow"), schema) as writer:
    writer.write_batch(pa.record_batch([pa.array(rows[:4], type=pa.list_(pa.int32()))], schema=schema))
    writer.write_batch(pa.record_batch([pa.array(rows[4:], type=pa.list_(pa.int32()))], schema=schema))
print(pa.__version__)
