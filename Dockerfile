# seqviz as a container: `docker build -t seqviz . && docker run -p 8501:8501 seqviz`
#
# The base is an official slim Python image. Any Debian-like image with python3 (+ venv) and
# useradd works too (the tests build on a debootstrapped bookworm: --build-arg BASE_IMAGE=...).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# Streamlit headless on all interfaces, no usage stats; quiet TensorFlow; a lean pip;
# the virtual environment first on PATH.
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# An unprivileged user with uid 1000 (what Hugging Face Docker Spaces run as), with a home
# that Keras and Streamlit may write their small per-user files to.
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin app

# Dependencies before the code, so editing the app doesn't reinstall TensorFlow.
# TensorFlow's C++ headers (~290 MB) are only for compiling custom ops: dropped.
COPY requirements.txt /opt/requirements.txt
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r /opt/requirements.txt \
    && rm -rf /opt/venv/lib/python3*/site-packages/tensorflow/include

# Only what the app needs, owned by root and read-only for the app user.
WORKDIR /app
COPY .streamlit/ ./.streamlit/
COPY seqviz/ ./seqviz/
COPY page/ ./page/
COPY app.py serve.py ./

USER 1000:1000
ENV HOME=/home/app

# numba compiles seqviz's training loop (seqviz/kernel.py) once, here, into the app user's own
# cache, so no run pays for it; on a host whose CPU differs from the build's, the first run
# compiles again into the same (writable) cache.
ENV NUMBA_CACHE_DIR=/home/app/.cache/numba
RUN ["/opt/venv/bin/python", "-c", "from seqviz.kernel import warm_up; warm_up()"]

# 8501 by default; $PORT wins when the platform sets it (e.g. 7860 on Hugging Face Spaces).
EXPOSE 8501

# No curl in a slim image: the venv's python asks Streamlit's own health endpoint.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_stcore/health' % (os.environ.get('PORT') or '8501'), timeout=8)"]

# serve.py runs app.py and drains on SIGTERM (docker stop, Kubernetes): see README, "More than one server".
CMD ["sh", "-c", "exec streamlit run serve.py --server.port=${PORT:-8501} --server.address=0.0.0.0"]
