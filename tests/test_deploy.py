"""docker-compose.yml: the bot built from the Dockerfile, with PostgreSQL (volume, healthcheck) and the
`.env` file; the bot waits for a healthy database and reaches it through SP_DATABASE__URL.

PyYAML is not a dependency: the file is read with a small parser for the block-style YAML subset it uses
(mappings, `- ` lists, scalars, comments); anything outside that subset fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text[:1] in "[{&*!|>":
        raise ValueError(f"outside the supported YAML subset: {text!r}")
    return text


def parse_yaml(text: str) -> object:
    lines = []
    for raw in text.splitlines():
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError("tab indentation")
        body = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if body.strip():
            lines.append((len(body) - len(body.lstrip()), body.strip()))

    def block(i: int, indent: int) -> tuple[object, int]:
        if lines[i][1].startswith("- "):
            items: list[object] = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                items.append(_scalar(lines[i][1][2:]))
                i += 1
            return items, i
        mapping: dict[str, object] = {}
        while i < len(lines) and lines[i][0] == indent:
            key, sep, rest = lines[i][1].partition(":")
            if not sep or key in mapping:
                raise ValueError(f"bad or duplicate key at {lines[i][1]!r}")
            i += 1
            if rest.strip():
                mapping[key] = _scalar(rest)
            elif i < len(lines) and lines[i][0] > indent:
                mapping[key], i = block(i, lines[i][0])
            else:
                mapping[key] = None
        if i < len(lines) and lines[i][0] > indent:
            raise ValueError(f"bad indentation at {lines[i][1]!r}")
        return mapping, i

    doc, end = block(0, 0)
    assert end == len(lines)
    return doc


@pytest.fixture(scope="module")
def compose() -> dict:
    doc = parse_yaml((ROOT / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def test_the_parser_refuses_what_it_does_not_understand() -> None:
    assert parse_yaml("a:\n  b: 1\n  c:\n    - x\n") == {"a": {"b": "1", "c": ["x"]}}
    for bad in ("a: [1, 2]\n", "a:\n  b: 1\n c: 2\n", "a: 1\na: 2\n"):
        with pytest.raises(ValueError):
            parse_yaml(bad)


def test_bot_and_postgres_services(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "db"}
    db, bot = services["db"], services["bot"]
    assert db["image"].startswith("postgres:")
    assert db["environment"]["POSTGRES_DB"] == "signalpilot"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert bot["build"] == "." and (ROOT / "Dockerfile").is_file()
    assert bot["env_file"] == [".env"]
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    url = bot["environment"]["SP_DATABASE__URL"]
    assert url.startswith("postgresql+asyncpg://signalpilot:") and url.endswith("@db:5432/signalpilot")
    assert any(v.endswith(":/app/data") for v in bot["volumes"])


def test_named_volumes_are_declared(compose: dict) -> None:
    used = {v.split(":")[0] for s in compose["services"].values() for v in s.get("volumes", [])}
    assert used == set(compose["volumes"])


def test_readme_documents_compose() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker-compose up" in readme or "docker compose up" in readme


def test_health_checks_use_the_http_endpoints(compose: dict) -> None:
    bot = compose["services"]["bot"]
    assert bot["environment"]["SP_HTTP__ENABLED"] == "true"
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile and "SP_HTTP__ENABLED=true" in dockerfile
