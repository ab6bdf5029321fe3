"""Text datasets: load_shakespeare (from a directory of texts) and char_vocab."""
from collections import Counter

import numpy as np
import pytest

from jitnet.data import char_vocab, load_shakespeare


def test_load_shakespeare_reads_gut_texts_in_name_order(tmp_path):
    (tmp_path / "b_play_gut.txt").write_text("Second play.\n", encoding="utf-8")
    (tmp_path / "a_play_gut.txt").write_text("First play.\n", encoding="utf-8")
    (tmp_path / "a_play_gut_f.txt").write_text("folio, not read\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not read\n", encoding="utf-8")
    assert load_shakespeare(None, directory=str(tmp_path)) == "First play.\nSecond play.\n"
    assert load_shakespeare(8, directory=str(tmp_path)) == "First pl"
    assert load_shakespeare(15, directory=str(tmp_path)) == "First play.\nSec"
    with pytest.raises(FileNotFoundError, match="no \\*_gut.txt"):
        load_shakespeare(directory=str(tmp_path / "missing"))


def test_char_vocab_orders_by_frequency_and_round_trips():
    text = "to be, or not to be: that is the question."
    chars, encode, decode = char_vocab(text)
    counts = Counter(text)
    expected = sorted(counts, key=lambda c: (-counts[c], ord(c)))
    assert chars == "".join(expected)
    ids = encode(text)
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [expected.index(c) for c in text])
    assert decode(ids) == text
    with pytest.raises(ValueError, match="'z' is not in the vocabulary"):
        encode("zebra")


def test_char_vocab_size_merges_the_rarest_characters():
    text = "aaaabbbccd\u00e9"  # counts a4 b3 c2 d1 e-acute 1
    chars, encode, decode = char_vocab(text, size=3)
    assert chars == "ab\ufffd"
    np.testing.assert_array_equal(encode("abcdx\u00e9"), [0, 1, 2, 2, 2, 2])
    assert decode([0, 1, 2]) == "ab\ufffd"
    chars, _, _ = char_vocab("ab", size=10)  # fewer characters than size: no merged id
    assert chars == "ab"
