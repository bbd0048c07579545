"""Is a new JSON Schema of an event compatible with the one already published?

Compatible means every event valid under the old schema is still valid under the
new one, and no property that consumers may read disappears. Old events stay in
the store and on topics forever, so a new schema must accept them all; anything
else is a new version with an upcaster.

The check understands the schemas pydantic writes: ``$ref`` into ``$defs``,
``anyOf`` (how pydantic spells ``Optional``), ``type`` lists, ``enum``/``const``,
``format``, length and range bounds, ``pattern``, objects and arrays. Where it
cannot decide (two different regular expressions), it reports a breaking change:
a false alarm costs a look, a missed break costs every consumer.
"""

from typing import Any

JSONSchema = dict[str, Any]

# Marks a schema that came from a $ref, so that recursive schemas end.
_ORIGIN = "$resolved_from"

# Bounds a new schema may loosen but not tighten.
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")


def check_compatibility(old_schema: JSONSchema, new_schema: JSONSchema) -> list[str]:
    """The breaking changes from ``old_schema`` to ``new_schema``; empty when compatible.

    Each change is a sentence naming where it happened, e.g.
    ``"$.region_code: no longer accepts null"``.
    """
    return _Comparison(old_schema, new_schema).schemas(old_schema, new_schema, "$")


