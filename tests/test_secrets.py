"""Secrets and credentials: resolved in the worker from the secrets file, never shown in
events, logs, --json or the JSONL file; a missing secret fails the block clearly."""

from __future__ import annotations

import json
import shutil

import pytest
from helpers import FLOWS, events, log_lines, started
from test_cli import run_cli

import oocana_local
from oocana_local.errors import UsageError
from oocana_local.secrets import CredentialInput, SecretError, credential_input, resolve_inputs

SECRETS = FLOWS / "secrets" / "secrets.json"
API_KEY = 'sk-123\n"quoted"'


class TestResolution:
    def test_every_kind_of_reference(self, engine):
        result = engine.run(FLOWS / "secrets", secrets_file=SECRETS)

        assert result.status == "completed", result.error
        assert result.outputs["seen"] == {
            "anywhere": {"list": [API_KEY, "${{OO_SECRET:Custom,api,key}}_not"]},
            "bare": API_KEY,
            "nested": {"token": "hunter2"},
            "patched": {"user": "admin", "pass": "hunter2"},  # schema_overrides
            "cred": ["github", "cred-42"],
        }

    def test_events_show_placeholders_and_logs_hide_the_values(self, engine):
        result = engine.run(FLOWS / "secrets", secrets_file=SECRETS)

        inputs = started(result, "use")[0]["inputs"]
        assert inputs["bare"] == "Custom,api,key"
        assert inputs["anywhere"]["list"][0] == "${{OO_SECRET:Custom,api,key}}"
        assert inputs["patched"]["pass"] == "Custom,db,password"
        assert log_lines(result, "use") == ["resolved ******", "******"]
        text = json.dumps([e for e in result.events
                           if e["type"] not in ("BlockFinished", "FlowOutput", "FlowFinished")])
        assert "hunter2" not in text and "sk-123" not in text

    def test_the_file_can_come_from_the_environment(self, engine, monkeypatch):
        monkeypatch.setenv("OOCANA_SECRETS_FILE", str(SECRETS))
        result = engine.run(FLOWS / "secrets")
        assert result.status == "completed", result.error


class TestMissingSecrets:
    def test_no_secrets_file(self, engine, monkeypatch, tmp_path):
        monkeypatch.delenv("OOCANA_SECRETS_FILE", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))  # no ~/app-config/oomol-secrets either
        result = engine.run(FLOWS / "secrets")

        assert result.status == "failed"
        assert "secret 'Custom,api,key' needs a secrets file" in result.error
        assert "--secrets FILE" in result.error

    def test_unknown_name_names_the_secret_and_the_file_not_a_value(self, engine, tmp_path):
        partial = tmp_path / "secrets.json"
        data = json.loads(SECRETS.read_text())
        del data["db"]
        partial.write_text(json.dumps(data))
        result = engine.run(FLOWS / "secrets", secrets_file=partial)

        assert result.status == "failed"
        assert (f"secret 'Custom,db,password': no secret named 'db' in the secrets file "
                f"{partial}") in result.error
        assert "sk-123" not in result.error

    def test_unknown_key(self, engine, tmp_path):
        data = json.loads(SECRETS.read_text())
        data["db"]["secrets"][0]["secretKey"] = "other"
        bad = tmp_path / "secrets.json"
        bad.write_text(json.dumps(data))
        result = engine.run(FLOWS / "secrets", secrets_file=bad)

        assert "secret 'db' has no key 'password'" in result.error
        assert "hunter2" not in result.error

    def test_a_secrets_file_that_does_not_exist_is_a_usage_error(self, engine, tmp_path):
        with pytest.raises(UsageError, match="secrets file .* does not exist"):
            engine.run(FLOWS / "secrets", secrets_file=tmp_path / "nope.json")


class TestCli:
    def test_secrets_option_and_nothing_leaks_to_json_or_jsonl(self, tmp_path):
        secrets = tmp_path / "s.json"
        shutil.copy(SECRETS, secrets)
        jsonl = tmp_path / "events.jsonl"
        proc = run_cli("run", str(FLOWS / "secrets"), "--secrets", str(secrets), "--json",
                       "--events", str(jsonl))

        assert proc.returncode == 0, proc.stderr
        lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
        started_line = next(e for e in lines if e["type"] == "BlockStarted")
        assert started_line["inputs"]["nested"] == {"token": "Custom,db,password"}
        logs = [e["log"] for e in lines if e["type"] == "BlockLog"]
        assert logs == ["resolved ******", "******"]

    def test_missing_secrets_file_exits_2(self, tmp_path):
        proc = run_cli("run", str(FLOWS / "secrets"), "--secrets", str(tmp_path / "x.json"))
        assert proc.returncode == 2
        assert "does not exist" in proc.stderr


class TestUnits:
    def test_credentials(self):
        assert credential_input("${{OO_CREDENTIAL:github,name,id-1}}") == \
            CredentialInput("github", "id-1")
        for bad in ("plain", "${{OO_CREDENTIAL:a,b}}", "${{OO_CREDENTIAL:a,b,c}}_x",
                    "${{OO_SECRET:a,b,c}}", 3, None):
            assert credential_input(bad) is None
        inputs, _ = resolve_inputs(
            {"c": "nope", "d": "${{OO_CREDENTIAL:t,n,i}}"},
            {"c": {"json_schema": {"contentMediaType": "oomol/credential"}}}, None, None)
        assert inputs == {"c": None, "d": "${{OO_CREDENTIAL:t,n,i}}"}

    def test_bare_non_reference_on_a_secret_handle_is_left_alone(self):
        inputs, used = resolve_inputs(
            {"s": "aaaa"}, {"s": {"json_schema": {"contentMediaType": "oomol/secret"}}},
            None, str(SECRETS))
        assert inputs == {"s": "aaaa"} and used == []

    def test_array_items_and_patch_paths(self):
        inputs, used = resolve_inputs(
            {"keys": ["Custom,db,password"], "deep": {"a": [0, "Custom,api,key"]}},
            {"keys": {"json_schema": {"type": "array", "items": {
                "type": "string", "contentMediaType": "oomol/secret"}}}},
            {"deep": [{"path": ["a", 1], "schema": {"contentMediaType": "oomol/secret"}}]},
            str(SECRETS))
        assert inputs == {"keys": ["hunter2"], "deep": {"a": [0, API_KEY]}}
        assert sorted(used) == sorted(["hunter2", API_KEY])

    def test_errors_are_secret_errors(self):
        with pytest.raises(SecretError, match="needs a secrets file"):
            resolve_inputs({"x": "${{OO_SECRET:a,b,c}}"}, None, None, None)


def test_module_level_run_takes_a_secrets_file():
    result = oocana_local.run(FLOWS / "secrets", secrets_file=SECRETS)
    assert result.status == "completed", result.error
    assert events(result, "BlockLog", "use")
