"""Property-based API fuzz of ``bootstrap:app`` from its own OpenAPI document.

Schemathesis generates requests from /openapi.json, valid ones ("positive") and invalid ones
("negative"), and checks every response: no 5xx, documented status codes, content types and
headers, bodies that match the response schemas, invalid input rejected and valid input
accepted. It runs against real servers, ``granian --interface rsgi`` and ``uvicorn``, so both
protocols are fuzzed. (Schemathesis' own pytest plugin does not support pytest 9 yet, so the
operations are driven through its Python API with Hypothesis.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.live.servers import start

pytestmark = pytest.mark.live

EXAMPLES = 40  # per operation, mode and server: bounded so the suite stays fast


def _cases() -> list[tuple[str, GenerationMode]]:
    """(operation, mode) pairs from the app's own document (no server needed to collect).
    Invalid data can only be generated for operations that take input."""
    previous = os.environ.get("ORIONIS_NOTES_DB")
    os.environ["ORIONIS_NOTES_DB"] = os.path.join(tempfile.gettempdir(), "orionis-collect.db")
    try:
        import bootstrap

        document = bootstrap.app.openapi()
    finally:
        if previous is None:
            os.environ.pop("ORIONIS_NOTES_DB", None)
        else:
            os.environ["ORIONIS_NOTES_DB"] = previous
    cases = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            cases.append((label, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture(scope="module", params=["granian-rsgi", "uvicorn"])
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def api_schema(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    folder = tmp_path_factory.mktemp(f"fuzz-{server}")
    running = start(
        server, "bootstrap:app", folder / "events.log", {"ORIONIS_NOTES_DB": str(folder / "n.db")}
    )
    try:
        yield schemathesis.openapi.from_url(running.url + "/openapi.json")
    finally:
        running.terminate()


@pytest.mark.parametrize(("label", "mode"), _cases())
def test_bootstrap_conforms_to_its_openapi(
    api_schema: schemathesis.BaseSchema, label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: a failure reproduces, never flickers
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate()

    fuzz()
