"""toml_spans.py: where each key, value and array item of a TOML text is written."""

from dagster_components_ls.model.toml_spans import toml_spans


def test_toml_spans_of_keys_values_and_items():
    text = (
        '[a]\n"q.k" = """x\n"y"\n"""  # c\nb.c = [ 1, # one\n  { d = \'e\' }, 1979-05-27 07:32:00 ]\n'
        "[[t]]\nx = 1\n[[t]]\nx = 2\n"
    )
    found = {k: (text[ks.start : ks.end], text[vs.start : vs.end]) for k, (ks, vs) in toml_spans(text).items()}
    assert found == {
        ("a",): ("a", "a"),
        ("a", "q.k"): ('"q.k"', '"""x\n"y"\n"""'),
        ("a", "b"): ("b", "b"),
        ("a", "b", "c"): ("c", "[ 1, # one\n  { d = 'e' }, 1979-05-27 07:32:00 ]"),
        ("a", "b", "c", 0): ("1", "1"),
        ("a", "b", "c", 1): ("{ d = 'e' }", "{ d = 'e' }"),
        ("a", "b", "c", 1, "d"): ("d", "'e'"),
        ("a", "b", "c", 2): ("1979-05-27 07:32:00", "1979-05-27 07:32:00"),
        ("t",): ("t", "t"),
        ("t", 0): ("t", "t"),
        ("t", 0, "x"): ("x", "1"),
        ("t", 1): ("t", "t"),
        ("t", 1, "x"): ("x", "2"),
    }
