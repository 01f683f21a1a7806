"""Train click → every chart drawn on the page, for the CSV regression case of
``bench_fit.py --csv``: a 1,000-row, 4-feature CSV uploaded in a real browser (Chromium on
loopback), LSTM(32), stateful chunks of 10 in 10 lanes, mse, 100 epochs (target ≤ 5 s).

Each click uses a new seed, so nothing comes from the cache. A warning is printed when the
machine was busy with other work (load average above the core count).

    .venv/bin/python benchmarks/bench_csv_page.py [--repeat 3] [--epochs 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.e2e import MODE_LABELS, launch_browser, streamlit_server, wait_for_run  # noqa: E402


def main() -> None:
    from bench_fit import CSV_LANES, CSV_UNITS, CSV_WINDOW, csv_series

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, streamlit_server() as url, launch_browser() as browser:
        path = Path(scratch) / "series.csv"
        path.write_text(csv_series())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?epochs=3&mode=sequence")
        page.get_by_role("button", name="Train", exact=True).wait_for(timeout=60000)
        wait_for_run(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        wait_for_run(page)
        page.get_by_text("Numbers: a CSV time series").click()
        page.get_by_role("textbox", name="Target column").fill("y")
        page.locator('[data-testid="stRadio"] label').filter(has_text=MODE_LABELS["chunks"]).first.click()
        page.get_by_text("Advanced").click()
        for name, value in (
            ("Epochs", args.epochs),
            ("Units", CSV_UNITS),
            ("Window", CSV_WINDOW),
            ("Batch size", CSV_LANES),
        ):
            page.get_by_role("spinbutton", name=name, exact=True).fill(str(value))
        seconds = []
        for seed in range(1, args.repeat + 1):
            page.get_by_role("spinbutton", name="Seed").fill(str(seed))
            started = time.monotonic()
            page.get_by_role("button", name="Train", exact=True).click()
            wait_for_run(page, timeout=300)
            seconds.append(time.monotonic() - started)
            assert f"seed={seed}" in page.evaluate("location.href")
            assert page.get_by_text("Predicted and target values").count() >= 1
        load = os.getloadavg()[0]
    print(
        f"CSV page: {path.name} 1,000 rows x 4 features, LSTM({CSV_UNITS}), chunks of {CSV_WINDOW} in "
        f"{CSV_LANES} lanes, {args.epochs} epochs: Train click to charts "
        f"{', '.join(f'{s:.2f}' for s in seconds)} s "
        f"(median {statistics.median(seconds):.2f} s; target <= 5 s)"
    )
    if load > (os.cpu_count() or 1):
        print(
            f"WARNING: load average {load:.1f} on {os.cpu_count()} cores: the machine was busy; rerun idle."
        )


if __name__ == "__main__":
    main()
