"""The page's sections, one module each, and what they share: ``app.py`` lays them out in order.

The only package besides ``app.py`` that imports Streamlit (``seqviz`` never does). Each
section reads the run and its facts and draws them; every verdict, mark and number comes from
``seqviz``. Not named ``pages``: Streamlit would read a ``pages/`` folder as a multipage app.
"""
