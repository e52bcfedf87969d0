"""CPU time (``time.process_time``) of ``TableQA.ask`` per question on the 15-row dev tables.

    python bench/cpu_ask.py          # questions=81 median_cpu_ms=… mean_cpu_ms=…

Process CPU time, unlike wall time, hardly moves when other work shares the machine,
so two checkouts can be compared on a busy machine. Works on the layout before issue 10
too (its imports fall back), to compare old and new side by side.
"""
import statistics, time
from npqa.api import TableQA
try:
    from npqa.train.wtq import read_examples
    from npqa.table.read import load_table
except ImportError:
    from npqa.wtq import read_examples
    from npqa.table import load_table
qa = TableQA.load()
exs = read_examples("/work/shared/wtq/data/random-split-1-dev.tsv")
tables = {}
for ex in exs:
    if ex.table_path not in tables:
        tables[ex.table_path] = load_table("/work/shared/wtq/" + ex.table_path)
chosen = [ex for ex in exs if tables[ex.table_path].n_rows == 15]
for ex in chosen[:5]:
    qa.ask(tables[ex.table_path], ex.question)
times = []
for rep in range(3):
    for ex in chosen:
        t0 = time.process_time(); qa.ask(tables[ex.table_path], ex.question); times.append(time.process_time() - t0)
print(f"questions={len(chosen)} median_cpu_ms={1000*statistics.median(times):.2f} mean_cpu_ms={1000*statistics.mean(times):.2f}")
