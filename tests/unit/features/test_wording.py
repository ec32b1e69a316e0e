"""Hover and completion say the same thing about an envelope key or a template global (one wording)."""

import pytest
from carets import with_caret

from dagster_components_ls.features.completion import complete
from dagster_components_ls.features.hover import hover
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex
from dagster_components_ls.model.vocabulary import ENVELOPE_KEYS


def _hover_text(marked: str, ctx: CheckContext) -> str:
    text, offset = with_caret(marked)
    result = hover(parse_file(text), offset, ctx, LineIndex(text))
    assert result is not None
    return result.contents.value


def _completion(marked: str, ctx: CheckContext, label: str):
    text, offset = with_caret(marked)
    [item] = [i for i in complete(parse_file(text), offset, ctx, LineIndex(text), {}) if i.label == label]
    return item


@pytest.mark.parametrize("key", ENVELOPE_KEYS)
def test_an_envelope_key_reads_the_same_in_hover_and_completion(key, registry):
    ctx = CheckContext(registry=registry)
    item = _completion("|", ctx, key)  # an empty document is offered every envelope key
    # A type the registry does not know: hover describes the key itself, not one type's attributes.
    hovered = _hover_text(
        f"{key[0]}|{key[1:]}: x\n" if key == "type" else f"type: a.Unknown\n{key[0]}|{key[1:]}: x\n", ctx
    )
    assert item.documentation is not None and item.documentation.value in hovered


@pytest.mark.parametrize("name", ["env", "context", "dg", "datetime"])
def test_a_template_global_reads_the_same_in_hover_and_completion(name, registry):
    ctx = CheckContext(registry=registry)
    item = _completion('type: dagster.PythonScriptComponent\nattributes:\n  name: "{{ |"\n', ctx, name)
    hovered = _hover_text(
        f'type: dagster.PythonScriptComponent\nattributes:\n  name: "{{{{ {name[0]}|{name[1:]} }}}}"\n', ctx
    )
    assert item.detail and item.detail in hovered.replace("`", "")
