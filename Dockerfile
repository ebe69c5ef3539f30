# EventStream server image. Build: docker build -t eventstream .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml requirements-runtime.lock README.md NOTICE ./
COPY eventstream ./eventstream
RUN python -m venv /opt/eventstream \
 && /opt/eventstream/bin/pip install --no-cache-dir -r requirements-runtime.lock \
 && /opt/eventstream/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/eventstream --create-home eventstream
COPY --from=build /opt/eventstream /opt/eventstream
COPY NOTICE licenses/ /usr/share/doc/eventstream/
ENV PATH=/opt/eventstream/bin:$PATH PYTHONUNBUFFERED=1
USER eventstream
WORKDIR /var/lib/eventstream
ENTRYPOINT ["eventstream"]
CMD ["--help"]