class _Comparison:
    def __init__(self, old_root: JSONSchema, new_root: JSONSchema) -> None:
        self._old_root, self._new_root = old_root, new_root
        self._in_progress: set[tuple[str, str]] = set()

    def schemas(self, old: Any, new: Any, path: str) -> list[str]:
        new_branches = _branches(new, self._new_root)
        problems: list[str] = []
        for old_branch in _branches(old, self._old_root):
            problems += self._covered(old_branch, new_branches, path)
        return problems

    def _covered(self, old: JSONSchema, new_branches: list[JSONSchema], path: str) -> list[str]:
        # An old alternative (say the `null` of an Optional) survives if some new
        # alternative of a compatible type accepts everything it accepted.
        candidates = [new for new in new_branches if _type_accepts(new, old)]
        if not candidates:
            return [f"{path}: no longer accepts {_type_of(old) or 'values of every type'}"]
        return min((self._branch(old, new, path) for new in candidates), key=len)

    def _branch(self, old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
        refs = (old.get(_ORIGIN, ""), new.get(_ORIGIN, ""))
        if "" in refs:
            return self._branch_once(old, new, path)  # inline schemas are finite
        if refs in self._in_progress:
            return []  # a recursive schema: the comparison further up covers this level
        self._in_progress.add(refs)
        try:
            return self._branch_once(old, new, path)
        finally:
            self._in_progress.discard(refs)

    def _branch_once(self, old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
        problems = _values(old, new, path) + _format(old, new, path) + _bounds(old, new, path)
        problems += _pattern(old, new, path)
        if _type_of(new) == "object":
            problems += self._objects(old, new, path)
        if _type_of(new) == "array":
            problems += self._arrays(old, new, path)
        return problems

    def _objects(self, old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        newly_required = set(new.get("required", [])) - set(old.get("required", []))
        problems = [f"{path}.{name}: removed" for name in old_props if name not in new_props]
        for name in sorted(newly_required):
            kind = "is now required" if name in old_props else "added as a required property"
            problems.append(f"{path}.{name}: {kind}")
        for name in sorted(old_props.keys() & new_props.keys()):
            problems += self.schemas(old_props[name], new_props[name], f"{path}.{name}")
        return problems + self._additional_properties(old, new, path)

    def _additional_properties(self, old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
        # Absent means "anything", like `true`; pydantic writes `false` for extra="forbid"
        # and a schema for the values of a dict field.
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False:
            return [] if old_extra is False else [f"{path}: no longer accepts extra properties"]
        if old_extra is False:
            return []
        return self.schemas(old_extra, new_extra, f"{path}.*")

    def _arrays(self, old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
        problems = self.schemas(old.get("items", True), new.get("items", True), f"{path}[]")
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        if len(old_prefix) != len(new_prefix):
            problems.append(f"{path}: tuple of {len(old_prefix)} became {len(new_prefix)}")
        for index, (old_item, new_item) in enumerate(zip(old_prefix, new_prefix, strict=False)):
            problems += self.schemas(old_item, new_item, f"{path}[{index}]")
        if new.get("uniqueItems") and not old.get("uniqueItems"):
            problems.append(f"{path}: items must now be unique")
        return problems


def _branches(schema: Any, root: JSONSchema) -> list[JSONSchema]:
    """The alternatives a schema allows, one JSON type each where it names types."""
    if schema is True:
        return [{}]
    if schema is False:
        return []
    schema = _resolved(schema, root)
    alternatives = schema.get("anyOf", []) + schema.get("oneOf", [])
    if alternatives:
        return [branch for option in alternatives for branch in _branches(option, root)]
    if isinstance(schema.get("type"), list):
        return [_typed(schema, json_type) for json_type in schema["type"]]
    values = _allowed_values(schema)
    if "type" not in schema and values is not None:
        # An untyped enum such as `["a", null]` gets one branch per JSON type, so
        # that it matches a new schema that spells the same thing with `anyOf`.
        return [_typed(schema, json_type) for json_type in dict.fromkeys(map(_json_type, values))]
    return [schema]


def _typed(schema: JSONSchema, json_type: str) -> JSONSchema:
    """One JSON type's share of a multi-type schema, keeping only its enum values."""
    typed = {**schema, "type": json_type}
    values = _allowed_values(schema)
    if values is not None:
        typed.pop("const", None)
        typed["enum"] = [value for value in values if _is_of_type(value, json_type)]
    return typed


def _resolved(schema: JSONSchema, root: JSONSchema) -> JSONSchema:
    # Sibling keywords of a $ref (pydantic puts `description` or `default` there)
    # and the parts of an allOf are merged into one schema: pydantic's output never
    # relies on allOf to intersect conflicting constraints.
    resolved = dict(schema)
    if "$ref" in resolved:
        ref = resolved.pop("$ref")
        resolved = {**_resolved(_pointer(root, ref), root), **resolved, _ORIGIN: ref}
    for part in resolved.pop("allOf", []):
        resolved = {**resolved, **_resolved(part, root)}
    return resolved


def _pointer(root: JSONSchema, ref: str) -> JSONSchema:
    if not ref.startswith("#"):
        raise ValueError(f"only references within the same schema are supported, not {ref!r}")
    target: Any = root
    for token in ref.removeprefix("#").strip("/").split("/"):
        if token:
            target = target[token.replace("~1", "/").replace("~0", "~")]
    if not isinstance(target, dict):
        raise ValueError(f"{ref!r} does not point at a schema")
    return target


def _type_of(schema: JSONSchema) -> str | None:
    """The JSON type of a branch; None when the branch accepts every type."""
    json_type = schema.get("type")
    return json_type if isinstance(json_type, str) else None


def _type_accepts(new: JSONSchema, old: JSONSchema) -> bool:
    new_type, old_type = _type_of(new), _type_of(old)
    return new_type is None or new_type == old_type or (new_type, old_type) == ("number", "integer")


def _allowed_values(schema: JSONSchema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _values(old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if new_values is None:
        return []
    if old_values is None:
        return [f"{path}: now restricted to {', '.join(map(repr, new_values))}"]
    lost = [value for value in old_values if value not in new_values]
    return [f"{path}: no longer allows {', '.join(map(repr, lost))}"] if lost else []


def _format(old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
    old_format, new_format = old.get("format"), new.get("format")
    if new_format is None or new_format == old_format:
        return []
    if old_format is None:
        return [f"{path}: format {new_format!r} added"]
    return [f"{path}: format changed from {old_format!r} to {new_format!r}"]


def _bounds(old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
    problems = [_tightened(old, new, key, path, lower=False) for key in _UPPER_BOUNDS]
    problems += [_tightened(old, new, key, path, lower=True) for key in _LOWER_BOUNDS]
    problems.append(_multiple_of(old, new, path))
    return [problem for problem in problems if problem]


def _tightened(old: JSONSchema, new: JSONSchema, key: str, path: str, *, lower: bool) -> str:
    old_bound, new_bound = old.get(key), new.get(key)
    if new_bound is None:
        return ""
    if old_bound is None:
        return f"{path}: {key} {new_bound} added"
    if (new_bound > old_bound) if lower else (new_bound < old_bound):
        verb = "raised" if lower else "lowered"
        return f"{path}: {key} {verb} from {old_bound} to {new_bound}"
    return ""


def _multiple_of(old: JSONSchema, new: JSONSchema, path: str) -> str:
    old_step, new_step = old.get("multipleOf"), new.get("multipleOf")
    if new_step is None or (old_step is not None and old_step % new_step == 0):
        return ""
    return f"{path}: multipleOf {new_step} added"


def _pattern(old: JSONSchema, new: JSONSchema, path: str) -> list[str]:
    # Whether one regular expression accepts all that another does is undecidable in
    # practice, so any new or different pattern counts as narrowing.
    old_pattern, new_pattern = old.get("pattern"), new.get("pattern")
    if new_pattern is None or new_pattern == old_pattern:
        return []
    if old_pattern is None:
        return [f"{path}: pattern {new_pattern!r} added"]
    return [f"{path}: pattern changed from {old_pattern!r} to {new_pattern!r}"]


def _is_of_type(value: Any, json_type: str) -> bool:
    value_type = _json_type(value)
    return value_type == json_type or (json_type, value_type) == ("number", "integer")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
