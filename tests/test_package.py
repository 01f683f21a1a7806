"""The core stays a core: importing it pulls in neither the UI nor TensorFlow."""

import subprocess
import sys


def test_import_seqviz_pulls_in_no_streamlit_and_no_tensorflow():
    code = (
        "import sys, seqviz, seqviz.config, seqviz.engine, seqviz.cli, seqviz.explain, seqviz.export;"
        "bad = [m for m in ('streamlit', 'tensorflow', 'keras') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"imported at import time: {done.stdout} {done.stderr}"
