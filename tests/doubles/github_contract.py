"""GitHub's published REST schemas (githubkit's pydantic models of github/rest-api-description,
API version 2022-11-28) as a strict contract for the double's requests and answers.

The models ignore unknown keys, so `conforms` also walks the validated value next to the raw JSON and
fails on any key that is not a field of the schema object it belongs to, unless listed in EXTRA.
"""

from __future__ import annotations

from pydantic import BaseModel, TypeAdapter

from githubkit_schemas.v2022_11_28 import models as gh

# Keys GitHub or the provider send that the published schema does not list, and why they are allowed.
EXTRA: dict[type, set[str]] = {
    # Returned by GitHub and read by the provider (go-github Environment.CanAdminsBypass); a missing
    # one reads as false and shows as drift (shared/notes/github-api.md).
    gh.Environment: {"can_admins_bypass"},
    # Sent by the provider (go-github CreateUpdateEnvironment.CanAdminsBypass).
    gh.ReposOwnerRepoEnvironmentsEnvironmentNamePutBody: {"can_admins_bypass"},
    # Sent by the provider (go-github RepositoryRuleset has SourceType and Source, always set).
    gh.ReposOwnerRepoRulesetsPostBody: {"source_type", "source"},
    gh.ReposOwnerRepoRulesetsRulesetIdPutBody: {"source_type", "source"},
}


def conforms(schema, data):
    """Validate `data` against `schema` (a model or a type such as list[Model]); strict on keys."""
    value = TypeAdapter(schema).validate_python(data)
    _walk(value, data, "$")
    return value


def _walk(value, data, where: str) -> None:
    if isinstance(value, BaseModel):
        assert isinstance(data, dict), f"{where}: expected an object, got {data!r}"
        fields = {(info.alias or name): name for name, info in type(value).model_fields.items()}
        unknown = set(data) - set(fields) - EXTRA.get(type(value), set())
        assert not unknown, f"{where}: {sorted(unknown)} are not fields of {type(value).__name__}"
        for key, item in data.items():
            if key in fields:
                _walk(getattr(value, fields[key]), item, f"{where}.{key}")
    elif isinstance(value, list) and isinstance(data, list):
        for index, (item_value, item) in enumerate(zip(value, data)):
            _walk(item_value, item, f"{where}[{index}]")
    elif isinstance(value, dict) and isinstance(data, dict):
        for key, item in data.items():
            _walk(value.get(key), item, f"{where}.{key}")
