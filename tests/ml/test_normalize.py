from sentiment.ml.normalize import ALLCAPS, ELONG, NUM, URL, USER, plain_text, tokenize


def test_links_mentions_numbers_become_placeholders() -> None:
    words = tokenize("@bob look https://t.co/abc www.x.fr http 12:30 now").words
    assert words == [USER, "look", URL, URL, URL, NUM, "now"]


def test_emoji_and_emoticons_are_kept_as_tokens() -> None:
    words = tokenize("great :-) 😂😂 👍🏽 <3 xD").words
    assert words == ["great", ":)", "😂", "😂", "👍", "<3", "xd"]


def test_emoticon_needs_a_boundary() -> None:
    assert tokenize("Note:Don't").words[:2] == ["note", ":"]


def test_elongation_and_punctuation_runs_are_folded() -> None:
    tokens = tokenize("soooo good!!!! really?!?")
    assert tokens.words == ["soo", "good", "!!", "really", "?!"]
    assert ELONG in tokens.flags


def test_allcaps_flag_and_lowercasing() -> None:
    tokens = tokenize("This is AMAZING")
    assert tokens.words == ["this", "is", "amazing"]
    assert ALLCAPS in tokens.flags


def test_hashtag_keeps_its_word() -> None:
    assert tokenize("#fail again").words == ["fail", "again"]


def test_english_negation_scope_ends_at_punctuation() -> None:
    words = tokenize("I don't like this movie, it is good").words
    assert words == ["i", "don't", "like_NEG", "this_NEG", "movie_NEG", ",", "it", "is", "good"]


def test_negation_without_apostrophe_and_scope_breaker() -> None:
    words = tokenize("not bad but great").words
    assert words == ["not", "bad_NEG", "but", "great"]
    assert tokenize("i dont care").words == ["i", "dont", "care_NEG"]


def test_french_negation_and_elision() -> None:
    words = tokenize("Je n'aime pas ce film. C'est top").words
    assert words == ["je", "n'", "aime_NEG", "pas", "ce_NEG", "film_NEG", ".", "c'", "est", "top"]
    assert tokenize("c'est pas terrible").words == ["c'", "est", "pas", "terrible_NEG"]
    assert "quoi_NEG" not in tokenize("n'importe quoi").words


def test_negation_can_be_disabled() -> None:
    assert tokenize("not good", negation=False).words == ["not", "good"]


def test_accents_and_emoji_round_trip() -> None:
    tokens = tokenize("Été très réussi 😍 &amp; génial’s")
    assert tokens.words == ["été", "très", "réussi", "😍", "génial's"]
    assert plain_text(tokens) == "été très réussi 😍 génial's"
    assert tokenize("Été génial", accents=False).words == ["ete", "genial"]


def test_plain_text_drops_negation_marks() -> None:
    assert plain_text(tokenize("not good at all")) == "not good at all"
